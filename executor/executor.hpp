// The primitive operations a backend-API implementation needs from an execution engine.
// sim/ (semantics engine) and real/ (CUDA executor) implement this; model/ decides what to call.
#pragma once

#include "executor/call_site.hpp"
#include "executor/execution_layout.hpp"
#include "executor/operation.hpp"

namespace schedcheck {

class Executor {
 public:
  virtual ~Executor() = default;
  // The host thread performs op now (CPU split, memcpy, host writes and reads).
  virtual void host_op(const Operation& op) = 0;
  // op runs on a hidden stream the host waits for (blocking buffer copy).
  virtual void blocking_op(AgentId stream, const Operation& op) = 0;
  // op is appended to a queue; the call returns at once.
  virtual void enqueue(AgentId queue, const Operation& op) = 0;
  // The host blocks until every item enqueued on queue so far has completed.
  virtual void host_wait_queue(AgentId queue, const CallSite& site) = 0;
  // Marker on queue; a later record overwrites the event's state.
  virtual void record_event(EventId event, AgentId queue, const CallSite& site) = 0;
  // Later items of queue wait for the event's state captured now (none if never recorded).
  virtual void queue_wait_event(AgentId queue, EventId event, const CallSite& site) = 0;
  // The host blocks until the event's last record completed (at once if never recorded).
  virtual void host_wait_event(EventId event, const CallSite& site) = 0;
  // The logical value the first read of the most recent host read saw (an executor may settle
  // deferred checks here, hence not const).
  virtual LogicalValue observed_value() = 0;
};

}  // namespace schedcheck
