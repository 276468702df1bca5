#include "bridge/policy_catalog.hpp"
#include "sim/advice.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace schedcheck {

bool Advice::in_minimal_set(int sync_id) const {
  const auto& kept = analysis.minimal_set;
  return std::find(kept.begin(), kept.end(), sync_id) != kept.end();
}

Advice advise(const Scenario& s, const Policy& policy) {
  Advice a;
  a.analysis = analyze_syncs(s, policy);
  const ReplayResult base = replay(s, policy);
  a.verdict = explain(base);
  a.evaluations = std::max(1, s.total_evaluations());
  std::map<int, const SyncVerdict*> by_id;
  for (const SyncVerdict& v : a.analysis.syncs) by_id[v.call.sync_id] = &v;
  for (const HostCall& c : base.calls) {
    MarkedCall call{c.letter, c.site.implicit, false};
    if (c.sync_id >= 0) {
      const SyncVerdict& v = *by_id.at(c.sync_id);
      call.redundant = !v.necessary;
      if (v.host_blocking) {
        ++a.host_blocking;
        a.host_blocking_kept += a.in_minimal_set(c.sync_id);
      }
    }
    a.call_lines[{c.site.eval, c.site.split}].calls.push_back(call);
  }
  for (const FindingGroup& g : a.verdict.groups)
    a.call_lines[{g.second_access.place.eval, g.second_access.place.split}]
        .missing_waits.push_back({g.mechanism, g.first_access.agent, g.second_access.agent});
  a.input_write_fixes = compare_input_write_fixes(s, policy, a.verdict);
  return a;
}

Scenario with_minimal_set_policy(Scenario s, const Policy& policy, const SyncAnalysis& a) {
  Policy applied = minimal_set_policy(policy, a);
  if (find_policy(s, applied.name))
    throw std::invalid_argument("the scenario already has a policy named \"" + applied.name +
                                "\"");
  applied.description = fmt::format(
      "{} with the minimal synchronization set for scenario {} (schedcheck advise --apply): "
      "{} of {} synchronizations kept",
      policy.name, s.name, a.minimal_set.size(), a.syncs.size());
  const Verdict verdict = explain(replay(s, applied)).verdict;
  s.custom_policies.push_back(applied);
  s.expectations.push_back({applied.name, verdict, {}, {}});
  return s;
}

}  // namespace schedcheck
