#include "real/recorded_run.hpp"

#include <chrono>
#include <map>

#include "bridge/drive.hpp"
#include "bridge/real_scheduler.hpp"
#include "sim/semantics_engine.hpp"

namespace schedcheck {

Scenario scenario_for_ggml_backends(Scenario s, const std::string& backend) {
  for (const Backend& b : s.backends)
    if (b.kind == BackendKind::blas)
      throw BridgeError("backend " + b.name +
                        " is BLAS: ggml-blas is not among the backends built");
  if (backend != "ggml-cuda") return s;
  // A meta backend is ggml's own over its members, which must be CUDA backends themselves.
  for (const Backend& b : s.backends)
    if (!is_host_backend(b.kind) && b.kind != BackendKind::cuda && b.kind != BackendKind::meta)
      throw BridgeError("backend " + b.name + " is " + std::string(to_string(b.kind)) +
                        ": --backend ggml-cuda runs CUDA backends (and the CPU)");
  for (Buffer& b : s.buffers)
    if (b.kind == BufferKind::device && b.alignment < 128) b.alignment = 128;
  return s;
}

RecordedRun record_real_run(const Scenario& s, const Policy& policy, const DelayPlan& plan,
                            const InputFault& fault) {
  RecordedRun out;
  std::multimap<int, Delay> delays;
  for (const Delay& d : plan.delays) delays.emplace(d.call, d);
  RealRunHooks hooks;
  hooks.fault_tensor = fault.tensor;
  hooks.fault_eval = fault.eval;
  const auto start = std::chrono::steady_clock::now();
  out.recorded =
      replay_with(s, policy, [&](PreparedRun& run, BackendApi& api, const SemanticsEngine& engine) {
        // A device call's operations reach the detector before the call reaches the backend: the
        // delays of those operations (trace indices, as in the simulation) apply to that call.
        std::size_t seen = 0;
        hooks.take_hold = [&] {
          bridge::Hold h;
          const std::vector<TraceEntry>& trace = engine.trace();
          for (; seen < trace.size(); ++seen) {
            auto [first, last] = delays.equal_range(static_cast<int>(seen));
            for (auto it = first; it != last; ++it) {
              const Agent& agent = run.layout.agents[trace[seen].agent];
              if (it->second.on_queue && holds_on_queue(agent.kind)) {
                h.queue_backend = agent.backend;
                h.queue_microseconds += it->second.microseconds;
              } else {
                h.host_microseconds += it->second.microseconds;
              }
            }
          }
          return h;
        };
        return drive(run, api, &hooks);
      });
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.mismatches = std::move(hooks.mismatches);
  out.reads_compared = hooks.reads_compared;
  if (!hooks.compute_starts.empty()) {
    const auto first = hooks.compute_starts.front();
    auto ms = [&](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - first).count();
    };
    for (const auto& t : hooks.compute_starts) out.compute_start_ms.push_back(ms(t));
    out.decode_ms = ms(hooks.finished);
  }
  out.max_read_error = hooks.max_read_error;
  return out;
}

}  // namespace schedcheck
