// The unified compute_splits of spec §2.9: one implementation, every ggml version as knobs.
#include <algorithm>

#include "model/node_access.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {
namespace {
bool wants(SyncWhen when, bool has_event) {
  return when == SyncWhen::always || (when == SyncWhen::if_no_event && !has_event);
}
}  // namespace

void Scheduler::compute_splits(const EvalContext& ctx) {
  const ExecutionLayout& l = r_.layout;
  Index prev = kNone;
  prev_ids_tensor_ = kNone;
  prev_ids_copy_ = kNone;
  for (Index k = 0; k < static_cast<Index>(r_.plan.splits.size()); ++k) {
    const Split& split = r_.plan.splits[k];
    const Index b = split.backend;
    const EventId ev = l.sched_events[b][cur_copy_];

    if (k_.zero_input_split_waits_prev && split.inputs.empty() && prev != kNone && prev != b) {
      const EventId ev_prev = l.sched_events[prev][cur_copy_];
      CallSite cs = site(ctx, Call::event_synchronize, k, prev, "zero-input split waits previous");
      if (ev_prev >= 0 && k_.device_side_waits && queue_can_wait(b, prev)) {
        cs.call = Call::event_wait;
        api_.event_wait(b, ev_prev, cs);
      } else if (ev_prev >= 0) {
        api_.event_synchronize(ev_prev, cs);
      } else {
        cs.call = Call::synchronize;
        synchronize_backend(prev, cs);
      }
    }
    if (wants(k_.split_start_sync, ev >= 0))
      synchronize_backend(b, site(ctx, Call::synchronize, k, b, "split start"));
    // What the input copies wait for: the slot's event (ggml), or a fence recorded at the first
    // wait, which covers everything the destination queue has been given (output reads too).
    EventId guard = ev;
    if (const EventId fence = l.fence_event_of[b]; fence >= 0 && !split.inputs.empty())
      guard = unrecorded_fence_ = fence;
    bool read_host = false;
    for (const SplitInput& in : split.inputs) read_host |= copy_input(ctx, k, in, guard);
    if (read_host) {
      if (l.release_event_of[b] >= 0)
        api_.event_record(l.release_event_of[b], b,
                          site(ctx, Call::event_record, k, b, "host sources copied"));
      release_pending_[b] = true;
    }
    unrecorded_fence_ = -1;
    if (wants(k_.prelaunch_sync, ev >= 0))
      synchronize_backend(b, site(ctx, Call::synchronize, k, b, "before launch"));
    if (api_.runs_on_host(b)) release_host_sources(ctx, k);  // the host computes into its memory
    launch(ctx, k);
    if (ev >= 0 && (k_.record_event == RecordWhen::always ||
                    (k_.record_event == RecordWhen::has_inputs && !split.inputs.empty())))
      api_.event_record(ev, b, site(ctx, Call::event_record, k, b, "after launch"));
    prev = b;
  }
  release_host_sources(ctx, kNone);
}

EventId Scheduler::armed(EventId ev, const EvalContext& ctx, Index k) {
  if (ev >= 0 && ev == unrecorded_fence_) {
    const Index b = r_.plan.splits[k].backend;
    api_.event_record(ev, b, site(ctx, Call::event_record, k, b, "destination fence"));
    unrecorded_fence_ = -1;
  }
  return ev;
}

void Scheduler::synchronize_backend(Index backend, const CallSite& cs) {
  api_.synchronize(backend, cs);
  release_pending_[backend] = false;  // its queues are drained, host-source copies included
}

bool Scheduler::queue_can_wait(Index waiter, Index owner) const {
  return !api_.runs_on_host(waiter) && s_.backends[waiter].kind == s_.backends[owner].kind;
}

void Scheduler::release_host_sources(const EvalContext& ctx, Index k, Index ordered_on) {
  for (Index b = 0; b < static_cast<Index>(release_pending_.size()); ++b) {
    if (!release_pending_[b] || (b == ordered_on && api_.copies_on_compute_queue(b))) continue;
    release_pending_[b] = false;
    const EventId ev = r_.layout.release_event_of[b];
    const std::string_view step = k == kNone ? "release host sources" : "before a host write";
    if (ev >= 0)
      api_.event_synchronize(ev, site(ctx, Call::event_synchronize, k, b, step));
    else
      synchronize_backend(b, site(ctx, Call::synchronize, k, b, step));
  }
}

