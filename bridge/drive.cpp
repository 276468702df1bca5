#include "bridge/drive.hpp"

#include "bridge/plugin_library.hpp"
#include "bridge/real_scheduler.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {

DriverStats drive(PreparedRun& run, BackendApi& api, RealRunHooks* hooks) {
  if (!run.policy.is_real()) {
    if (const std::string why = not_in_model(run.scenario); !why.empty())
      throw ScenarioError(run.scenario.file, "/backends", run.policy.name + ": " + why);
    return run_scenario(run, api);
  }
  const PluginLibrary& plugin =
      PluginLibrary::for_tree(run.policy.ggml_tree, run.scenario.scheduler.max_copies);
  RealScheduler sched(run, api, plugin, hooks);
  const DriverStats stats = run_scenario(run, api, sched);
  sched.finish();
  return stats;
}

}  // namespace schedcheck
