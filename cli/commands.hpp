// The schedcheck subcommands. Each returns the process exit code (DESIGN.md §6):
// 0 clean / all expectations met, 1 race, stale read or unmet expectation, 2 bad input or usage.
#pragma once

#include <string>

namespace schedcheck {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;

int run_policies(bool json);
int run_replay(const std::string& file, const std::string& policy, bool json);
int run_corpus(const std::string& dir, bool json);

}  // namespace schedcheck
