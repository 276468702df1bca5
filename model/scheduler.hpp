// ggml_backend_sched as a state machine (spec §3.2): reset, alloc_graph with copy-index
// rotation and the re-reserve path, sched_synchronize with its copy-index reset rule, and
// graph_compute_async, whose compute_splits is the policy's (model/policies/, spec §2.9). Every
// call goes through the backend API.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "executor/backend_api.hpp"
#include "driver/scheduler_port.hpp"
#include "model/policies/split_policy.hpp"
#include "model/input_values.hpp"
#include "model/node_assignment.hpp"
#include "model/persistent_values.hpp"
#include "model/prepared_run.hpp"

namespace schedcheck {

// Experts a MUL_MAT_ID node selects in an evaluation (sorted, unique).
std::vector<int> experts_for(const Node& node, int eval);

class Scheduler final : public SchedulerPort {
 public:
  // The policy's compute_splits comes from model/policies/registry.hpp.
  Scheduler(const PreparedRun& run, BackendApi& api);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void reset() override;
  void alloc_graph(const EvalContext& ctx, bool realloc) override;
  void synchronize(const CallSite& site) override;  // ggml_backend_sched_synchronize
  void graph_compute_async(const EvalContext& ctx) override;
  bool is_alloc() const override { return is_alloc_; }
  // Views of tensors as the graph bound them (user inputs at the bound slot).
  TensorView tensor_view(Index tensor, int eval) const override;
  void prepare_inputs(const CallSite& site) override;
  void set_input(const InputWrite& write, const CallSite& site) override;
  void get_output_async(Index tensor, const TensorView& host_dst, const CallSite& site) override;
  void set_tensor_backend(Index node, Index backend) override;

  TensorView copy_view(Index copy, int slot, int eval) const;
  LogicalValue expected_value(Index tensor, int eval) const;

  // --- what a split policy (model/policies/split_policy.hpp) builds its compute_splits from ---
  // The epoch the allocated graph is of (PreparedRun::epochs): its splits, copies, places.
  const PreparedRun& run() const { return assignment_.run(); }
  BackendApi& api() { return api_; }
  int slot() const { return cur_copy_; }  // the copy slot of this evaluation
  // A call site of split k (kNone: none) on `backend`, labelled with `step`.
  CallSite site(const EvalContext& ctx, Call call, Index split, Index backend,
                std::string_view step) const;
  // The same, for a call about input `in` of split k (its source tensor and copy).
  CallSite input_site(const EvalContext& ctx, Call call, Index split, Index backend,
                      std::string_view step, const SplitInput& in) const;
  // synchronize(backend) from compute_splits; the policy hears of it (its queues are drained).
  void synchronize_backend(Index backend, const CallSite& cs);
  // Launches split k's nodes (in chunks, with an eval callback: model/split_launch.cpp).
  void launch(const EvalContext& ctx, Index k);
  // An input of split k that is a MUL_MAT_ID's host-resident experts: copied in part, the
  // experts the ids select (model/moe_copy.cpp).
  bool is_moe_input(Index k, const SplitInput& in) const;
  void moe_partial_copy(const EvalContext& ctx, Index k, const SplitInput& in,
                        const TensorView& src, const TensorView& dst);

 private:
  const Scenario& scenario() const { return run().scenario; }  // node backends differ by epoch
  Operation compute_op(const EvalContext& ctx, Index k, Index first, Index end);
  void record_input_ring(const EvalContext& ctx);
  int input_slot(Index tensor) const;  // the slot user input `tensor` is bound to now

  const PolicyKnobs& knobs_;
  BackendApi& api_;
  std::unique_ptr<SplitPolicy> policy_;
  NodeAssignment assignment_;
  bool is_reset_ = false;
  bool is_alloc_ = false;
  int cur_copy_ = 0;
  int next_copy_ = 0;
  int bound_copy_ = 0;
  int ring_slot_ = -1;  // the input ring's slot of this evaluation (-1: no ring, or none yet)
  PersistentValues persistent_;  // reference semantics of weights and KV cache
  InputValues inputs_;           // and of user inputs written in parts
  Index prev_ids_tensor_ = kNone;
  Index prev_ids_copy_ = kNone;
  std::vector<int> used_experts_;
};

}  // namespace schedcheck