bool Scheduler::copy_input(const EvalContext& ctx, Index k, const SplitInput& in, EventId ev) {
  const Index b = r_.plan.splits[k].backend;
  // With device-side waits, a queue does not wait on its own event: its copies are ordered
  // after its earlier work anyway, unless the backend copies on a queue of its own.
  const bool own_wait = !k_.device_side_waits || !api_.copies_on_compute_queue(b);
  const Index src_backend = tensor_backend(s_, in.source);
  const TensorView src = tensor_view(in.source, ctx.eval);
  const TensorView dst = copy_view(in.copy, cur_copy_, ctx.eval);
  const bool presync_no_event =
      k_.noev_presync == PresyncNoEvent::always ||
      (k_.noev_presync == PresyncNoEvent::if_dst_lacks_cpy_async && !api_.has_cpy_tensor_async(b));
  auto cs = [&](Call call, Index backend, std::string_view step) {
    CallSite c = site(ctx, call, k, backend, step);
    c.tensor = in.source;
    c.copy = in.copy;
    return c;
  };

  // Whether an asynchronous copy reads host memory (released by release_host_sources).
  const bool host_source = k_.release_host_sources && api_.is_host_memory(src.region);
  // A copy into host memory may overwrite what a pending copy still has to read.
  auto before_host_write = [&] {
    if (api_.is_host_memory(dst.region)) release_host_sources(ctx, k);
  };

  if (s_.tensors[in.source].flags & kFlagInput) {
    // "inputs from the user must be copied immediately"
    const bool async = k_.user_input_copy == UserInputCopy::copy_async;
    // An asynchronous copy lands on a queue, which can do the waiting (else the host waits).
    const bool queue_waits = async && k_.device_side_waits && !api_.runs_on_host(b);
    if (ev >= 0 && queue_waits && own_wait)
      api_.event_wait(b, armed(ev, ctx, k), cs(Call::event_wait, b, "user input"));
    else if (ev >= 0 && !queue_waits)
      api_.event_synchronize(armed(ev, ctx, k), cs(Call::event_synchronize, b, "user input"));
    else if (ev < 0 && presync_no_event)
      synchronize_backend(b, cs(Call::synchronize, b, "user input"));
    before_host_write();
    if (!async) {
      api_.tensor_copy(src, dst, cs(Call::tensor_copy, b, "user input"));
      return false;
    }
    api_.tensor_copy_async(src_backend, b, src, dst, cs(Call::tensor_copy_async, b, "user input"));
    return host_source;
  }

  if (ev >= 0) {
    if (own_wait) api_.event_wait(b, armed(ev, ctx, k), cs(Call::event_wait, b, "input"));
  } else if (presync_no_event) {
    synchronize_backend(b, cs(Call::synchronize, b, "input"));
  }
  // The copy may run on the source queue: that queue waits for the destination's fence.
  if (k_.destination_fence && ev >= 0 && src_backend != b && queue_can_wait(src_backend, b))
    api_.event_wait(src_backend, armed(ev, ctx, k),
                    cs(Call::event_wait, src_backend, "source waits fence"));
  if (is_moe_input(k, in)) {
    moe_partial_copy(ctx, k, in, src, dst);
    return false;
  }
  if (api_.cpy_tensor_async(src_backend, b, src, dst, cs(Call::cpy_tensor_async, b, "input")))
    return host_source;
  if (k_.declined_copy == DeclinedCopy::source_queue_read && api_.runs_on_host(b)) {
    // The host is the destination's queue, so nothing of b is pending. The source queue reads
    // the value back after computing it: one host wait instead of a source sync followed by a
    // blocking copy. Host-source copies on other queues must not see their bytes replaced.
    release_host_sources(ctx, k, src_backend);
    CallSite get = cs(Call::get_tensor_async, src_backend, "declined copy");
    api_.get_tensor_async(src_backend, src, dst, get);
    get.call = Call::synchronize;
    synchronize_backend(src_backend, get);
    return false;
  }
  if (k_.declined_copy == DeclinedCopy::set_async_after_source_sync) {
    // Before llama#8897: sync the source, then an asynchronous upload from the host pointer.
    synchronize_backend(src_backend, cs(Call::synchronize, src_backend, "declined copy"));
    api_.set_tensor_async(b, src, dst, cs(Call::set_tensor_async, b, "declined copy"));
    return host_source;
  }
  synchronize_backend(src_backend, cs(Call::synchronize, src_backend, "declined copy"));
  if (ev >= 0)
    api_.event_synchronize(armed(ev, ctx, k), cs(Call::event_synchronize, b, "declined copy"));
  else
    synchronize_backend(b, cs(Call::synchronize, b, "declined copy"));
  before_host_write();
  api_.tensor_copy(src, dst, cs(Call::tensor_copy, b, "declined copy"));
  return false;
}

bool Scheduler::is_moe_input(Index k, const SplitInput& in) const {
  const Split& split = r_.plan.splits[k];
  if (split.empty()) return false;
  const Index buffer = tensor_buffer(s_, in.source);
  if (s_.buffers[buffer].usage != BufferUsage::weights || !is_host_buffer(s_.buffers[buffer].kind))
    return false;
  const Node& first = s_.nodes[split.first_node];
  return first.is_mul_mat_id() && r_.plan.node_sources[split.first_node][0].copy == in.copy;
}

