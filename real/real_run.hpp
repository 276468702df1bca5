// Runs a scenario under a policy on the GPU: the same decode driver and policy code as the
// simulator, through the backend API into the CUDA executor, with a delay plan; every value the
// host reads is compared with the CPU reference.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "real/delay_plan.hpp"
#include "scenario/policy.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {

// A CUDA call failed: which call, and during which scenario operation.
class RealError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ValueMismatch {
  int call = -1;     // executor call index of the host read
  std::string read;  // "host reads output", "eval callback reads", ...
  Index tensor = kNone;
  std::string tensor_name;
  int eval = 0;
  uint64_t element = 0;  // byte position within the tensor
  unsigned expected = 0;
  unsigned got = 0;
  uint64_t wrong_bytes = 0;
};

// How backends map onto GPUs. A scenario's device indices are spread over the GPUs present
// (device % count), so two CUDA backends land on two physical GPUs when there are two; with
// one GPU, or `physical == false`, they share GPU 0 as virtual devices, as ggml maps them.
struct GpuPlacement {
  bool physical = true;
  // Peer access between the GPUs used, where the hardware supports it (ggml enables it);
  // without it the driver stages peer copies through host memory.
  bool peer_access = true;
};
// "physical" | "physical-no-peer" | "virtual"; throws std::invalid_argument otherwise.
GpuPlacement parse_gpu_placement(const std::string& name);
// SCHEDCHECK_GPU_PLACEMENT (same names), default physical.
GpuPlacement gpu_placement_from_env();
// The GPU a buffer lives on in a run whose backends sit on backend_gpu (RealRunResult::
// backend_gpu); -1 for host memory.
int buffer_gpu(const Scenario& s, Index buffer, const std::vector<int>& backend_gpu);

// When one executor call ran (real/call_timing.hpp): nanoseconds since the run's origin, by
// CUDA events for calls on a stream, by the host clock for host calls.
struct MeasuredCall {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  bool on_device = false;
};

struct RealRunResult {
  std::vector<ValueMismatch> mismatches;  // one per host read that saw a wrong value
  int host_reads_checked = 0;
  int calls = 0;
  double seconds = 0;
  // Host clock (seconds since the run started) at the first call of each evaluation, and when
  // the final drain returned: the host time per ubatch (bench/gpu_sync_bench).
  std::vector<double> eval_start_seconds;
  double finish_seconds = 0;
  // Where the run ran: the GPU of every backend (-1: the host), and whether peer access was
  // enabled between every pair of distinct GPUs used.
  std::vector<int> backend_gpu;
  bool peer_access = false;
  // With time_calls: one per executor call, in call order (the simulation's trace order).
  std::vector<std::optional<MeasuredCall>> call_times;
};

// True if this build has CUDA and a device is present; otherwise why not.
bool cuda_available(std::string* reason);
// How many CUDA devices there are (0 without CUDA).
int cuda_device_count();

// Why the executor refuses a meta backend (docs/meta-backend.md): its reference values give each
// logical value one computation from others, and the meta backend adds partial sums in place
// (the AllReduce's ADD reads and writes the same tensor's value).
inline constexpr const char* kExecutorMetaRefusal =
    "the CUDA executor cannot run a meta backend yet: it computes a tensor's partial sums in "
    "place, which the executor's reference values cannot follow; replay or check it, or run it "
    "over ggml's own backends once they carry a meta backend (docs/meta-backend.md)";

// Throws ScenarioError for what the executor cannot run: buffers that reuse another's memory (it
// gives every buffer memory of its own, so a write to reused memory cannot race a read of the
// old contents; replay aliases them), and a meta backend. Needs no device.
inline void refuse_what_the_executor_cannot_run(const Scenario& s) {
  for (std::size_t b = 0; b < s.buffers.size(); ++b)
    if (s.buffers[b].reuses != kNone)
      throw ScenarioError(s.file, "/buffers/" + std::to_string(b) + "/reuses",
                          "the CUDA executor cannot run buffers that reuse another's memory; "
                          "replay or check the scenario instead");
  if (s.has_meta_backend()) throw ScenarioError(s.file, "/backends", kExecutorMetaRefusal);
}

// Throws RealError when a CUDA call fails, ScenarioError for a scenario the executor cannot run.
// time_calls: measure every call (RealRunResult::call_times), for a timeline.
RealRunResult run_on_gpu(const Scenario& s, const Policy& policy, const DelayPlan& plan,
                         const GpuPlacement& placement = gpu_placement_from_env(),
                         bool time_calls = false);

}  // namespace schedcheck
