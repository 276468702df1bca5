#include "model/policies/ggml_splits.hpp"

#include "model/scheduler.hpp"

namespace schedcheck {
namespace {

bool wants(SyncWhen when, bool has_event) {
  return when == SyncWhen::always || (when == SyncWhen::if_no_event && !has_event);
}

// One evaluation's splits under one knob set.
class GgmlSplitsRun {
 public:
  GgmlSplitsRun(Scheduler& sched, const EvalContext& ctx)
      : sched_(sched),
        api_(sched.api()),
        run_(sched.run()),
        scenario_(run_.scenario),
        knobs_(run_.policy.knobs),
        ctx_(ctx) {}

  void compute_splits() {
    Index prev = kNone;
    for (Index k = 0; k < static_cast<Index>(run_.plan.splits.size()); ++k) {
      const Split& split = run_.plan.splits[k];
      const Index b = split.backend;
      const EventId ev = slot_event(b);
      if (knobs_.zero_input_split_waits_prev && split.inputs.empty() && prev != kNone &&
          prev != b)
        wait_for_previous(k, prev);
      if (wants(knobs_.split_start_sync, ev >= 0))
        sched_.synchronize_backend(b, site(Call::synchronize, k, b, "split start"));
      for (const SplitInput& in : split.inputs) copy_input(k, in, ev);
      if (wants(knobs_.prelaunch_sync, ev >= 0))
        sched_.synchronize_backend(b, site(Call::synchronize, k, b, "before launch"));
      sched_.launch(ctx_, k);
      if (ev >= 0 && (knobs_.record_event == RecordWhen::always ||
                      (knobs_.record_event == RecordWhen::has_inputs && !split.inputs.empty())))
        api_.event_record(ev, b, site(Call::event_record, k, b, "after launch"));
      prev = b;
    }
  }

 private:
  EventId slot_event(Index backend) const {
    return run_.layout.sched_events[backend][sched_.slot()];
  }

  CallSite site(Call call, Index k, Index backend, std::string_view step) const {
    return sched_.site(ctx_, call, k, backend, step);
  }

  // llama#26040: a split without inputs waits for the backend of the split before it.
  void wait_for_previous(Index k, Index prev) {
    const EventId ev_prev = slot_event(prev);
    const std::string_view step = "zero-input split waits previous";
    if (ev_prev >= 0)
      api_.event_synchronize(ev_prev, site(Call::event_synchronize, k, prev, step));
    else
      sched_.synchronize_backend(prev, site(Call::synchronize, k, prev, step));
  }

  void copy_input(Index k, const SplitInput& in, EventId ev) {
    const Index b = run_.plan.splits[k].backend;
    const TensorView src = sched_.tensor_view(in.source, ctx_.eval);
    const TensorView dst = sched_.copy_view(in.copy, sched_.slot(), ctx_.eval);
    const bool presync_no_event = knobs_.noev_presync == PresyncNoEvent::always ||
                                  (knobs_.noev_presync == PresyncNoEvent::if_dst_lacks_cpy_async &&
                                   !api_.has_cpy_tensor_async(b));
    auto cs = [&](Call call, Index backend, std::string_view step) {
      return sched_.input_site(ctx_, call, k, backend, step, in);
    };
    const bool user_input = scenario_.tensors[in.source].flags & kFlagInput;
    const std::string_view what = user_input ? "user input" : "input";
    // Before the copy: the slot's event, or a synchronize of the destination without one.
    if (ev >= 0 && user_input)
      api_.event_synchronize(ev, cs(Call::event_synchronize, b, what));
    else if (ev >= 0)
      api_.event_wait(b, ev, cs(Call::event_wait, b, what));
    else if (presync_no_event)
      sched_.synchronize_backend(b, cs(Call::synchronize, b, what));

    const Index src_backend = tensor_backend(scenario_, in.source);
    if (user_input) {
      // "inputs from the user must be copied immediately"
      if (knobs_.user_input_copy == UserInputCopy::copy_async)
        api_.tensor_copy_async(src_backend, b, src, dst, cs(Call::tensor_copy_async, b, what));
      else
        api_.tensor_copy(src, dst, cs(Call::tensor_copy, b, what));
      return;
    }
    if (sched_.is_moe_input(k, in)) {
      sched_.moe_partial_copy(ctx_, k, in, src, dst);
      return;
    }
    if (api_.cpy_tensor_async(src_backend, b, src, dst, cs(Call::cpy_tensor_async, b, what)))
      return;
    // Declined: the source is synchronized first.
    const std::string_view declined = "declined copy";
    sched_.synchronize_backend(src_backend, cs(Call::synchronize, src_backend, declined));
    if (knobs_.declined_copy == DeclinedCopy::set_async_after_source_sync) {
      // Before llama#8897: an asynchronous upload from the host pointer.
      api_.set_tensor_async(b, src, dst, cs(Call::set_tensor_async, b, declined));
      return;
    }
    if (ev >= 0)
      api_.event_synchronize(ev, cs(Call::event_synchronize, b, declined));
    else
      sched_.synchronize_backend(b, cs(Call::synchronize, b, declined));
    api_.tensor_copy(src, dst, cs(Call::tensor_copy, b, declined));
  }

  Scheduler& sched_;
  BackendApi& api_;
  const PreparedRun& run_;
  const Scenario& scenario_;
  const PolicyKnobs& knobs_;
  const EvalContext& ctx_;
};

}  // namespace

void GgmlSplits::compute_splits(Scheduler& sched, const EvalContext& ctx) {
  GgmlSplitsRun(sched, ctx).compute_splits();
}

}  // namespace schedcheck
