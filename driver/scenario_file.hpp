// Loading a scenario file completely: everything the file says by itself (scenario/
// scenario_json, against the built-in policies of model/policies/registry.hpp), then the facts that depend on a run of it — a custom policy's skip_syncs must
// name synchronizations that the run numbers. Throws ScenarioError (file, JSON pointer, what).
#pragma once

#include "scenario/scenario_json.hpp"

namespace schedcheck {

Scenario load_scenario_text(const std::string& text, const std::string& file);
Scenario load_scenario_file(const std::string& path);
// A policy file (scenario/scenario_json.hpp), bases resolved against the built-in policies.
std::vector<Policy> load_policy_file(const std::string& path);

// The run-dependent checks alone, for a scenario built or parsed elsewhere.
void check_run_facts(const Scenario& s);

}  // namespace schedcheck
