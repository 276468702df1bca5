#include "sim/input_write_fixes.hpp"

#include <algorithm>

#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {
namespace {

bool has_h5(const PolicyVerdict& v) {
  return std::any_of(v.groups.begin(), v.groups.end(),
                     [](const FindingGroup& g) { return g.mechanism == Mechanism::H5; });
}

InputWriteFix replayed(const Scenario& s, InputWriteFix fix) {
  const PolicyVerdict v = explain(replay(s, fix.policy));
  fix.verdict = v.verdict;
  for (const FindingGroup& g : v.groups)
    if (std::find(fix.mechanisms_left.begin(), fix.mechanisms_left.end(), g.mechanism) ==
        fix.mechanisms_left.end())
      fix.mechanisms_left.push_back(g.mechanism);
  const SyncAnalysis a = analyze_syncs(s, fix.policy);
  fix.host_blocking = static_cast<int>(std::count_if(
      a.syncs.begin(), a.syncs.end(), [](const SyncVerdict& sv) { return sv.host_blocking; }));
  return fix;
}

}  // namespace

std::vector<InputWriteFix> compare_input_write_fixes(const Scenario& s, const Policy& policy,
                                                     const PolicyVerdict& verdict) {
  if (!has_h5(verdict)) return {};
  std::vector<InputWriteFix> fixes;
  InputWriteFix sync;
  sync.policy = with_llama_28058(policy);
  fixes.push_back(replayed(s, sync));
  if (!policy.is_real()) {
    InputWriteFix ring;
    ring.kind = InputWriteFix::Kind::input_ring;
    ring.policy = with_uma_ring(policy);
    fixes.push_back(replayed(s, ring));
  }
  return fixes;
}

}  // namespace schedcheck
