#include "sim/replay.hpp"

#include "bridge/drive.hpp"
#include "sim/semantics_engine.hpp"

namespace schedcheck {

ReplayResult replay(const Scenario& s, const Policy& policy,
                    const std::vector<int>& suppressed_syncs) {
  return replay_with(s, policy, [&](PreparedRun& run, BackendApi& api, const SemanticsEngine&) {
    api.suppress_syncs(suppressed_syncs);
    return drive(run, api);  // the model, or a real ggml tree's scheduler (bridge/)
  });
}

ReplayResult replay_with(const Scenario& s, const Policy& policy,
                         const std::function<DriverStats(PreparedRun&, BackendApi&,
                                                         const SemanticsEngine&)>& drive_run) {
  ReplayResult r;
  r.run = prepare_run(s, policy);
  SemanticsEngine engine(r.run.layout, r.run.alloc.buffer_size);
  for (Index b = 0; b < static_cast<Index>(r.run.scenario.buffers.size()); ++b)
    if (const Index memory = r.run.scenario.buffers[b].reuses; memory != kNone)
      engine.share_memory(b, memory);
  for (Index t = 0; t < static_cast<Index>(r.run.scenario.tensors.size()); ++t)
    if (initialized_before_run(r.run.scenario, t))
      engine.initialize(r.run.alloc.tensor_region(t, 0), LogicalValue{t, kInitialEval, 0});
  BackendApi api(r.run.scenario, r.run.layout, engine);
  r.stats = drive_run(r.run, api, engine);
  r.trace = engine.trace();
  r.findings = engine.findings();
  r.calls = api.calls();
  r.accesses = engine.access_count();
  return r;
}

}  // namespace schedcheck
