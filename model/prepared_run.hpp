// Everything derived from a scenario for one policy before any call is made: capabilities and
// agents, split plan, allocation plan. Private host memory of the scheduler (the MoE ids
// vector) is added as extra buffers of the run's own copy of the scenario.
#pragma once

#include <map>

#include "model/allocator.hpp"
#include "executor/execution_layout.hpp"
#include "scenario/policy.hpp"
#include "model/split_formation.hpp"

namespace schedcheck {

struct PreparedRun {
  Scenario scenario;
  Policy policy;
  ExecutionLayout layout;
  SplitPlan plan;
  AllocationPlan alloc;
  std::map<Index, Index> moe_ids_buffer;  // split -> private host buffer for its expert ids
};

PreparedRun prepare_run(const Scenario& s, const Policy& policy);

}  // namespace schedcheck
