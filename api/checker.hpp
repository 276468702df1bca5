// The embedding API (find_package(schedcheck), docs/library.md): build a scenario in code or
// load a file, check it under a policy (a built-in ggml version, a policy of the scenario, or a
// real ggml tree "ggml@PATH"), and assert on the typed verdict and mechanisms.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "scenario/scenario_builder.hpp"
#include "scenario/verdict.hpp"
#include "sim/race_report.hpp"

namespace schedcheck {

struct CheckResult {
  Verdict verdict;
  std::vector<Mechanism> mechanisms;  // one per finding group, in report order
  PolicyVerdict details;                // every finding group: accesses, missing edge, fix
  std::string scenario_name, scenario_file;

  bool has_mechanism(Mechanism mechanism) const;
  // The text `schedcheck replay` prints for this run.
  std::string report() const;
};

// Simulates `scenario` under the policy named `policy`. Throws std::invalid_argument for a name
// that is no policy, ScenarioError for a scenario the scheduler rejects, BridgeError for a real
// tree that cannot be built or run.
CheckResult check(const Scenario& scenario, const std::string& policy);

// The names `check` accepts besides real trees: the built-in policies and the scenario's own.
std::vector<std::string> policy_names(const Scenario& scenario);

// Loads a scenario file (docs/scenario-format.md); throws ScenarioError naming the file, the
// JSON pointer and what was expected.
Scenario load_scenario(const std::string& path);

}  // namespace schedcheck
