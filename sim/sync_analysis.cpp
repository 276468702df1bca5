#include "sim/sync_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/race_report.hpp"

namespace schedcheck {
namespace {

std::string group_key(const FindingGroup& g) {
  return fmt::format("{}|{}|{}|{}|{}", g.kind, g.mechanism, g.buffer, g.first_access.where,
                     g.second_access.where);
}

// The first finding of `without` that the baseline run does not have.
std::string describe_first_new(const ReplayResult& without, const PolicyVerdict& baseline) {
  std::vector<std::string> known;
  for (const FindingGroup& g : baseline.groups) known.push_back(group_key(g));
  for (const FindingGroup& g : explain(without).groups)
    if (std::find(known.begin(), known.end(), group_key(g)) == known.end())
      return fmt::format("{} [{}] on {}: {} -> {}", g.kind, g.mechanism, g.buffer,
                         g.first_access.where, g.second_access.where);
  return "";
}

}  // namespace

SyncAnalysis analyze_syncs(const Scenario& s, const Policy& policy) {
  SyncAnalysis a;
  const ReplayResult base = replay(s, policy);
  const PolicyVerdict base_verdict = explain(base);
  a.baseline_findings = static_cast<int>(base.findings.size());
  std::vector<int> all;
  for (const HostCall& c : base.calls) {
    if (c.sync_id < 0) continue;
    all.push_back(c.sync_id);
    SyncVerdict v;
    v.call = c;
    v.host_blocking = c.letter != 'w';
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
  for (int id : all)
    if (std::find(removed.begin(), removed.end(), id) == removed.end()) a.minimal_set.push_back(id);
  return a;
}

}  // namespace schedcheck
