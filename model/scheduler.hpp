// ggml_backend_sched as a state machine (spec §3.2): reset, alloc_graph with copy-index
// rotation and the re-reserve path, sched_synchronize with its copy-index reset rule, and
// compute_splits, the policy (spec §2.9), which issues every call through the backend API.
#pragma once

#include <map>
#include <vector>

#include "executor/backend_api.hpp"
#include "model/prepared_run.hpp"
#include "driver/scheduler_port.hpp"

namespace schedcheck {

// Experts a MUL_MAT_ID node selects in an evaluation (sorted, unique).
std::vector<int> experts_for(const Node& node, int eval);

class Scheduler final : public SchedulerPort {
 public:
  Scheduler(const PreparedRun& run, BackendApi& api);

  void reset() override;
  void alloc_graph(const EvalContext& ctx, bool realloc) override;
  void synchronize(const CallSite& site) override;  // ggml_backend_sched_synchronize
  void graph_compute_async(const EvalContext& ctx) override;
  bool is_alloc() const override { return is_alloc_; }
  // Views of tensors as the graph bound them (user inputs at the bound slot).
  TensorView tensor_view(Index tensor, int eval) const override;
  void set_input(Index tensor, const CallSite& site) override;
  void get_output_async(Index tensor, const TensorView& host_dst, const CallSite& site) override;

  TensorView copy_view(Index copy, int slot, int eval) const;
  LogicalValue expected_value(Index tensor, int eval) const;

 private:
  void compute_splits(const EvalContext& ctx);
  // Issues the copy of one split input; true if it is asynchronous and reads host memory.
  bool copy_input(const EvalContext& ctx, Index k, const SplitInput& in, EventId ev);
  // The host waits for the pending host-source copies (release_host_sources knob), except
  // those that the queue `ordered_on` runs ahead of its next item anyway (kNone: all).
  void release_host_sources(const EvalContext& ctx, Index k, Index ordered_on = kNone);
  // ev, after recording it first if it is the split's fence and not recorded yet.
  EventId armed(EventId ev, const EvalContext& ctx, Index k);
  // synchronize(backend) from compute_splits: also settles its pending host-source release.
  void synchronize_backend(Index backend, const CallSite& cs);
  // Whether the queue of `waiter` can wait on an event of `owner` (same backend API).
  bool queue_can_wait(Index waiter, Index owner) const;
  void moe_partial_copy(const EvalContext& ctx, Index k, const SplitInput& in,
                        const TensorView& src, const TensorView& dst);
  void launch(const EvalContext& ctx, Index k);
  Operation compute_op(const EvalContext& ctx, Index k, Index first, Index end);
  CallSite site(const EvalContext& ctx, Call call, Index split, Index backend,
                std::string_view step) const;
  bool is_moe_input(Index k, const SplitInput& in) const;

  const PreparedRun& r_;
  const Scenario& s_;
  const PolicyKnobs& k_;
  BackendApi& api_;
  bool is_reset_ = false;
  bool is_alloc_ = false;
  int cur_copy_ = 0;
  int next_copy_ = 0;
  int bound_copy_ = 0;
  // Reference semantics: evaluation of the last write of each persistent tensor.
  std::vector<int> persistent_eval_;
  std::vector<int> pending_persistent_;  // writes issued by the current evaluation
  Index prev_ids_tensor_ = kNone;
  Index prev_ids_copy_ = kNone;
  std::vector<int> used_experts_;
  std::vector<bool> release_pending_;  // per backend: host-source copies not yet waited for
  EventId unrecorded_fence_ = -1;      // the current split's fence until its first use
};

}  // namespace schedcheck
