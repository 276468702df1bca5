#include "real/gpu_confirmation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "real/delay_plan.hpp"
#include "real/real_run.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

std::string confirm_on_gpu(const Scenario& s, const Policy& policy, Mechanism mechanism,
                           const GpuPlacement& placement) {
  const ReplayResult sim = replay(s, policy);
  const PolicyVerdict v = explain(sim);
  const auto g = std::find_if(v.groups.begin(), v.groups.end(), [&](const FindingGroup& group) {
    return group.mechanism == mechanism;
  });
  if (g == v.groups.end()) return "not run (the finding is gone)";
  const DelayPlan plan = is_race(g->first.kind) ? targeted_plan(sim, g->first) : DelayPlan{};
  for (int run = 1; run <= 2; ++run) {
    RealRunResult r;
    try {
      r = run_on_gpu(s, policy, plan, placement);
    } catch (const std::exception& e) {  // a CUDA failure or a scenario CUDA cannot run
      return fmt::format("not run: {}", e.what());
    }
    if (r.mismatches.empty()) continue;
    const ValueMismatch& m = r.mismatches.front();
    return fmt::format(
        "confirmed in run {} with delays {}: {} of {} (evaluation {}) byte {}: expected 0x{:02x}, "
        "got 0x{:02x}",
        run, plan.name, m.read, m.tensor_name, m.eval, m.element, m.expected, m.got);
  }
  return g->reaches_host() ? fmt::format("NOT confirmed in 2 runs with delays {}", plan.name)
                         : "not observable: no host-visible read depends on the wrong value "
                           "(docs/agreement.md)";
}

}  // namespace schedcheck
