// A GGML_SCHED_DEBUG dump as data: what ggml_backend_sched_print_assignments printed (splits with
// their backends and inputs; at level 2 also every non-view node with its sources), plus the facts
// the surrounding llama.cpp log states and every line the parser could not use. The parser
// (import/dump_parser) fills it; import/dump_scenario turns it into a scenario.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace schedcheck::import {

// A size as fmt_size printed it ("%zuK" / "%zuM", floored, cut to 5 characters).
struct DumpSize {
  uint64_t bytes = 0;  // the printed value times its unit (a lower bound of the real size)
  std::string text;    // as printed, trimmed
};

// One tensor as a node line names it: "%20.20s (%5.5s) [%5.5s %8.8s]".
struct TensorRef {
  std::string name;  // trimmed; may be cut to 20 characters
  DumpSize size;
  std::string backend;  // may be cut to 5 characters; "NULL" when unassigned
  std::string cause;    // the assignment cause ("1.wgt0", "usr", ...), may be empty
};

struct DumpNode {
  int line = 0;   // 1-based line of the dump file
  int index = 0;  // the graph node index printed after "node #"
  std::string op;
  TensorRef self;
  std::optional<int> use_count;  // "use=" (late 2024 on)
  std::optional<int> compute;    // "c=" (2025 on)
  std::vector<TensorRef> sources;
};

struct DumpInput {
  std::string name;  // full (the header prints names uncut)
  DumpSize size;
};

struct DumpSplit {
  int line = 0;
  int index = 0;
  std::string backend;  // full name
  int n_inputs = 0;     // as printed
  std::vector<DumpInput> inputs;
  bool inputs_elided = false;   // the paste has "..." among the inputs
  bool header_missing = false;  // node lines before the paste's first header: backend from them
  std::vector<DumpNode> nodes;
};

// One printout: the splits of one graph, from a "## SPLIT #0" (or the paste's first split).
struct DumpGraph {
  int first_line = 0;
  int last_line = 0;
  std::vector<DumpSplit> splits;
  bool has_node_lines() const;
};

// Lines of the llama.cpp log around the dump that say what the dump does not.
struct LogFacts {
  std::optional<int> n_copies;  // "pipeline parallelism enabled (n_copies=4)"
  std::optional<int> n_copies_line;
  std::vector<std::string> host_compute_buffers;  // "CUDA_Host compute buffer size" -> CUDA_Host
};

struct UnusedLines {
  int first = 0;  // 1-based, inclusive
  int last = 0;
  std::string reason;
};

struct SchedDump {
  std::vector<DumpGraph> graphs;
  LogFacts facts;
  std::vector<UnusedLines> unused;  // lines reported, never silently dropped
  std::vector<std::string> notes;   // what the parser accepted but changed (prefixes, CRLF, ...)
  int max_copy_index = -1;          // highest "#c" of an input copy named in node lines
  bool has_debug_pass_headers = false;
};

}  // namespace schedcheck::import
