// An independent oracle for the race detector: it enumerates every execution order of a trace
// that the operational semantics of spec §9.5 allows (the host in issue order, each queue in FIFO
// order, event waits and host waits as blocking steps), executes each order on logical values,
// and reports whether some order makes a read see an unexpected value and whether some
// conflicting pair of accesses occurs in both relative orders. It deliberately shares no code
// with the vector-clock engine of sim/, which it is meant to check.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/allocator.hpp"
#include "executor/execution_layout.hpp"
#include "executor/logical_value.hpp"
#include "sim/trace.hpp"

namespace schedcheck {

// Contents present before the run (weights, KV cache), as SemanticsEngine::initialize sets them.
struct InitialContent {
  Region region;
  LogicalValue value;
};

struct OracleOptions {
  std::size_t max_states = 1'000'000;
  std::vector<InitialContent> initial;
  // Take a step that touches no memory (an issue, a record, a wait) as soon as it is enabled
  // instead of branching on it. Sound because no step ever disables another and such a step
  // commutes with every other, so each order is equivalent to one where it ran first.
  bool collapse_invisible = true;
};

// One access of the trace: the operation's trace index and the access's index within it.
struct AccessRef {
  int op = -1;
  int access = -1;
  auto operator<=>(const AccessRef&) const = default;
};

// A read that saw, in at least one order, a value other than its expected one.
struct OracleMismatch {
  AccessRef read;
  Index buffer = kNone;
  uint64_t begin = 0;  // the first mismatching byte range, absolute within the buffer
  uint64_t end = 0;
  LogicalValue seen;  // in the first order found
  LogicalValue expected;
};

// Two conflicting accesses (overlapping bytes, at least one write, different agents) and the
// relative orders in which they occurred across the explored orders.
struct OraclePair {
  AccessRef first;  // earlier in trace order
  AccessRef second;
  AgentId first_agent = -1;
  AgentId second_agent = -1;
  Index buffer = kNone;
  uint64_t begin = 0;  // overlap
  uint64_t end = 0;
  bool first_before_second = false;
  bool second_before_first = false;
  bool reorderable() const { return first_before_second && second_before_first; }
};

struct OracleResult {
  bool exhaustive = true;  // false if the state budget ran out (everything below is partial)
  std::size_t states_explored = 0;  // distinct states expanded
  std::size_t terminal_states = 0;  // distinct final states (positions and memory)
  // Complete orders (saturating), counted after collapsing invisible steps if that is on.
  uint64_t complete_orders = 0;
  uint64_t mismatching_orders = 0;  // of those, orders in which some read saw a wrong value
  bool value_mismatch = false;
  bool reorderable_conflict = false;
  std::vector<OracleMismatch> mismatches;  // one per mismatching read, by trace position
  std::vector<OraclePair> pairs;           // every conflicting pair, by trace position

  const OracleMismatch* first_mismatch() const;
  const OraclePair* first_reorderable() const;
  bool finds_problem() const { return value_mismatch || reorderable_conflict; }
};

OracleResult explore_orders(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout,
                            const OracleOptions& options);
OracleResult explore_orders(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout,
                            std::size_t max_states,
                            const std::vector<InitialContent>& initial = {});

// A few lines for test failures: counts, the first mismatch and the first reorderable pair.
std::string describe(const OracleResult& r);

}  // namespace schedcheck
