#include "api/checker.hpp"

#include <algorithm>
#include <stdexcept>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {

bool CheckResult::has_mechanism(Mechanism mechanism) const {
  return std::find(mechanisms.begin(), mechanisms.end(), mechanism) != mechanisms.end();
}

std::string CheckResult::report() const {
  return format_text(ReportContext{scenario_name, scenario_file}, details);
}

CheckResult check(const Scenario& scenario, const std::string& policy) {
  const Policy* p = find_policy(scenario, policy);
  if (!p) throw std::invalid_argument(unknown_policy_message(scenario, policy));
  CheckResult r;
  r.details = explain(replay(scenario, *p));
  r.scenario_name = scenario.name;
  r.scenario_file = scenario.file;
  r.verdict = r.details.verdict;
  for (const FindingGroup& g : r.details.groups) r.mechanisms.push_back(g.mechanism);
  return r;
}

std::vector<std::string> policy_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const Policy& p : policies_for(scenario)) names.push_back(p.name);
  return names;
}

Scenario load_scenario(const std::string& path) { return load_scenario_file(path); }

}  // namespace schedcheck
