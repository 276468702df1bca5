#include "model/scheduler.hpp"

#include "model/policies/registry.hpp"

namespace schedcheck {

Scheduler::Scheduler(const PreparedRun& run, BackendApi& api)
    : knobs_(run.policy.knobs),
      api_(api),
      policy_(make_split_policy(run)),
      assignment_(run),
      persistent_(run.scenario) {}

Scheduler::~Scheduler() = default;

CallSite Scheduler::site(const EvalContext& ctx, Call call, Index split, Index backend,
                         std::string_view step) const {
  CallSite cs;
  cs.call = call;
  cs.role = Role::policy;
  cs.eval = ctx.eval;
  cs.batch = ctx.batch;
  cs.ubatch = ctx.ubatch;
  cs.split = split;
  cs.backend = backend;
  cs.slot = cur_copy_;
  cs.assignment_epoch = assignment_.epoch();
  cs.step = step;
  return cs;
}

CallSite Scheduler::input_site(const EvalContext& ctx, Call call, Index split, Index backend,
                               std::string_view step, const SplitInput& in) const {
  CallSite cs = site(ctx, call, split, backend, step);
  cs.tensor = in.source;
  cs.copy = in.copy;
  return cs;
}

void Scheduler::synchronize_backend(Index backend, const CallSite& cs) {
  api_.synchronize(backend, cs);
  policy_->backend_synchronized(backend);
}

void Scheduler::reset() {
  is_reset_ = true;  // clears the tensor->backend map; no sync, copy index untouched
  is_alloc_ = false;
}

void Scheduler::alloc_graph(const EvalContext& ctx, bool realloc) {
  const int n = run().layout.n_copies;
  if (knobs_.copy_advance == CopyAdvance::at_alloc) {
    cur_copy_ = next_copy_;
    next_copy_ = (next_copy_ + 1) % n;
  }
  bound_copy_ = cur_copy_;  // split_graph rewrites sources to slot cur_copy
  is_reset_ = false;
  // Another node assignment: ggml's alloc_splits sees backend_ids_changed and re-reserves.
  if (assignment_.allocate()) realloc = true;
  if (realloc) {
    CallSite cs = site(ctx, Call::synchronize, kNone, kNone, "alloc_splits re-reserve");
    cs.role = Role::driver;
    if (knobs_.realloc_sync == ReallocSync::sched_synchronize) {
      synchronize(cs);
    } else {
      for (Index b = 0; b < static_cast<Index>(scenario().backends.size()); ++b) {
        cs.backend = b;
        api_.synchronize(b, cs);
      }
    }
  }
  is_alloc_ = true;
}

void Scheduler::synchronize(const CallSite& base) {
  CallSite cs = base;
  cs.call = Call::sched_synchronize;
  for (Index b = 0; b < static_cast<Index>(scenario().backends.size()); ++b) {
    cs.backend = b;
    api_.synchronize(b, cs);
  }
  bool reset = knobs_.sync_copy_reset == SyncCopyReset::always ||
               (knobs_.sync_copy_reset == SyncCopyReset::if_not_alloc && !is_alloc_);
  if (!reset) return;
  if (knobs_.copy_advance == CopyAdvance::at_alloc)
    next_copy_ = 0;
  else
    cur_copy_ = 0;
}

void Scheduler::graph_compute_async(const EvalContext& ctx) {
  if (!is_reset_ && !is_alloc_) reset();
  if (!is_alloc_) alloc_graph(ctx, false);
  prev_ids_tensor_ = kNone;  // the MoE ids are read again in every evaluation
  prev_ids_copy_ = kNone;
  policy_->compute_splits(*this, ctx);
  record_input_ring(ctx);
  if (knobs_.copy_advance == CopyAdvance::after_compute)
    cur_copy_ = (cur_copy_ + 1) % run().layout.n_copies;
}

LogicalValue Scheduler::expected_value(Index tensor, int eval) const {
  if (scenario().tensors[tensor].role == TensorRole::persistent)
    return persistent_.expected(tensor);
  return {tensor, eval, 0};
}

void Scheduler::prepare_inputs(const CallSite& base) {
  // Without the ring (a program's prepare_inputs under another policy) there is no slot to wait
  // for: the call returns at once, as llama#27311's does with n_copies 1.
  if (input_ring_slots(knobs_) == 0) return;
  const auto& ring = run().layout.input_ring_events;
  ring_slot_ = (ring_slot_ + 1) % input_ring_slots(knobs_);
  CallSite cs = base;
  cs.call = Call::event_synchronize;
  cs.slot = ring_slot_;
  cs.step = "input ring: last reader of the slot";
  for (Index b = 0; b < static_cast<Index>(ring.size()); ++b) {
    if (ring[b][ring_slot_] < 0) continue;
    cs.backend = b;
    api_.event_synchronize(ring[b][ring_slot_], cs);
  }
}

// With an input ring, every backend that reads the inputs in place records the slot's event
// after its last split: the host's wait in prepare_inputs then covers every read of the slot.
void Scheduler::record_input_ring(const EvalContext& ctx) {
  const auto& ring = run().layout.input_ring_events;
  if (ring.empty() || ring_slot_ < 0) return;
  for (Index b = 0; b < static_cast<Index>(ring.size()); ++b) {
    if (ring[b][ring_slot_] < 0) continue;
    CallSite cs = site(ctx, Call::event_record, kNone, b, "input ring: slot read");
    cs.slot = ring_slot_;
    api_.event_record(ring[b][ring_slot_], b, cs);
  }
}

int Scheduler::input_slot(Index tensor) const {
  if (scenario().tensors[tensor].buffer != kNone) return 0;  // the program's own memory
  const bool ring = !run().layout.input_ring_events.empty() && ring_slot_ >= 0;
  return ring ? ring_slot_ : bound_copy_;
}

TensorView Scheduler::tensor_view(Index tensor, int eval) const {
  TensorView v;
  const bool input = scenario().tensors[tensor].role == TensorRole::user_input;
  v.slot = input ? input_slot(tensor) : 0;
  v.region = run().alloc.tensor_region(tensor, v.slot);
  v.tensor = tensor;
  v.backend = tensor_backend(scenario(), tensor);
  v.expected = expected_value(tensor, eval);
  if (input) inputs_.add_parts(v, v.slot);
  persistent_.add_parts(v);
  return v;
}

void Scheduler::set_input(const InputWrite& w, const CallSite& site) {
  const TensorView dst =
      inputs_.write(tensor_view(w.tensor, site.eval), w.offset, w.size, site.eval);
  api_.write_input(dst, w.source, w.source_offset, w.async, site);
}

void Scheduler::get_output_async(Index tensor, const TensorView& host_dst, const CallSite& site) {
  const TensorView src = tensor_view(tensor, site.eval);
  api_.get_tensor_async(src.backend, src, host_dst, site);
}

void Scheduler::set_tensor_backend(Index node, Index backend) { assignment_.set(node, backend); }

TensorView Scheduler::copy_view(Index copy, int slot, int eval) const {
  const CopyTensor& c = run().plan.copies[copy];
  TensorView v;
  v.region = run().alloc.copy_region(copy, slot);
  v.tensor = c.source;
  v.copy = copy;
  v.slot = slot;
  v.backend = c.backend;
  v.expected = expected_value(c.source, eval);
  if (scenario().tensors[c.source].role == TensorRole::user_input)
    inputs_.add_parts(v, input_slot(c.source));
  persistent_.add_parts(v);
  return v;
}

}  // namespace schedcheck
