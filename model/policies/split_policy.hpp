// The part of ggml_backend_sched that a scheduler policy decides (spec §2.9): how
// compute_splits issues one evaluation's splits — which waits, which copies, which records.
// The scheduler (model/scheduler.hpp) keeps everything else (copy-slot rotation, views,
// launches, MoE partial copies) and offers it to the policy. Implementations: the ggml family,
// read from the knobs (ggml_splits.cpp), and hand-written ones (registry.cpp lists them).
#pragma once

#include "driver/scheduler_port.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck {

class Scheduler;

class SplitPolicy {
 public:
  virtual ~SplitPolicy() = default;
  // Issues every split of the allocated graph for one evaluation.
  virtual void compute_splits(Scheduler& sched, const EvalContext& ctx) = 0;
  // The scheduler synchronized `backend` from within compute_splits (a fallback copy, the MoE
  // ids read, an eval callback): its queues are drained.
  virtual void backend_synchronized(Index backend) { (void)backend; }
};

}  // namespace schedcheck
