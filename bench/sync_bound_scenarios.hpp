// Sync-bound scenarios for the required-sync measurements (docs/performance.md): small kernels,
// several splits and user inputs per ubatch, many ubatches per decode, so that what a policy's
// synchronizations cost dominates the host's time per ubatch.
#pragma once

#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

// "sync-bound-single-gpu": partial offload on one CUDA GPU (CPU embedding | CUDA0 layers 0-2 |
// CPU layer 3 | CUDA0 layers 4-6 and the output head).
// "sync-bound-single-gpu-full-offload": the same layers all on CUDA0 (two splits per ubatch).
// "sync-bound-two-gpu-pp": two CUDA backends with pipeline parallelism (CPU embedding | CUDA0
// layers 0-3 | CUDA1 layers 4-7 and the output head); on one physical GPU they are two virtual
// devices, as ggml maps them.
// Both: `batches` decodes of `ubatches` ubatches, logits of every ubatch read after each decode.
std::vector<Scenario> sync_bound_scenarios(int batches, int ubatches);

}  // namespace schedcheck
