// The differential check (DESIGN.md §8): the same scenario under schedcheck's model of a ggml
// version and under that version's real scheduler must issue the same calls: the same
// executor operations in the same order (agent, wait or event, and for every access the
// bytes, the tensor, the copy slot and the value), hence the same findings.
#pragma once

#include <optional>
#include <string>

#include "sim/replay.hpp"

namespace schedcheck {

struct Divergence {
  std::size_t index = 0;  // position in the trace where the two first differ
  std::string model;      // that entry under the model ("(none)" past its end)
  std::string real;       // and under the real scheduler
  std::string context;    // the entries before it, which both have
};

struct DifferentialResult {
  std::size_t model_operations = 0;
  std::size_t real_operations = 0;
  Verdict model_verdict;
  Verdict real_verdict;
  std::optional<Divergence> divergence;
  bool agree() const { return !divergence && model_verdict == real_verdict; }
};

// One trace entry as the differential check compares it, in words.
std::string describe_entry(const ReplayResult& r, std::size_t index);

DifferentialResult differential(const Scenario& s, const Policy& model, const Policy& real);
// From already-run replays (the property runs the model once for several trees).
DifferentialResult differential(const ReplayResult& model, const ReplayResult& real);

}  // namespace schedcheck
