// The simulator's execution engine: implements the Executor primitives with the
// happens-before rules of spec §9.5 (vector clocks per agent, snapshots per event record),
// checks every access against the shadow memory, and records races and stale reads.
// Operations execute in issue order, which is always a linearization of happens-before.
#pragma once

#include <map>
#include <tuple>
#include <vector>

#include "executor/execution_layout.hpp"
#include "executor/executor.hpp"
#include "sim/finding.hpp"
#include "sim/shadow_memory.hpp"
#include "sim/trace.hpp"
#include "sim/vector_clock.hpp"

namespace schedcheck {

class SemanticsEngine : public Executor {
 public:
  // buffer_sizes: one entry per buffer of the run's scenario.
  SemanticsEngine(const ExecutionLayout& layout, const std::vector<uint64_t>& buffer_sizes);

  // Contents that exist before the run (weights, KV cache): written by nobody, ordered first.
  void initialize(const Region& region, const LogicalValue& value);
  // A buffer placed in another's released memory (Buffer::reuses).
  void share_memory(int buffer, int memory) { shadow_.share_memory(buffer, memory); }

  void host_op(const Operation& op) override;
  void blocking_op(AgentId stream, const Operation& op) override;
  void enqueue(AgentId queue, const Operation& op) override;
  void host_wait_queue(AgentId queue, const CallSite& site) override;
  void record_event(EventId event, AgentId queue, const CallSite& site) override;
  void queue_wait_event(AgentId queue, EventId event, const CallSite& site) override;
  void host_wait_event(EventId event, const CallSite& site) override;
  LogicalValue observed_value() override { return observed_; }

  const std::vector<TraceEntry>& trace() const { return trace_; }
  const std::vector<Finding>& findings() const { return findings_; }
  std::size_t access_count() const { return accesses_; }

 private:
  struct Segment {
    uint64_t offset;  // relative to the access's region
    uint64_t size;
    LogicalValue value;
  };
  struct EventState {
    bool recorded = false;
    VectorClock snapshot;
    int record_entry = -1;
  };

  int append(TraceKind kind, AgentId agent, const Operation& op);
  int append_sync(TraceKind kind, AgentId agent, const CallSite& site, AgentId target,
                  EventId event);
  // The new finding, or nullptr when it widened an existing one (last_merged_ is its id).
  Finding* new_finding(FindingKind kind, int first_op, int first_access, int second_op,
                       int second_access, int buffer, uint64_t begin, uint64_t end);
  void join(AgentId into, const VectorClock& from, int via);
  void perform(AgentId agent, int entry, const Operation& op, bool host_reads_at_call);
  void read(AgentId agent, int entry, int index, const Access& a, std::vector<Segment>& seen,
            uint32_t& group_taint);
  void write(AgentId agent, int entry, int index, const Access& a,
             const std::vector<Segment>* carried, uint32_t taint);
  // Both return the id of the finding recorded or widened.
  uint32_t report(FindingKind kind, const AccessStamp& first, int second_op, int second_access,
                  AgentId second_agent, int buffer, uint64_t begin, uint64_t end,
                  const LogicalValue& seen, const LogicalValue& expected);
  uint32_t report_stale(int writer_op, int writer_access, int op, int access, int buffer,
                        uint64_t begin, uint64_t end, const LogicalValue& seen,
                        const LogicalValue& expected);

  std::vector<VectorClock> clocks_;
  std::vector<std::vector<int>> learned_via_;  // [agent][other]: trace entry that taught it
  std::vector<EventState> events_;
  ShadowMemory shadow_;
  std::vector<TraceEntry> trace_;
  std::vector<Finding> findings_;
  std::map<std::tuple<int, int, int, int, int>, std::size_t> finding_index_;
  LogicalValue observed_;
  uint32_t last_merged_ = 0;
  std::size_t accesses_ = 0;
};

}  // namespace schedcheck
