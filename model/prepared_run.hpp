// Everything derived from a scenario for one policy before any call is made: capabilities and
// agents, split plan, allocation plan. Private host memory of the scheduler (the MoE ids
// vector) is added as extra buffers of the run's own copy of the scenario.
#pragma once

#include <map>
#include <vector>

#include "executor/execution_layout.hpp"
#include "model/allocator.hpp"
#include "model/split_formation.hpp"
#include "scenario/policy.hpp"

namespace schedcheck {

struct PreparedRun {
  Scenario scenario;
  Policy policy;
  ExecutionLayout layout;
  SplitPlan plan;
  AllocationPlan alloc;
  std::map<Index, Index> moe_ids_buffer;  // split -> private host buffer for its expert ids
  // Members of a meta backend: the device buffers its weight slices and its AllReduce's
  // temporary buffers take (added to the run's scenario; the meta backend places both).
  struct MetaMemberBuffers {
    Index weights = kNone;
    Index reduce = kNone;
  };
  std::map<Index, MetaMemberBuffers> meta_buffers;  // member backend -> its buffers
  // Programs whose set_backend steps reach other node assignments (model/node_assignment.hpp):
  // the run prepared again for each (epochs 1, 2, ...; this run is epoch 0).
  std::vector<PreparedRun> epochs;
  std::vector<std::vector<Index>> assignments;  // the program's node -> backend tables
  std::vector<int> assignment_epoch;            // per table: the epoch prepared for it

  const PreparedRun& epoch(int e) const { return e <= 0 ? *this : epochs.at(e - 1); }
};

PreparedRun prepare_run(const Scenario& s, const Policy& policy);

}  // namespace schedcheck
