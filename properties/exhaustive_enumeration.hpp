// Bounded exhaustive mode (small-scope checking): every scenario of a fixed structure within
// bounds, smallest first. The structure (docs/checking.md): 1..B-1 CUDA GPUs on their own
// devices + the CPU; 1..K splits after the CPU embedding split, each on any backend and reading
// the previous split's output and either no user input or one; one decode of 1..U ubatches;
// pipeline parallelism off, or on with 2 copies (2+ GPUs); graph reuse off/on; the CPU compute
// buffer pinned or pageable.
#pragma once

#include <cstdint>
#include <functional>

#include "properties/scenario_spec.hpp"

namespace schedcheck {

struct ExhaustiveBounds {
  int max_splits = 2;
  int max_backends = 3;  // including the CPU
  int max_ubatches = 2;
  // Tensor parallelism instead (docs/meta-backend.md): a meta backend over 2..max_backends
  // devices (at most 4) with 1..max_splits blocks (at most 3), each an attention or an FFN,
  // gated or not, normed or not; one decode of 1..max_ubatches ubatches; graph reuse off/on; the
  // residual stream an input or a CPU get_rows; the output the residual or a head split by rows.
  bool tensor_parallel = false;
};

// Calls visit for every spec within the bounds, in enumeration order; stops early if visit
// returns false. Returns the number of specs visited.
uint64_t enumerate_specs(const ExhaustiveBounds& bounds,
                         const std::function<bool(const ScenarioSpec&)>& visit);

}  // namespace schedcheck
