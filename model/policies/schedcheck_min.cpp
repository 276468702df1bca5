// schedcheck-min: the policy designed from the required-sync analysis (docs/policies.md), not a
// ggml version. Its rules, none of which the ggml family's knobs can express:
// - device-side waits: where the copy is asynchronous and the destination has a queue, the
//   slot guard is a queue wait, not a host wait;
// - a destination fence: input copies wait on an event recorded on the destination queue at the
//   split's first wait (it covers everything given to that queue, output reads too), and a copy
//   that runs on the source's queue makes that queue wait on it as well;
// - host-source release: an event is recorded after the asynchronous copies that read host
//   memory, and the host waits for it only before it writes host memory again;
// - a declined copy into a host backend is read back on the source queue (one host wait).
#include <vector>

#include "model/policies/registry.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {
namespace {

constexpr std::size_t kReleaseEvent = 0;  // index into the policy events below
constexpr std::size_t kFenceEvent = 1;

class SchedcheckMinSplits final : public SplitPolicy {
 public:
  explicit SchedcheckMinSplits(const PreparedRun& run)
      : release_pending_(run.scenario.backends.size(), false) {}

  void compute_splits(Scheduler& sched, const EvalContext& ctx) override {
    sched_ = &sched;
    ctx_ = &ctx;
    const PreparedRun& run = sched.run();
    for (Index k = 0; k < static_cast<Index>(run.plan.splits.size()); ++k) {
      const Split& split = run.plan.splits[k];
      const Index b = split.backend;
      // What the input copies wait for: the fence, recorded at the first wait, else the
      // slot's event (a backend without a fence has no events: -1).
      EventId guard = run.layout.sched_events[b][sched.slot()];
      if (const EventId fence = run.layout.policy_events[kFenceEvent][b];
          fence >= 0 && !split.inputs.empty())
        guard = unrecorded_fence_ = fence;
      bool read_host = false;
      for (const SplitInput& in : split.inputs) read_host |= copy_input(k, in, guard);
      if (read_host) {
        if (const EventId release = run.layout.policy_events[kReleaseEvent][b]; release >= 0)
          sched.api().event_record(release, b,
                                   site(Call::event_record, k, b, "host sources copied"));
        release_pending_[b] = true;
      }
      unrecorded_fence_ = -1;
      // The host computes into its own memory: pending host-source copies must be done.
      if (sched.api().runs_on_host(b)) release_host_sources(k);
      sched.launch(ctx, k);
    }
    release_host_sources(kNone);
  }

  void backend_synchronized(Index backend) override { release_pending_[backend] = false; }

 private:
  CallSite site(Call call, Index k, Index backend, std::string_view step) const {
    return sched_->site(*ctx_, call, k, backend, step);
  }

  // ev, after recording it first if it is the split's fence and not recorded yet.
  EventId armed(EventId ev, Index k) {
    if (ev >= 0 && ev == unrecorded_fence_) {
      const Index b = sched_->run().plan.splits[k].backend;
      sched_->api().event_record(ev, b, site(Call::event_record, k, b, "destination fence"));
      unrecorded_fence_ = -1;
    }
    return ev;
  }

  // Whether the queue of `waiter` can wait on an event of `owner`: the same backend API, on
  // the same device unless the kind's events cross devices.
  bool queue_can_wait(Index waiter, Index owner) const {
    const Backend& w = sched_->run().scenario.backends[waiter];
    const Backend& o = sched_->run().scenario.backends[owner];
    return !sched_->api().runs_on_host(waiter) && w.kind == o.kind &&
           (w.device == o.device || waits_on_other_devices_events(w.kind));
  }

  // The host waits for the pending host-source copies, except those that the queue
  // `ordered_on` runs ahead of its next item anyway (kNone: all).
  void release_host_sources(Index k, Index ordered_on = kNone) {
    BackendApi& api = sched_->api();
    for (Index b = 0; b < static_cast<Index>(release_pending_.size()); ++b) {
      if (!release_pending_[b] || (b == ordered_on && api.copies_on_compute_queue(b))) continue;
      release_pending_[b] = false;
      const EventId ev = sched_->run().layout.policy_events[kReleaseEvent][b];
      const std::string_view step = k == kNone ? "release host sources" : "before a host write";
      if (ev >= 0)
        api.event_synchronize(ev, site(Call::event_synchronize, k, b, step));
      else
        sched_->synchronize_backend(b, site(Call::synchronize, k, b, step));
    }
  }

  // Issues one input copy; true if it is asynchronous and reads host memory.
  bool copy_input(Index k, const SplitInput& in, EventId ev);

