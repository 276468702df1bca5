// The trace of one run: every executor call in issue order with the agent that performed it,
// its epoch, and (for accesses) the operation. It is what reports point into.
#pragma once

#include <vector>

#include "executor/executor.hpp"

namespace schedcheck {

enum class TraceKind : uint8_t { access, wait_queue, record, wait_event, host_wait_event };

struct TraceEntry {
  TraceKind kind = TraceKind::access;
  AgentId agent = 0;    // who performed it (waits: the waiting agent)
  uint32_t epoch = 0;   // the agent's clock entry for itself after it
  AgentId target = -1;  // wait_queue: the queue waited for; record: the queue
  EventId event = -1;
  bool effective = true;  // waits on never-recorded events have no effect
  Operation op;           // accesses (kind == access); site for all kinds
  const CallSite& site() const { return op.site; }
};

}  // namespace schedcheck
