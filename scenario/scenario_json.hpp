// Scenario files: JSON with a "schema" field, validated strictly (docs/scenario-format.md).
// Every problem is a ScenarioError naming the file, the JSON pointer and what was expected.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {

inline constexpr const char* kScenarioSchema = "schedcheck-scenario/1";
inline constexpr const char* kPolicySchema = "schedcheck-policies/1";

// Parses and validates everything a file says by itself; `file` labels messages; `builtins` are
// the policies that names and bases may refer to. Throws ScenarioError. Facts that depend on a
// run (skip_syncs) are checked after loading: use load_scenario_text / load_scenario_file
// (driver/scenario_file.hpp), which also pass the built-in policies.
Scenario parse_scenario_text(const std::string& text, const std::string& file,
                             const std::vector<Policy>& builtins);
// Reads the file first (an unreadable file is a ScenarioError too).
Scenario parse_scenario_file(const std::string& path, const std::vector<Policy>& builtins);
// A policy file: {"schema": "schedcheck-policies/1", "policies": [...]} (custom policies in the
// form a scenario's "policies" takes). Throws ScenarioError.
std::vector<Policy> parse_policy_file(const std::string& path,
                                      const std::vector<Policy>& builtins);
std::vector<Policy> parse_policy_text(const std::string& text, const std::string& file,
                                      const std::vector<Policy>& builtins);
// The inverse of loading: a document that loads back into an equal scenario.
nlohmann::ordered_json save_scenario(const Scenario& s);

}  // namespace schedcheck
