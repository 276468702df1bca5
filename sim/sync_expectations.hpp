// The host-blocking synchronizations a corpus entry expects of a policy ("host_syncs" in
// "expect"), checked against a run: typed misses; the corpus printers only format them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

// A bound the run broke.
struct SyncCountMiss {
  enum class Scope : uint8_t { per_evaluation, total, step };
  Scope scope = Scope::total;
  SyncBound expected;
  int got = 0;              // in the whole run, or in the first evaluation out of bounds
  int evaluation = -1;      // per_evaluation: the first evaluation out of bounds
  int evaluations_out = 0;  // per_evaluation: how many are
  int step = -1;            // step: the program step (Scenario::program)
  std::string step_name;
};

// Host-blocking synchronizations (as `schedcheck advise` counts them) per evaluation of the run,
// indexed by evaluation; calls outside any evaluation count for the nearest earlier one.
std::vector<int> host_syncs_per_evaluation(const ReplayResult& r);
// Host-blocking synchronizations each step of a program issued (empty for the decode loop).
std::vector<int> host_syncs_per_step(const ReplayResult& r);

std::vector<SyncCountMiss> check_host_syncs(const ReplayResult& r, const SyncExpectation& e);

// "at most 3", "exactly 0".
std::string to_text(const SyncBound& b);
// "evaluation 2 issued 4 host-blocking synchronizations, expected at most 3 per evaluation (in 7
// evaluations)", "the run issued 27 host-blocking synchronizations, expected exactly 26",
// "step \"overwrite\" (set_input, step 4) issued 1 host-blocking synchronization, expected
// exactly 0".
std::string to_text(const SyncCountMiss& m);

}  // namespace schedcheck
