#include "sim/host_call_patterns.hpp"

namespace schedcheck {

HostCallPatterns first_evaluation_patterns(const ReplayResult& replay) {
  HostCallPatterns patterns;
  const std::vector<Split>& splits = replay.run.plan.splits;
  for (const Split& split : splits)
    patterns.splits.push_back({replay.run.scenario.backends[split.backend].name, ""});
  for (const HostCall& c : replay.calls) {
    if (c.site.eval != 0 || c.site.assignment_epoch != 0) continue;
    patterns.whole += c.letter;
    const auto split = static_cast<std::size_t>(c.site.split);
    if (c.site.role == Role::policy && c.site.split != kNone && split < patterns.splits.size())
      patterns.splits[split].calls += c.letter;
  }
  return patterns;
}

}  // namespace schedcheck
