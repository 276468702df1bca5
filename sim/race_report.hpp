// Turns raw findings of a replay into what a user reads: findings grouped across evaluations,
// each with a mechanism tag (spec §8 hazards), the ordering that was present, the missing
// happens-before edge and the cheapest primitive that adds it, and the effect on values.
#pragma once

#include <string>
#include <vector>

#include "sim/replay.hpp"

namespace schedcheck {

struct AccessDescription {
  std::string agent;      // "HOST", "CUDA0", "CUDA per-thread stream (device 0)"
  std::string operation;  // "async host->device copy inp_embd -> CUDA0#inp_embd slot 0"
  std::string call;       // ggml call: "cpy_tensor_async", "graph_compute_async", ...
  std::string where;      // "batch 0 ubatch 1 split 1 (CUDA0)"
  std::string tensor;     // tensor or copy-slot name accessed
  int eval = 0;
  int batch = 0;
  int ubatch = 0;
  int split = -1;
  int trace_index = -1;
  uint32_t epoch = 0;
  bool is_write = false;
};

struct FindingGroup {
  Finding first;           // the earliest occurrence
  std::vector<int> evals;  // evaluation of the second access of every occurrence
  std::string kind;        // "WRITE-AFTER-READ race", "STALE READ"
  Mechanism mechanism = Mechanism::other;
  std::string mechanism_text;  // one line
  std::string buffer;          // buffer name and kind
  uint64_t begin = 0, end = 0;
  AccessDescription first_access;  // races: the earlier access; stale: the writer (may be empty)
  AccessDescription second_access;
  std::string ordering_present;
  std::string missing_edge;
  std::string cheapest_fix;
  bool fix_blocks_host = false;
  std::string effect;
  std::string corrupts;       // the host-visible reads the wrong value reaches, or why none
  bool reaches_host = false;  // some host read in the run depends on the wrong value
};

struct PolicyVerdict {
  std::string policy;
  std::string commit;
  std::string reference;
  Verdict verdict;
  std::vector<FindingGroup> groups;
  std::vector<std::string>
      split_patterns;        // per split of the first evaluation, e.g. "CUDA0: ssasg"
  std::string call_pattern;  // first evaluation, whole
  int evaluations = 0;
  int reused_graphs = 0;  // evaluations that reused the previous graph (llama.cpp graph reuse)
  std::size_t operations = 0;
  std::size_t accesses = 0;
  int n_copies = 1;
  bool pipeline_parallel = false;
};

PolicyVerdict explain(const ReplayResult& r);
std::string describe_value(const Scenario& s, const LogicalValue& v);

}  // namespace schedcheck
