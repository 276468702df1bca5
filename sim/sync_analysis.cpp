#include "sim/sync_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/race_report.hpp"
#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

std::string group_key(const FindingGroup& g) {
  return fmt::format("{}|{}|{}|{}|{}", to_string(g.first.kind), to_string(g.mechanism),
                     to_text(g.buffer), place_text(g.first_access), place_text(g.second_access));
}

// The first finding of `without` that the baseline run does not have, or failing that, the
// first group that occurs more often than in the baseline (the same race in more places).
std::string describe_first_new(const ReplayResult& without, const PolicyVerdict& baseline) {
  std::map<std::string, std::size_t> known;
  for (const FindingGroup& g : baseline.groups) known[group_key(g)] = g.evals.size();
  auto describe = [](const FindingGroup& g, std::string_view more) {
    return fmt::format("{}{} [{}] on {}: {} -> {}", more, to_string(g.first.kind),
                       to_string(g.mechanism), to_text(g.buffer), place_text(g.first_access),
                       place_text(g.second_access));
  };
  const PolicyVerdict v = explain(without);
  for (const FindingGroup& g : v.groups)
    if (!known.count(group_key(g))) return describe(g, "");
  for (const FindingGroup& g : v.groups)
    if (g.evals.size() > known[group_key(g)])
      return describe(g, "more occurrences of the baseline's ");
  return "more findings of the baseline's kinds";
}

}  // namespace

SyncAnalysis analyze_syncs(const Scenario& s, const Policy& policy) {
  SyncAnalysis a;
  const ReplayResult base = replay(s, policy);
  const PolicyVerdict base_verdict = explain(base);
  a.baseline_findings = static_cast<int>(base.findings.size());
  for (const HostCall& c : base.calls) {
    if (c.sync_id < 0) continue;
    SyncVerdict v;
    v.call = c;
    v.host_blocking = blocks_host(c);
    const ReplayResult without = replay(s, policy, {c.sync_id});
    v.necessary = static_cast<int>(without.findings.size()) > a.baseline_findings;
    if (v.necessary) v.new_finding = describe_first_new(without, base_verdict);
    a.syncs.push_back(v);
  }
  // Greedy minimal set: try to drop host-blocking syncs first (the expensive ones), then waits.
  std::vector<int> removed;
  for (const bool blocking_pass : {true, false})
    for (const SyncVerdict& v : a.syncs) {
      if (v.host_blocking != blocking_pass) continue;
      removed.push_back(v.call.sync_id);
      if (static_cast<int>(replay(s, policy, removed).findings.size()) > a.baseline_findings)
        removed.pop_back();
    }
  for (const SyncVerdict& v : a.syncs)
    if (std::find(removed.begin(), removed.end(), v.call.sync_id) == removed.end())
      a.minimal_set.push_back(v.call.sync_id);
  return a;
}

Policy minimal_set_policy(const Policy& policy, const SyncAnalysis& a) {
  Policy p = policy;
  p.name = policy.name + "-minimal";
  p.builtin = false;
  for (const SyncVerdict& v : a.syncs)
    if (std::find(a.minimal_set.begin(), a.minimal_set.end(), v.call.sync_id) ==
        a.minimal_set.end())
      p.skipped_syncs.push_back(v.call.sync_id);
  std::sort(p.skipped_syncs.begin(), p.skipped_syncs.end());
  return p;
}

bool blocks_host(const HostCall& sync) {
  return sync.letter != 'w';
}

bool is_host_blocking_sync(const HostCall& call) {
  return call.sync_id >= 0 && blocks_host(call);
}

int host_blocking_syncs(const std::vector<HostCall>& calls) {
  return static_cast<int>(std::count_if(calls.begin(), calls.end(), is_host_blocking_sync));
}

}  // namespace schedcheck
