// A timeline of one run, as data: a lane per agent, a box per trace entry with the boxes that
// happen directly before it, the edges that order them (events, synchronizations) and the
// findings' racing pairs and missing edges. timeline_builder makes it from a replay,
// timeline_layout places it (by happens-before layer, or by measured time) and timeline_html
// only draws it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "executor/execution_layout.hpp"

namespace schedcheck {

// When one trace entry ran, measured (CUDA event timestamps of a GPU run): nanoseconds from
// any origin common to the whole run.
struct MeasuredSpan {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

struct Lane {
  AgentKind kind = AgentKind::host;
  std::string name;  // as the text report names the agent: "HOST", "CUDA0", ...
};

enum class BoxKind : uint8_t {
  graph,        // a split's graph, on a queue or run by the host
  copy,         // a copy of any mode
  host_access,  // set_inputs, output reads, eval-callback and expert-id reads
  record,       // event_record
  event_wait,   // event_wait (a queue waits) or event_synchronize (the host waits)
  synchronize,  // the host waits for a queue
};

// What a box is part of: a race's pair of accesses, or a stale read (the read, and the write
// whose value it saw).
enum class Highlight : uint8_t { none, race, stale };

struct Box {
  int trace_index = -1;
  int lane = 0;
  BoxKind kind = BoxKind::graph;
  bool effective = true;  // false: a wait on an event never recorded, which waits for nothing
  int eval = 0;
  std::string label;     // "graph", "cpy", "rec e3", "wait e3", "sync"
  std::string sublabel;  // where: "u1 s2" (ubatch, split), "#1" with a copy slot
  std::string details;   // the hover text: the entry as the text report describes it
  // The boxes (earlier indices) it comes directly after: the previous box of its lane, the host
  // call that issued it, the record or queue it waits for. Happens-before is their closure.
  std::vector<int> after;
  int column = 0;  // its layer: 0, or one more than the largest column of `after`
  std::optional<MeasuredSpan> measured;
  Highlight highlight = Highlight::none;
  std::vector<int> findings;  // the findings (numbered as the report numbers them) it is part of
};

enum class EdgeKind : uint8_t {
  event,        // an event_record to a wait that used that record
  synchronize,  // the last work of a queue (or a blocking copy) to the host that waited for it
  missing,      // a race's missing happens-before edge
};

struct Edge {
  EdgeKind kind = EdgeKind::event;
  int from = -1;  // box indices
  int to = -1;
  std::string details;  // hover text
  int finding = 0;      // missing: the finding's number
};

struct TimelineFinding {
  int number = 0;
  bool race = false;   // else a stale read
  std::string title;   // the report's line: "[1] WRITE-AFTER-READ race [H2] on ..."
  std::string text;    // the report's whole block for it
  bool drawn = false;  // its accesses are among the boxes
};

struct Timeline {
  std::string scenario;
  std::string policy;
  std::string verdict;                    // "clean", "race", "stale", "race+stale"
  std::vector<std::string> header_lines;  // the text report's first lines
  std::vector<TimelineFinding> findings;
  std::vector<Lane> lanes;
  std::vector<Box> boxes;  // in issue order
  std::vector<Edge> edges;
  std::vector<std::string> notes;  // what was left out, and why

  bool clean() const { return findings.empty(); }
  // Any box carries a measured span: the layout is by time, not by layer.
  bool measured() const {
    for (const Box& b : boxes)
      if (b.measured) return true;
    return false;
  }
};

}  // namespace schedcheck
