// The compute-buffer allocator (spec §3.5 "Allocator lifetime rules"): one linear allocator
// per compute buffer, allocation-graph order, regions of dead tensors reused (best fit),
// INPUT/OUTPUT-flagged tensors never reused, copy sources freed at the consuming split's start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "executor/region.hpp"
#include "scenario/scenario.hpp"
#include "model/split_formation.hpp"

namespace schedcheck {

// Lifetime of an allocator-managed block in allocation-graph positions (for tests and reports).
struct Lifetime {
  int allocated_at = -1;
  int freed_after = -1;  // -1: never freed within the graph
};

struct AllocationPlan {
  // Slot regions: one per copy slot for multiplied user inputs and split-input copies when
  // n_copies > 1, otherwise a single region.
  std::vector<std::vector<Region>> tensor_slots;  // per tensor
  std::vector<std::vector<Region>> copy_slots;    // per CopyTensor
  std::vector<Lifetime> tensor_life;
  std::vector<Lifetime> copy_life;
  std::vector<uint64_t> buffer_size;  // per buffer (compute buffers: high-water mark)

  const Region& tensor_region(Index t, int slot) const {
    const auto& s = tensor_slots[t];
    return s.size() == 1 ? s[0] : s[slot];
  }
  const Region& copy_region(Index c, int slot) const {
    const auto& s = copy_slots[c];
    return s.size() == 1 ? s[0] : s[slot];
  }
};

// Throws ScenarioError when an explicit compute buffer size is too small. With an input ring
// (llama#27311: input_ring_slots, 0 for none) every user input has that many slots instead of
// n_copies.
AllocationPlan allocate(const Scenario& s, const SplitPlan& plan, int input_ring = 0);

}  // namespace schedcheck
