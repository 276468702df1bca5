#include "real/planned_runs.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "real/carried_plan.hpp"
#include "sim/replay.hpp"
#include "sim/report_text.hpp"

namespace schedcheck {

namespace {

// The plans of one policy for --delays MODE (none | auto | random:SEED | FILE).
std::vector<PlannedRun> plans_for(const std::string& mode, const ReplayResult& sim,
                                  const PolicyVerdict& verdict, int runs) {
  std::vector<PlannedRun> out;
  if (mode == "none") {
    for (int i = 0; i < runs; ++i) out.push_back({DelayPlan{}, ""});
  } else if (mode.rfind("random:", 0) == 0) {
    const uint64_t seed = std::stoull(mode.substr(7));
    for (int i = 0; i < runs; ++i)
      out.push_back({random_plan(sim, seed + static_cast<uint64_t>(i)), ""});
  } else if (mode == "auto") {
    // Every race the simulator predicts, pushed the wrong way; a clean scenario gets random stress.
    for (const FindingGroup& g : verdict.groups) {
      if (!is_race(g.first.kind)) continue;
      for (int i = 0; i < runs; ++i)
        out.push_back(
            {targeted_plan(sim, g.first), fmt::format("{} [{}] on {}", to_string(g.first.kind),
                                                      to_string(g.mechanism), to_text(g.buffer))});
    }
    if (out.empty())
      for (int i = 0; i < runs; ++i)
        out.push_back({random_plan(sim, 1 + static_cast<uint64_t>(i)), ""});
  } else {
    const DelayPlan plan = load_delay_plan(mode);
    for (int i = 0; i < runs; ++i) out.push_back({plan, ""});
  }
  return out;
}

}  // namespace

PolicyRuns plan_runs(const Scenario& s, const Policy& policy, const std::string& mode, int runs) {
  return plan_runs(replay(s, policy), mode, runs);
}

PolicyRuns plan_runs(const ReplayResult& sim, const std::string& mode, int runs) {
  PolicyRuns out{sim.run.policy, explain(sim), {}};
  out.plans = plans_for(mode, sim, out.verdict, runs);
  return out;
}

std::optional<std::string> carried_from(const std::string& mode) {
  if (mode.rfind("from:", 0) != 0) return std::nullopt;
  return mode.substr(5);
}

PolicyRuns plan_carried_runs(const ReplayResult& sim, const std::vector<ReplayResult>& from,
                             int runs) {
  PolicyRuns out{sim.run.policy, explain(sim), {}};
  for (const ReplayResult& other : from) {
    auto plans = carried_targeted_plans(other, sim, runs);
    out.plans.insert(out.plans.end(), plans.begin(), plans.end());
  }
  if (out.plans.empty())
    throw std::invalid_argument(
        from.size() == 1
            ? from.front().run.policy.name + " predicts no race in this scenario: nothing to carry"
            : "no policy of the scenario predicts a race in it: nothing to carry");
  return out;
}

}  // namespace schedcheck
