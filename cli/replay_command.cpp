#include <iostream>

#include "bridge/policy_catalog.hpp"
#include "cli/commands.hpp"
#include "cli/timeline_file.hpp"
#include "driver/scenario_file.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {

int run_replay(const ReplayArgs& args) {
  const std::string& file = args.file;
  const std::string& policy = args.policy;
  const bool json = args.json;
  if (!args.timeline.empty()) {
    // One page draws one run: which policy's would be a guess.
    if (policy == "all") {
      std::cerr << "schedcheck: --timeline " << args.timeline
                << ": draws the run of one policy; give --policy NAME (not 'all')\n";
      return kExitBadInput;
    }
    if (const auto error = timeline_target_error(args.timeline)) {
      std::cerr << "schedcheck: " << *error << "\n";
      return kExitBadInput;
    }
  }
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
  std::string page;
  try {
    for (const Policy& p : chosen) {
      const ReplayResult r = replay(s, p);
      verdicts.push_back(explain(r));
      if (!args.timeline.empty()) page = timeline_page(r, verdicts.back(), ctx);
    }
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (!args.timeline.empty() && !write_timeline(page, args.timeline)) return kExitBadInput;
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
