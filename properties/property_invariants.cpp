// Split formation and allocator invariants of spec §3.5 on generated scenarios.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "model/allocator.hpp"
#include "executor/execution_layout.hpp"
#include "model/policies/registry.hpp"
#include "model/split_formation.hpp"
#include "properties/scenario_generators.hpp"

namespace schedcheck {
namespace {

struct Planned {
  Scenario s;
  SplitPlan plan;
  AllocationPlan alloc;
  std::vector<bool> in_place;  // per backend: reads pinned host buffers in place
};

Planned plan_for(const ScenarioSpec& spec, const Policy& policy) {
  Planned p{synthesize(spec), {}, {}, {}};
  const ExecutionLayout l = make_layout(p.s, policy.knobs.profile);
  p.in_place = in_place_readers(p.s, policy.knobs.profile);
  p.plan = form_splits(p.s, SplitOptions{l.n_copies, policy.knobs.profile.max_split_inputs,
                                         p.in_place});
  p.alloc = allocate(p.s, p.plan);
  return p;
}

RC_GTEST_PROP(SplitFormation, SplitsPartitionTheGraphAndInputsComeFromEarlierSplits, ()) {
  const Planned p = plan_for(*gen_scenario_spec(), *rc::gen::elementOf(builtin_policies()));
  Index next = 0;
  for (std::size_t k = 0; k < p.plan.splits.size(); ++k) {
    const Split& split = p.plan.splits[k];
    RC_ASSERT(split.first_node == next);  // contiguous, in graph order
    RC_ASSERT(split.end_node > split.first_node);
    next = split.end_node;
    for (Index n = split.first_node; n < split.end_node; ++n)
      RC_ASSERT(p.s.nodes[n].backend == split.backend);
    for (const SplitInput& in : split.inputs) {
      const Tensor& t = p.s.tensors[in.source];
      if (t.role == TensorRole::node_output)
        RC_ASSERT(p.plan.node_split[t.producer] < static_cast<Index>(k));
      RC_ASSERT(p.plan.copies[in.copy].backend == split.backend);
      RC_ASSERT(p.plan.copies[in.copy].source == in.source);
    }
  }
  RC_ASSERT(next == static_cast<Index>(p.s.nodes.size()));
}

RC_GTEST_PROP(SplitFormation, EveryForeignSourceIsReadThroughItsCopyAndCopiedOnce, ()) {
  const Planned p = plan_for(*gen_scenario_spec(), *rc::gen::elementOf(builtin_policies()));
  std::map<std::pair<Index, Index>, int> listed;  // (source, backend) -> times listed as an input
  for (const Split& split : p.plan.splits)
    for (const SplitInput& in : split.inputs) ++listed[{in.source, split.backend}];
  for (const auto& [key, n] : listed) RC_ASSERT(n == 1);
  for (Index n = 0; n < static_cast<Index>(p.s.nodes.size()); ++n)
    for (std::size_t j = 0; j < p.s.nodes[n].sources.size(); ++j) {
      const Index src = p.s.nodes[n].sources[j];
      const Index b = p.s.nodes[n].backend;
      const SourceRef& ref = p.plan.node_sources[n][j];
      const bool foreign = tensor_backend(p.s, src) != b &&
                           !backend_can_use_buffer(p.s, b, tensor_buffer(p.s, src), p.in_place[b]);
      RC_ASSERT(foreign == (ref.copy != kNone));
      if (foreign) RC_ASSERT((listed.count({src, b}) == 1));
    }
}

RC_GTEST_PROP(SplitFormation, SeveralCopiesMultiplyEveryUserInput, ()) {
  const Policy& policy = *rc::gen::elementOf(builtin_policies());
  const Planned p = plan_for(*gen_scenario_spec(), policy);
  for (Index t : p.plan.graph_inputs) {
    RC_ASSERT(p.s.tensors[t].role == TensorRole::user_input);
    RC_ASSERT(static_cast<int>(p.alloc.tensor_slots[t].size()) == p.plan.n_copies);
  }
  if (p.plan.n_copies > 1)
    for (const auto& slots : p.alloc.copy_slots)
      RC_ASSERT(static_cast<int>(slots.size()) == p.plan.n_copies);
}

// Allocator: blocks alive at the same time never share bytes; OUTPUT-flagged tensors and the
// slots of several copies are never freed, so nothing allocated after them reuses their bytes.
// (An OUTPUT tensor may itself take a region freed before it was allocated, as in ggml-alloc.)
RC_GTEST_PROP(Allocator, LiveBlocksNeverOverlapAndOutputsAreNeverReused, ()) {
  const Planned p = plan_for(*gen_scenario_spec(), *rc::gen::elementOf(builtin_policies()));
  struct Block {
    Region r;
    int from, to;  // allocation positions, to = -1: to the end
    bool exclusive;
    std::string what;
  };
  std::vector<Block> blocks;
  for (Index t = 0; t < static_cast<Index>(p.s.tensors.size()); ++t) {
    const Tensor& tensor = p.s.tensors[t];
    if (tensor.role == TensorRole::persistent || p.alloc.tensor_slots[t].empty()) continue;
    const Lifetime life = p.alloc.tensor_life[t];
    const bool exclusive = (tensor.flags & kFlagOutput) || p.alloc.tensor_slots[t].size() > 1;
    for (const Region& r : p.alloc.tensor_slots[t])
      blocks.push_back({r, life.allocated_at, life.freed_after, exclusive, tensor.name});
  }
  for (std::size_t c = 0; c < p.alloc.copy_slots.size(); ++c) {
    const Lifetime life = p.alloc.copy_life[c];
    for (const Region& r : p.alloc.copy_slots[c])
      blocks.push_back({r, life.allocated_at, life.freed_after, p.alloc.copy_slots[c].size() > 1,
                        p.plan.copies[c].name});
  }
  // A block allocated at position q may reuse bytes released after position p only if q > p.
  for (const Block& b : blocks)
    if (b.exclusive) RC_ASSERT(b.to == -1);
  auto disjoint_in_time = [](const Block& a, const Block& b) {
    return (a.to >= 0 && a.to < b.from) || (b.to >= 0 && b.to < a.from);
  };
  for (std::size_t i = 0; i < blocks.size(); ++i)
    for (std::size_t j = i + 1; j < blocks.size(); ++j) {
      if (!blocks[i].r.overlaps(blocks[j].r)) continue;
      RC_LOG() << blocks[i].what << " overlaps " << blocks[j].what << "\n";
      RC_ASSERT(disjoint_in_time(blocks[i], blocks[j]));
    }
}

}  // namespace
}  // namespace schedcheck
