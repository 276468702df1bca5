// The host calls of the first evaluation as letters (docs/report-format.md: `s` a blocking
// synchronization, `a` a copy, `g` a launch, ...), whole and per split: the patterns ggml's PR
// threads write ("sassassasg").
#pragma once

#include <string>
#include <vector>

#include "sim/replay.hpp"

namespace schedcheck {

struct SplitCallPattern {
  std::string backend;  // the split's backend
  std::string calls;    // the letters of the calls compute_splits issued for the split
};

struct HostCallPatterns {
  std::string whole;                     // every call of the first evaluation
  std::vector<SplitCallPattern> splits;  // one per split
};

HostCallPatterns first_evaluation_patterns(const ReplayResult& replay);

}  // namespace schedcheck
