#include "bench/sync_bound_scenarios.hpp"

#include <string>

#include "scenario/scenario_builder.hpp"

namespace schedcheck {
namespace {

constexpr uint64_t kActivation = 1024;  // bytes: small kernels, the syncs dominate

class SyncBoundBuilder {
 public:
  SyncBoundBuilder(const std::string& name, const std::string& description) : base_(name) {
    base_.scenario().description = description;
  }

  Index gpu(const std::string& name, int device) {
    const Index b = static_cast<Index>(base_.scenario().backends.size());
    const Index compute =
        base_.buffer(name + "_compute", BufferKind::device, BufferUsage::compute, b);
    base_.add_backend(Backend{name, BackendKind::cuda, device, compute, {}, false});
    weights_.push_back(
        base_.buffer(name + "_weights", BufferKind::device, BufferUsage::weights, b));
    return b;
  }

  Index cpu() {
    const Index compute =
        base_.buffer("CUDA_Host_compute", BufferKind::pinned_host, BufferUsage::compute, kNone);
    const Index b = base_.add_backend(Backend{"CPU", BackendKind::cpu, -1, compute, {}, false});
    weights_.push_back(
        base_.buffer("CPU_weights", BufferKind::pageable_host, BufferUsage::weights, kNone));
    return b;
  }

  void inputs() {
    tokens_ = base_.input("inp_tokens", 64);
    pos_ = base_.input("inp_pos", 64);
    mask_ = base_.input("kq_mask", 256);
    out_ids_ = base_.input("inp_out_ids", 64);
  }

  Index embedding(Index cpu) {
    const Index table = base_.weight("token_embd", weights_[cpu], 8 * kActivation);
    return base_.op_node("inp_embd", "get_rows", cpu, {table, tokens_}, kActivation);
  }

  // One transformer-like layer: four small kernels reading the position and mask inputs.
  Index layer(int i, Index backend, Index x) {
    const std::string l = "l" + std::to_string(i);
    const Index wq = base_.weight(l + ".wq", weights_[backend], kActivation);
    const Index wo = base_.weight(l + ".wo", weights_[backend], kActivation);
    const Index q = base_.op_node(l + ".q", "mul_mat", backend, {wq, x}, kActivation);
    const Index rope = base_.op_node(l + ".rope", "rope", backend, {q, pos_}, kActivation);
    const Index attn = base_.op_node(l + ".attn", "soft_max", backend, {rope, mask_}, kActivation);
    const Index o = base_.op_node(l + ".o", "mul_mat", backend, {wo, attn}, kActivation);
    return base_.op_node(l + ".out", "add", backend, {o, x}, kActivation);
  }

  void head(Index backend, Index x, int batches, int ubatches) {
    const Index w = base_.weight("output.weight", weights_[backend], kActivation);
    const Index rows = base_.op_node("last_rows", "get_rows", backend, {x, out_ids_}, kActivation);
    const Index out =
        base_.op_node("result_output", "mul_mat", backend, {w, rows}, 256, kFlagOutput);
    const Index logits = base_.buffer("logits", BufferKind::pinned_host, BufferUsage::output, kNone,
                                      256 * static_cast<uint64_t>(ubatches));
    DriverConfig& driver = base_.scenario().driver;
    driver.ubatches_per_batch.assign(static_cast<std::size_t>(batches), ubatches);
    driver.outputs.push_back(OutputRead{out, logits, OutputRead::When::all, {}});
  }

  Scenario& scenario() { return base_.scenario(); }

 private:
  ScenarioBuilder base_;
  std::vector<Index> weights_;  // per backend
  Index tokens_ = kNone, pos_ = kNone, mask_ = kNone, out_ids_ = kNone;
};

// Seven layers on CUDA0, except `cpu_layer` (-1: none) on the CPU.
Scenario single_gpu(const std::string& name, const std::string& description, int cpu_layer,
                    int batches, int ubatches) {
  SyncBoundBuilder b(name, description);
  const Index cuda = b.gpu("CUDA0", 0);
  const Index cpu = b.cpu();
  b.inputs();
  Index x = b.embedding(cpu);
  for (int i = 0; i < 7; ++i) x = b.layer(i, i == cpu_layer ? cpu : cuda, x);
  b.head(cuda, x, batches, ubatches);
  return std::move(b.scenario());
}

Scenario two_gpu_pp(int batches, int ubatches) {
  SyncBoundBuilder b("sync-bound-two-gpu-pp",
                     "Sync-bound pipeline parallelism over two CUDA backends (n_copies 4): CPU "
                     "embedding | CUDA0 layers 0-3 | CUDA1 layers 4-7 + output; 1 KiB "
                     "activations.");
  const Index cuda0 = b.gpu("CUDA0", 0);
  const Index cuda1 = b.gpu("CUDA1", 1);
  const Index cpu = b.cpu();
  b.inputs();
  Index x = b.embedding(cpu);
  for (int i = 0; i < 8; ++i) x = b.layer(i, i < 4 ? cuda0 : cuda1, x);
  b.head(cuda1, x, batches, ubatches);
  b.scenario().scheduler.pipeline_parallel = true;
  return std::move(b.scenario());
}

}  // namespace

std::vector<Scenario> sync_bound_scenarios(int batches, int ubatches) {
  return {single_gpu("sync-bound-single-gpu",
                     "Sync-bound partial offload on one CUDA GPU: CPU embedding | CUDA0 layers "
                     "0-2 | CPU layer 3 | CUDA0 layers 4-6 + output; 1 KiB activations.",
                     3, batches, ubatches),
          single_gpu("sync-bound-single-gpu-full-offload",
                     "Sync-bound full offload on one CUDA GPU: CPU embedding | CUDA0 layers 0-6 "
                     "+ output; 1 KiB activations.",
                     -1, batches, ubatches),
          two_gpu_pp(batches, ubatches)};
}

}  // namespace schedcheck
