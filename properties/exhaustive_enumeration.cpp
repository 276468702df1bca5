#include "properties/exhaustive_enumeration.hpp"

#include <algorithm>

namespace schedcheck {

namespace {

// The block kinds: an FFN (gated or not) or an attention, each with or without a norm.
constexpr int kBlockKinds = 6;
TpBlockSpec block_kind(int k) {
  return TpBlockSpec{k / 2 == 2, k / 2 == 1, k % 2 == 1};
}

// The members' kinds: all CUDA (copies queued on the source device), all Vulkan (copies
// through the host after synchronizing both), or CUDA with a last Vulkan device.
constexpr int kMemberKinds = 3;
BackendKind member_kind(int kinds, int device, int devices) {
  if (kinds == 1 || (kinds == 2 && device == devices - 1)) return BackendKind::vulkan;
  return BackendKind::cuda;
}

uint64_t enumerate_tensor_parallel(const ExhaustiveBounds& b,
                                   const std::function<bool(const ScenarioSpec&)>& visit) {
  uint64_t visited = 0;
  for (int devices = 2; devices <= std::min(b.max_backends, kMaxTpDevices); ++devices)
    for (int n_blocks = 1; n_blocks <= std::min(b.max_splits, kMaxTpBlocks); ++n_blocks) {
      uint64_t combos = 1;
      for (int k = 0; k < n_blocks; ++k) combos *= kBlockKinds;
      for (uint64_t code = 0; code < combos; ++code)
        for (int ubatches = 1; ubatches <= b.max_ubatches; ++ubatches)
          for (int variant = 0; variant < 8 * kMemberKinds; ++variant) {
            // reuse x embedding x output x member kinds
            ScenarioSpec spec;
            spec.shape = "exhaustive-tensor-parallel";
            TensorParallelSpec& tp = spec.tensor_parallel;
            tp.devices = devices;
            spec.gpus.assign(static_cast<std::size_t>(devices), GpuSpec{});
            for (int d = 0; d < devices; ++d) {
              GpuSpec& gpu = spec.gpus[static_cast<std::size_t>(d)];
              gpu.device = d;
              gpu.kind = member_kind(variant / 8, d, devices);
            }
            uint64_t c = code;
            for (int k = 0; k < n_blocks; ++k, c /= kBlockKinds)
              tp.blocks.push_back(block_kind(static_cast<int>(c % kBlockKinds)));
            spec.ubatches = {ubatches};
            spec.graph_reuse = (variant & 1) != 0;
            tp.cpu_embedding = (variant & 2) != 0;
            tp.output_head = (variant & 4) != 0;
            ++visited;
            if (!visit(spec)) return visited;
          }
    }
  return visited;
}

}  // namespace

uint64_t enumerate_specs(const ExhaustiveBounds& b,
                         const std::function<bool(const ScenarioSpec&)>& visit) {
  if (b.tensor_parallel) return enumerate_tensor_parallel(b, visit);
  uint64_t visited = 0;
  for (int gpus = 1; gpus <= b.max_backends - 1; ++gpus) {
    const int choices = 2 * (gpus + 1);  // backend (GPUs + CPU) x (no user input, one)
    for (int n_splits = 1; n_splits <= b.max_splits; ++n_splits) {
      uint64_t combos = 1;
      for (int k = 0; k < n_splits; ++k) combos *= static_cast<uint64_t>(choices);
      for (uint64_t code = 0; code < combos; ++code)
        for (int ubatches = 1; ubatches <= b.max_ubatches; ++ubatches)
          for (int pp = 0; pp <= (gpus >= 2 ? 1 : 0); ++pp)
            for (int reuse = 0; reuse <= 1; ++reuse)
              for (int pageable = 0; pageable <= 1; ++pageable) {
                ScenarioSpec spec;
                spec.shape = "exhaustive";
                spec.gpus.clear();
                for (int g = 0; g < gpus; ++g) spec.gpus.push_back(GpuSpec{BackendKind::cuda, g});
                spec.n_inputs = 1;
                spec.splits.clear();
                uint64_t c = code;
                for (int k = 0; k < n_splits; ++k, c /= static_cast<uint64_t>(choices)) {
                  SplitSpec sp;
                  const int choice = static_cast<int>(c % static_cast<uint64_t>(choices));
                  sp.backend = choice / 2;
                  if (choice % 2) sp.inputs = {0};
                  spec.splits.push_back(sp);
                }
                spec.ubatches = {ubatches};
                spec.pipeline_parallel = pp == 1;
                spec.max_copies = 2;
                spec.graph_reuse = reuse == 1;
                spec.pinned_compute = pageable == 0;
                ++visited;
                if (!visit(spec)) return visited;
              }
    }
  }
  return visited;
}

}  // namespace schedcheck