  Scheduler* sched_ = nullptr;
  const EvalContext* ctx_ = nullptr;
  std::vector<bool> release_pending_;  // per backend: host-source copies not yet waited for
  EventId unrecorded_fence_ = -1;      // the current split's fence until its first use
};

bool SchedcheckMinSplits::copy_input(Index k, const SplitInput& in, EventId ev) {
  Scheduler& sched = *sched_;
  BackendApi& api = sched.api();
  const Scenario& s = sched.run().scenario;
  const Index b = sched.run().plan.splits[k].backend;
  // A queue does not wait on its own event: its copies are ordered after its earlier work
  // anyway, unless the backend copies on a queue of its own.
  const bool own_wait = !api.copies_on_compute_queue(b);
  const Index src_backend = tensor_backend(s, in.source);
  const TensorView src = sched.tensor_view(in.source, ctx_->eval);
  const TensorView dst = sched.copy_view(in.copy, sched.slot(), ctx_->eval);
  auto cs = [&](Call call, Index backend, std::string_view step) {
    return sched.input_site(*ctx_, call, k, backend, step, in);
  };
  const bool host_source = api.is_host_memory(src.region);
  // A copy into host memory may overwrite what a pending copy still has to read.
  auto before_host_write = [&] {
    if (api.is_host_memory(dst.region)) release_host_sources(k);
  };

  if (s.tensors[in.source].flags & kFlagInput) {
    // Copied asynchronously; a destination with a queue does the waiting, else the host.
    const bool queue_waits = !api.runs_on_host(b);
    if (ev >= 0 && queue_waits && own_wait)
      api.event_wait(b, armed(ev, k), cs(Call::event_wait, b, "user input"));
    else if (ev >= 0 && !queue_waits)
      api.event_synchronize(armed(ev, k), cs(Call::event_synchronize, b, "user input"));
    else if (ev < 0)
      sched.synchronize_backend(b, cs(Call::synchronize, b, "user input"));
    before_host_write();
    api.tensor_copy_async(src_backend, b, src, dst, cs(Call::tensor_copy_async, b, "user input"));
    return host_source;
  }

  if (ev >= 0) {
    if (own_wait) api.event_wait(b, armed(ev, k), cs(Call::event_wait, b, "input"));
  } else {
    sched.synchronize_backend(b, cs(Call::synchronize, b, "input"));
  }
  // The copy may run on the source queue: that queue waits for the destination's fence, or,
  // where it cannot wait on the destination's events (another device, not CUDA), the host does.
  if (ev >= 0 && src_backend != b && api.device_copy_on_source_queue(src_backend, b, src, dst)) {
    if (queue_can_wait(src_backend, b))
      api.event_wait(src_backend, armed(ev, k),
                     cs(Call::event_wait, src_backend, "source waits fence"));
    else
      api.event_synchronize(armed(ev, k), cs(Call::event_synchronize, b, "source cannot wait"));
  }
  if (sched.is_moe_input(k, in)) {
    sched.moe_partial_copy(*ctx_, k, in, src, dst);
    return false;
  }
  if (api.cpy_tensor_async(src_backend, b, src, dst, cs(Call::cpy_tensor_async, b, "input")))
    return host_source;
  if (api.runs_on_host(b)) {
    // The host is the destination's queue, so nothing of b is pending. The source queue reads
    // the value back after computing it: one host wait instead of a source sync followed by a
    // blocking copy. Host-source copies on other queues must not see their bytes replaced.
    release_host_sources(k, src_backend);
    CallSite get = cs(Call::get_tensor_async, src_backend, "declined copy");
    api.get_tensor_async(src_backend, src, dst, get);
    get.call = Call::synchronize;
    sched.synchronize_backend(src_backend, get);
    return false;
  }
  sched.synchronize_backend(src_backend, cs(Call::synchronize, src_backend, "declined copy"));
  if (ev >= 0)
    api.event_synchronize(armed(ev, k), cs(Call::event_synchronize, b, "declined copy"));
  else
    sched.synchronize_backend(b, cs(Call::synchronize, b, "declined copy"));
  before_host_write();
  api.tensor_copy(src, dst, cs(Call::tensor_copy, b, "declined copy"));
  return false;
}

}  // namespace

HandWrittenPolicy schedcheck_min() {
  HandWrittenPolicy h;
  Policy& p = h.policy;
  p.name = "schedcheck-min";
  p.commit = "-";
  p.reference = "schedcheck";
  p.description =
      "device-side waits where a queue can wait; the host waits only for copies that read host "
      "memory before it writes host memory again";
  p.known_verdict = Verdict::clean();
  p.knobs = find_ggml_version("ggml-26040")->knobs;  // the scheduler state machine of its era
  p.knobs.reuse_policy = ReusePolicy::reuse_no_sync;
  p.knobs.profile.cuda_host_to_device = true;
  p.knobs.profile.hip_host_to_device = true;
  p.knobs.profile.musa_host_to_device = true;
  h.events = {{"host_sources_copied"}, {"fence"}};  // kReleaseEvent, kFenceEvent
  h.make = [](const PreparedRun& run) -> std::unique_ptr<SplitPolicy> {
    return std::make_unique<SchedcheckMinSplits>(run);
  };
  return h;
}

}  // namespace schedcheck
