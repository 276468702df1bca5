// `schedcheck advise FILE --policy NAME`: which synchronizations the run needs.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "sim/race_report.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {
namespace {

// Writes the scenario with one more custom policy: `policy` without the synchronizations the
// minimal set drops, and the verdict its replay gives as the expectation.
int apply_minimal_set(Scenario s, const Policy& policy, const SyncAnalysis& a,
                      const std::string& out) {
  namespace fs = std::filesystem;
  if (fs::exists(out)) {
    std::cerr << "schedcheck: --apply " << out << ": the file exists; choose a new name\n";
    return kExitBadInput;
  }
  Policy applied = minimal_set_policy(policy, a);
  if (find_policy(s, applied.name)) {
    std::cerr << "schedcheck: --apply: the scenario already has a policy named \"" << applied.name
              << "\"\n";
    return kExitBadInput;
  }
  applied.description = fmt::format(
      "{} with the minimal synchronization set for scenario {} (schedcheck advise --apply): "
      "{} of {} synchronizations kept",
      policy.name, s.name, a.minimal_set.size(), a.syncs.size());
  const Verdict verdict = explain(replay(s, applied)).verdict;
  s.custom_policies.push_back(applied);
  s.expectations.push_back({applied.name, verdict, {}});
  std::ofstream f(out);
  f << save_scenario(s).dump(2) << "\n";
  if (!f) {
    std::cerr << "schedcheck: --apply " << out << ": cannot write the file\n";
    return kExitBadInput;
  }
  std::cerr << fmt::format(
      "wrote {}: policy {} skips {} synchronization(s), replays {}\n  schedcheck replay {} "
      "--policy {}\n",
      out, applied.name, applied.skipped_syncs.size(), to_string(verdict), out,
      applied.name);
  return kExitClean;
}

}  // namespace

int run_advise(const std::string& file, const std::string& policy_name, bool json,
               const std::string& apply) {
  Scenario s;
  const Policy* policy = nullptr;
  try {
    s = load_scenario_file(file);
    policy = find_policy(s, policy_name);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (!policy) {
    std::cerr << "schedcheck: unknown policy \"" << policy_name << "\"\n";
    return kExitBadInput;
  }
  const SyncAnalysis a = analyze_syncs(s, *policy);
  if (!apply.empty())
    if (const int rc = apply_minimal_set(s, *policy, a, apply); rc != kExitClean) return rc;
  const ReplayResult base = replay(s, *policy);
  const PolicyVerdict verdict = explain(base);
  std::map<int, const SyncVerdict*> by_id;
  for (const SyncVerdict& v : a.syncs) by_id[v.call.sync_id] = &v;
  auto kept = [&](int id) {
    return std::find(a.minimal_set.begin(), a.minimal_set.end(), id) != a.minimal_set.end();
  };

  // The call sequence per (evaluation, split): s = necessary, s? = redundant.
  std::map<std::pair<int, int>, std::string> lines;
  int blocking = 0, blocking_kept = 0;
  for (const HostCall& c : base.calls) {
    std::string& line = lines[{c.site.eval, c.site.split}];
    // Waits inside a call (a blocking copy's stream sync, a pageable copy) are shown in
    // parentheses.
    std::string token =
        c.site.implicit ? "(" + std::string(1, c.letter) + ")" : std::string(1, c.letter);
    if (c.sync_id >= 0) {
      const SyncVerdict& v = *by_id.at(c.sync_id);
      if (!v.necessary) token += "?";
      if (v.host_blocking) {
        ++blocking;
        blocking_kept += kept(c.sync_id);
      }
    }
    line += (line.empty() ? "" : " ") + token;
  }
  // Missing edges (the run's races) on the line of the access that needs the wait.
  for (const FindingGroup& g : verdict.groups) {
    std::string& line = lines[{g.second_access.eval, g.second_access.split}];
    line += fmt::format("{}+wait([{}] {} -> {})", line.empty() ? "" : " ", g.mechanism,
                        g.first_access.agent, g.second_access.agent);
  }
  const int evals = std::max(1, s.total_evaluations());
  if (json) {
    nlohmann::ordered_json syncs = nlohmann::ordered_json::array();
    for (const SyncVerdict& v : a.syncs)
      syncs.push_back({{"id", v.call.sync_id},
                       {"call", to_string(v.call.site.call)},
                       {"step", std::string(v.call.site.step)},
                       {"evaluation", v.call.site.eval},
                       {"split", v.call.site.split},
                       {"host_blocking", v.host_blocking},
                       {"necessary", v.necessary},
                       {"in_minimal_set", kept(v.call.sync_id)},
                       {"finding_without_it", v.new_finding}});
    nlohmann::ordered_json missing = nlohmann::ordered_json::array();
    for (const FindingGroup& g : verdict.groups)
      missing.push_back({{"missing_edge", g.missing_edge},
                         {"cheapest_fix", g.cheapest_fix},
                         {"mechanism", g.mechanism}});
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-advise/1"},
                                        {"scenario", file},
                                        {"policy", policy->name},
                                        {"syncs", syncs},
                                        {"minimal_set", a.minimal_set},
                                        {"host_blocking_per_ubatch",
                                         static_cast<double>(blocking) / evals},
                                        {"host_blocking_per_ubatch_minimal",
                                         static_cast<double>(blocking_kept) / evals},
                                        {"missing", missing}}
                     .dump(2)
              << "\n";
    return verdict.groups.empty() ? kExitClean : kExitFindings;
  }
  std::cout << fmt::format(
      "== {} under {}: s = necessary, s? = redundant, e/w = event calls, +wait = missing ==\n",
      s.name, policy->name);
  for (const auto& [key, line] : lines) {
    const auto [eval, split] = key;
    const std::string where = split < 0 ? "driver" : fmt::format("split {}", split);
    std::cout << fmt::format("  eval {:<3} {:<9} {}\n", eval, where, line);
  }
  for (const SyncVerdict& v : a.syncs)
    if (v.necessary)
      std::cout << fmt::format("  #{} {} ({}) at eval {} is necessary: without it, {}\n",
                               v.call.sync_id, to_string(v.call.site.call), v.call.site.step,
                               v.call.site.eval, v.new_finding);
  for (const FindingGroup& g : verdict.groups)
    std::cout << fmt::format("  +missing [{}]: {}\n", g.mechanism, g.cheapest_fix);
  std::cout << fmt::format(
      "host-blocking synchronizations per ubatch: {:.2f} issued, {:.2f} in a minimal set\n",
      static_cast<double>(blocking) / evals, static_cast<double>(blocking_kept) / evals);
  return verdict.groups.empty() ? kExitClean : kExitFindings;
}

}  // namespace schedcheck
