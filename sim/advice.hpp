// What `schedcheck advise` reports, as data: the required-sync analysis of a run, its call
// sequence per (evaluation, split) with each synchronization marked necessary or redundant and
// each missing edge inserted, and how many host-blocking synchronizations a minimal set keeps.
// Writers (cli/advise_command.cpp) only format this.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "sim/race_report.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {

struct Advice {
  SyncAnalysis analysis;
  PolicyVerdict verdict;  // of the run as the policy issues it
  // (evaluation, split; -1 = the driver) -> "g (s) e? +wait([H1] CUDA1 -> CUDA0)": call letters,
  // waits inside a call in parentheses, '?' after a redundant synchronization.
  std::map<std::pair<int, int>, std::string> call_lines;
  int host_blocking = 0;       // host-blocking synchronizations the run issues
  int host_blocking_kept = 0;  // of those, in the minimal set
  int evaluations = 1;

  bool in_minimal_set(int sync_id) const;
};

Advice advise(const Scenario& s, const Policy& policy);

// The scenario with one more custom policy, `policy` keeping only the minimal set, and the
// verdict its replay gives as that policy's expectation (`advise --apply`). Throws
// std::invalid_argument when the scenario already has a policy of that name.
Scenario with_minimal_set_policy(Scenario s, const Policy& policy, const SyncAnalysis& a);

}  // namespace schedcheck
