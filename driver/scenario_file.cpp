#include "driver/scenario_file.hpp"

#include "driver/sync_count.hpp"
#include "model/policies/registry.hpp"

namespace schedcheck {

void check_run_facts(const Scenario& s) {
  for (const Policy& pol : s.custom_policies) {
    if (pol.skipped_syncs.empty()) continue;
    const int count = count_syncs(s, pol);
    for (std::size_t n = 0; n < pol.skipped_syncs.size(); ++n)
      if (pol.skipped_syncs[n] >= count)
        throw ScenarioError(s.file, pol.skipped_syncs_path + "/" + std::to_string(n),
                            "synchronization " + std::to_string(pol.skipped_syncs[n]) +
                                " does not exist: this scenario's run under policy \"" + pol.name +
                                "\" numbers " + std::to_string(count) +
                                " synchronization(s), 0 .. " + std::to_string(count - 1) +
                                " (schedcheck advise lists them)");
  }
}

Scenario load_scenario_text(const std::string& text, const std::string& file) {
  Scenario s = parse_scenario_text(text, file, builtin_policies());
  check_run_facts(s);
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  Scenario s = parse_scenario_file(path, builtin_policies());
  check_run_facts(s);
  return s;
}

std::vector<Policy> load_policy_file(const std::string& path) {
  return parse_policy_file(path, builtin_policies());
}

}  // namespace schedcheck
