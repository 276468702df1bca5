// Runs the schedcheck binary as a user would and captures exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace schedcheck::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("schedcheck-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs a shell command line (callers quote as needed), in `cwd` when given.
inline CommandResult run_shell(const std::string& command, const std::string& cwd = "") {
  static int counter = 0;
  auto dir = scratch_dir("cmd");
  auto out = dir / ("out" + std::to_string(counter));
  auto err = dir / ("err" + std::to_string(counter++));
  std::string cmd = (cwd.empty() ? std::string() : "cd '" + cwd + "' && ") + "(" + command +
                    ") >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(out);
  r.err = read_all(err);
  return r;
}

// `args` is appended to the binary's path as shell words (callers quote as needed); the command
// runs in `cwd` when given.
inline CommandResult run_schedcheck(const std::string& args, const std::string& cwd = "") {
  return run_shell("'" + std::string(SCHEDCHECK_BINARY) + "' " + args, cwd);
}

// The command was refused as bad input (exit 2) with a message that contains `fragment`.
inline void expect_bad_input(const CommandResult& r, const std::string& fragment,
                             const std::string& command = "") {
  EXPECT_EQ(r.exit_code, 2) << command;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << command << ": " << r.err;
}

}  // namespace schedcheck::testing
