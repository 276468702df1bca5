// Runs a program (the compiler, git) without a shell, its output to a log file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace schedcheck {

// The exit status (or -1 when it could not be started); stdout and stderr go to log.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log,
                const std::filesystem::path& input = {});
// The last lines of a log, for error messages.
std::string log_tail(const std::filesystem::path& log, int lines = 12);

}  // namespace schedcheck
