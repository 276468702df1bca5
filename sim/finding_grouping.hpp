// Groups a replay's findings across evaluations: the same race usually recurs every ubatch,
// and a report shows its first occurrence and the evaluations where it recurs.
#pragma once

#include <vector>

#include "sim/finding.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

struct FindingOccurrences {
  Finding first;           // the earliest occurrence
  std::vector<int> evals;  // evaluation of the second access of every occurrence
};

// In the order of each group's first occurrence.
std::vector<FindingOccurrences> group_findings(const ReplayResult& replay);

}  // namespace schedcheck