void Scheduler::moe_partial_copy(const EvalContext& ctx, Index k, const SplitInput& in,
                                 const TensorView& src, const TensorView& dst) {
  const Split& split = r_.plan.splits[k];
  const Index b = split.backend;
  const Index src_backend = tensor_backend(s_, in.source);
  const Node& node = s_.nodes[split.first_node];
  synchronize_backend(src_backend, site(ctx, Call::synchronize, k, src_backend, "moe"));

  // Which ids tensor the host reads: the node's (rewritten) src[2], or, with the llama#15488
  // fix, the original when its copy is a later input of this split (not yet copied).
  const SourceRef ids_ref = r_.plan.node_sources[split.first_node][2];
  TensorView ids = ids_ref.copy != kNone ? copy_view(ids_ref.copy, bound_copy_, ctx.eval)
                                         : tensor_view(ids_ref.tensor, ctx.eval);
  Index ids_backend = b;
  if (ids_ref.copy == kNone) ids_backend = tensor_backend(s_, ids_ref.tensor);
  if (k_.moe_ids_from_later_input && ids_ref.copy != kNone) {
    const auto& inputs = split.inputs;
    auto self = std::find_if(inputs.begin(), inputs.end(),
                             [&](const SplitInput& i) { return i.copy == in.copy; });
    auto later = std::find_if(self, inputs.end(),
                              [&](const SplitInput& i) { return i.copy == ids_ref.copy; });
    if (later != inputs.end()) {
      ids = tensor_view(later->source, ctx.eval);
      ids_backend = tensor_backend(s_, later->source);
    }
  }
  // ggml compares tensor objects: the same ids tensor is read once per graph.
  if (ids.tensor != prev_ids_tensor_ || ids.copy != prev_ids_copy_) {
    TensorView host_ids;
    host_ids.region = Region{r_.moe_ids_buffer.at(k), 0, ids.region.size};
    host_ids.tensor = ids.tensor;
    host_ids.backend = s_.cpu_backend();
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
    CallSite cs = site(ctx, Call::set_tensor_async, k, b, "moe experts");
    cs.tensor = in.source;
    cs.copy = in.copy;
    api_.set_tensor_async(b, from, to, cs);
    i = j + 1;
  }
}

void Scheduler::launch(const EvalContext& ctx, Index k) {
  const Split& split = r_.plan.splits[k];
  const auto& cb = s_.driver.eval_callback;
  if (!cb) {
    api_.graph_compute_async(split.backend, compute_op(ctx, k, split.first_node, split.end_node));
    return;
  }
  auto asks = [&](Index n) {
    return cb->all_nodes || std::find(cb->nodes.begin(), cb->nodes.end(), n) != cb->nodes.end();
  };
  for (Index j0 = split.first_node; j0 < split.end_node;) {
    Index j1 = j0;
    while (j1 + 1 < split.end_node && !asks(j1)) ++j1;
    api_.graph_compute_async(split.backend, compute_op(ctx, k, j0, j1 + 1));
    CallSite cs = site(ctx, Call::synchronize, k, split.backend, "eval callback");
    synchronize_backend(split.backend, cs);
    if (asks(j1)) {
      cs.call = Call::eval_callback_read;
      cs.tensor = s_.nodes[j1].output;
      TensorView out = tensor_view(s_.nodes[j1].output, ctx.eval);
      if (s_.nodes[j1].writes_persistent) out.expected = {out.tensor, ctx.eval, 0};
      api_.tensor_get(out, cs);
    }
    j0 = j1 + 1;
  }
}

Operation Scheduler::compute_op(const EvalContext& ctx, Index k, Index first, Index end) {
  Operation op;
  op.kind = OpKind::compute;
  op.site = site(ctx, Call::graph_compute, k, r_.plan.splits[k].backend, "launch");
  op.site.slot = bound_copy_;
  for (Index n = first; n < end; ++n) {
    const Node& node = s_.nodes[n];
    const int group = n - first;
    for (std::size_t j = 0; j < node.sources.size(); ++j) {
      const SourceRef& ref = r_.plan.node_sources[n][j];
      TensorView v = ref.copy != kNone ? copy_view(ref.copy, bound_copy_, ctx.eval)
                                       : tensor_view(ref.tensor, ctx.eval);
      append_source_reads(op, node, j, v, ctx.eval, group);
    }
    TensorView out = tensor_view(node.output, ctx.eval);
    LogicalValue produced{node.output, ctx.eval, 0};
    if (node.writes_persistent) persistent_eval_[node.output] = ctx.eval;
    Access w = access_of(out, true);
    w.value = produced;
    w.group = group;
    op.accesses.push_back(w);
  }
  return op;
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
