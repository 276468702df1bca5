// What `schedcheck advise` reports, as data: the required-sync analysis of a run, its call
// sequence per (evaluation, split) with each synchronization marked necessary or redundant and
// each missing edge inserted, and how many host-blocking synchronizations a minimal set keeps.
// Writers (cli/advise_command.cpp) only format this.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/input_write_fixes.hpp"
#include "sim/race_report.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {

// A host call of the run, as advise marks it.
struct MarkedCall {
  char letter = 0;         // the host-call letter (docs/report-format.md)
  bool implicit = false;   // a wait the call performs inside (a blocking fallback)
  bool redundant = false;  // a synchronization the run does not need
};

// A missing edge (a race of the run) on the line of the access that needs the wait.
struct MissingWait {
  Mechanism mechanism = Mechanism::other;
  std::string from;  // the agent of the first access
  std::string to;    // the agent that must wait
};

// The calls of one (evaluation, split), then the waits missing there.
struct CallLine {
  std::vector<MarkedCall> calls;
  std::vector<MissingWait> missing_waits;
};

struct Advice {
  SyncAnalysis analysis;
  PolicyVerdict verdict;  // of the run as the policy issues it
  // (evaluation, split; -1 = the driver) -> the calls and missing waits there.
  std::map<std::pair<int, int>, CallLine> call_lines;
  int host_blocking = 0;       // host-blocking synchronizations the run issues
  int host_blocking_kept = 0;  // of those, in the minimal set
  int evaluations = 1;
  // With H5 findings: llama#28058's synchronize and llama#27311's input ring, each replayed.
  std::vector<InputWriteFix> input_write_fixes;

  bool in_minimal_set(int sync_id) const;
  // A count of this run's calls per evaluation (ubatch).
  double per_ubatch(int count) const { return static_cast<double>(count) / evaluations; }
};

Advice advise(const Scenario& s, const Policy& policy);

// The scenario with one more custom policy, `policy` keeping only the minimal set, and the
// verdict its replay gives as that policy's expectation (`advise --apply`). Throws
// std::invalid_argument when the scenario already has a policy of that name.
Scenario with_minimal_set_policy(Scenario s, const Policy& policy, const SyncAnalysis& a);

}  // namespace schedcheck
