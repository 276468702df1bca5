#include <iostream>

#include "bridge/policy_catalog.hpp"
#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {

int run_replay(const ReplayArgs& args) {
  const std::string& file = args.file;
  const std::string& policy = args.policy;
  const bool json = args.json;
  Scenario s;
  std::vector<Policy> chosen;
  try {
    s = load_scenario_file(file);
    if (policy == "all") {
      chosen = policies_for(s);
    } else if (const Policy* p = find_policy(s, policy)) {
      chosen.push_back(*p);
    } else {
      std::cerr << "schedcheck: " << unknown_policy_message(s, policy, true) << "\n";
      return kExitBadInput;
    }
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }

  ReportContext ctx{s.name, file};
  std::vector<PolicyVerdict> verdicts;
  try {
    for (const Policy& p : chosen) verdicts.push_back(explain(replay(s, p)));
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  bool found = false;
  for (const auto& v : verdicts) found |= !v.verdict.is_clean();
  if (json) {
    std::cout << replay_json(ctx, verdicts).dump(2) << "\n";
  } else {
    for (std::size_t i = 0; i < verdicts.size(); ++i)
      std::cout << (i ? "\n" : "") << format_text(ctx, verdicts[i]);
  }
  return found ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
