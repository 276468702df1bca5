// Names what a replay's trace points at (sim/report_names.hpp): the agents, tensors, buffers and
// values of the scenario, the place and operation of each trace entry, and both accesses of a
// finding. Everything else in a report is built from these.
#pragma once

#include "sim/replay.hpp"
#include "sim/report_names.hpp"

namespace schedcheck {

ValueName value_name(const Scenario& s, const LogicalValue& value);

class ReportNaming {
 public:
  explicit ReportNaming(const ReplayResult& replay);

  const ReplayResult& replay() const { return replay_; }
  const Scenario& scenario() const { return replay_.run.scenario; }
  const Agent& agent(int id) const { return replay_.run.layout.agents[id]; }
  const Access& access(int op, int index) const { return replay_.trace[op].op.accesses[index]; }
  const CallSite& site(int op) const { return replay_.trace[op].site(); }

  // A queue's backend; any other agent by its own name.
  std::string backend_or_agent(int agent_id) const;
  TensorName tensor(const Access& a) const;
  BufferName buffer(int buffer) const;
  ValueName value(const LogicalValue& v) const { return value_name(scenario(), v); }
  CallPlace place(const CallSite& cs) const;
  OperationDescription operation(int entry) const;
  TraceStep step(int entry) const;
  // The access `index` of trace entry `op` as `agent_id` performed it; empty for op < 0.
  AccessDescription access_description(int op, int index, int agent_id) const;

 private:
  CopyOperation copy(const TraceEntry& e) const;
  HostAccess host_access(const TraceEntry& e) const;

  const ReplayResult& replay_;
  std::vector<bool> kv_partitioned_;  // per tensor: a KV cache split into sequences' cells
};

}  // namespace schedcheck
