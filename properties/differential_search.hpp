// The differential check over generated scenarios: case by case from a seed, each scenario
// under a ggml version's model and under that version's real scheduler (bridge/); the first
// divergence of each pair is shrunk by single removals while it still diverges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "properties/scenario_spec.hpp"
#include "sim/differential.hpp"

namespace schedcheck {

struct DivergentCase {
  int case_index = 0;
  ScenarioSpec shrunk;
  Scenario scenario;  // synthesize(shrunk)
  DifferentialResult result;
};

struct DifferentialRun {
  Policy model;
  Policy real;
  int cases = 0;
  int divergent = 0;
  double model_seconds = 0;  // replay time summed over the cases (all workers)
  double real_seconds = 0;
  std::optional<DivergentCase> first;
  int failed = 0;               // cases the real scheduler could not run (BridgeError)
  int first_failed_case = -1;
  std::string first_failure;
};

std::vector<DifferentialRun> differential_search(
    const std::vector<std::pair<Policy, Policy>>& pairs, int cases, uint64_t seed, int jobs);

}  // namespace schedcheck
