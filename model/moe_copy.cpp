// MUL_MAT_ID with host-resident experts: ggml copies only the experts the ids select. The host
// reads the ids first (a synchronize of their backend), then uploads each run of consecutive
// experts, with up to 512 bytes of the next one (ggml's padding).
#include <algorithm>

#include "model/scheduler.hpp"

namespace schedcheck {

bool Scheduler::is_moe_input(Index k, const SplitInput& in) const {
  const Split& split = run().plan.splits[k];
  if (split.empty()) return false;
  const Index buffer = tensor_buffer(scenario(), in.source);
  if (scenario().buffers[buffer].usage != BufferUsage::weights ||
      !is_host_buffer(scenario().buffers[buffer].kind))
    return false;
  const Node& first = scenario().nodes[split.first_node];
  return first.is_mul_mat_id() && run().plan.node_sources[split.first_node][0].copy == in.copy;
}

void Scheduler::moe_partial_copy(const EvalContext& ctx, Index k, const SplitInput& in,
                                 const TensorView& src, const TensorView& dst) {
  const Split& split = run().plan.splits[k];
  const Index b = split.backend;
  const Index src_backend = tensor_backend(scenario(), in.source);
  const Node& node = scenario().nodes[split.first_node];
  synchronize_backend(src_backend, site(ctx, Call::synchronize, k, src_backend, "moe"));

  // Which ids tensor the host reads: the node's (rewritten) src[2], or, with the llama#15488
  // fix, the original when its copy is a later input of this split (not yet copied).
  const SourceRef ids_ref = run().plan.node_sources[split.first_node][2];
  TensorView ids = ids_ref.copy != kNone ? copy_view(ids_ref.copy, bound_copy_, ctx.eval)
                                         : tensor_view(ids_ref.tensor, ctx.eval);
  Index ids_backend = b;
  if (ids_ref.copy == kNone) ids_backend = tensor_backend(scenario(), ids_ref.tensor);
  if (knobs_.moe_ids_from_later_input && ids_ref.copy != kNone) {
    const auto& inputs = split.inputs;
    auto self = std::find_if(inputs.begin(), inputs.end(),
                             [&](const SplitInput& i) { return i.copy == in.copy; });
    auto later = std::find_if(self, inputs.end(),
                              [&](const SplitInput& i) { return i.copy == ids_ref.copy; });
    if (later != inputs.end()) {
      ids = tensor_view(later->source, ctx.eval);
      ids_backend = tensor_backend(scenario(), later->source);
    }
  }
  // ggml compares tensor objects: the same ids tensor is read once per graph.
  if (ids.tensor != prev_ids_tensor_ || ids.copy != prev_ids_copy_) {
    TensorView host_ids;
    host_ids.region = Region{run().moe_ids_buffer.at(k), 0, ids.region.size};
    host_ids.tensor = ids.tensor;
    host_ids.backend = scenario().cpu_backend();
    host_ids.expected = ids.expected;
    CallSite cs = site(ctx, Call::get_tensor_async, k, ids_backend, "moe ids");
    cs.tensor = ids.tensor;
    cs.copy = ids.copy;
    api_.get_tensor_async(ids_backend, ids, host_ids, cs);
    cs.call = Call::synchronize;
    synchronize_backend(ids_backend, cs);
    cs.call = Call::moe_ids_read;
    api_.host_read(host_ids, cs);
    used_experts_ = experts_for(node, api_.observed_value().eval);
    prev_ids_tensor_ = ids.tensor;
    prev_ids_copy_ = ids.copy;
  }

  const uint64_t expert_bytes = src.region.size / static_cast<uint64_t>(node.n_expert);
  std::vector<int> used = used_experts_;
  for (std::size_t i = 0; i < used.size();) {
    std::size_t j = i;
    while (j + 1 < used.size() && used[j + 1] == used[j] + 1) ++j;
    const int first = used[i], last = used[j];
    uint64_t offset = static_cast<uint64_t>(first) * expert_bytes;
    uint64_t size = static_cast<uint64_t>(last - first + 1) * expert_bytes;
    if (last < node.n_expert - 1) size += std::min<uint64_t>(expert_bytes, 512);
    TensorView from = src, to = dst;
    from.region.offset += offset;
    from.region.size = size;
    from.tensor_offset += offset;
    to.region.offset += offset;
    to.region.size = size;
    to.tensor_offset += offset;
    api_.set_tensor_async(b, from, to,
                          input_site(ctx, Call::set_tensor_async, k, b, "moe experts", in));
    i = j + 1;
  }
}

std::vector<int> experts_for(const Node& node, int eval) {
  std::vector<int> used;
  if (node.n_expert <= 0 || eval < 0) return used;
  if (!node.experts_used.empty()) {
    used = node.experts_used[static_cast<std::size_t>(eval) % node.experts_used.size()];
  } else {
    // Deterministic default: two experts that move with the evaluation.
    used = {eval % node.n_expert, (eval * 3 + 1) % node.n_expert};
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  return used;
}

}  // namespace schedcheck
