// What a replay reports, as data: findings grouped across evaluations, each with a mechanism tag
// (spec §8 hazards), both accesses, the ordering that was present, the missing happens-before
// edge and the cheapest primitive that adds it, and the effect on values. Writers
// (sim/report_writer, sim/report_text) only turn this into words.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/finding_effect.hpp"
#include "sim/fix_advice.hpp"
#include "sim/host_call_patterns.hpp"
#include "sim/replay.hpp"
#include "sim/report_names.hpp"

namespace schedcheck {

struct FindingGroup {
  Finding first;           // the earliest occurrence
  std::vector<int> evals;  // evaluation of the second access of every occurrence
  Mechanism mechanism = Mechanism::other;
  BufferName buffer;
  uint64_t begin = 0, end = 0;
  AccessDescription first_access;  // races: the earlier access; stale: the writer (may not exist)
  AccessDescription second_access;
  PresentOrdering ordering_present;
  std::optional<MissingEdge> missing_edge;  // none for a stale read
  Fix cheapest_fix;
  Effect effect;
  std::vector<CorruptedRead> corrupts;  // the host-visible reads the wrong value reaches

  // Some host read in the run depends on the wrong value (so a GPU run can show it).
  bool reaches_host() const { return !corrupts.empty(); }
};

struct PolicyVerdict {
  std::string policy;
  std::string commit;
  std::string reference;
  Verdict verdict;
  std::vector<FindingGroup> groups;
  HostCallPatterns host_calls;  // of the first evaluation
  int evaluations = 0;
  int reused_graphs = 0;  // evaluations that reused the previous graph (llama.cpp graph reuse)
  std::size_t operations = 0;
  std::size_t accesses = 0;
  int n_copies = 1;
  bool pipeline_parallel = false;
};

PolicyVerdict explain(const ReplayResult& r);

}  // namespace schedcheck
