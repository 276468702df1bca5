// Program scenarios in tests: a step by name (fails the test when there is none), and whether a
// finding is the program's own write.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "driver/scenario_file.hpp"
#include "scenario/scenario.hpp"
#include "sim/replay.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {

// A report of the project, without its expectations (tests assert their own).
inline Scenario load_report(const std::string& path) {
  Scenario s = load_scenario_file(source_path(path));
  s.expectations.clear();
  return s;
}

inline std::size_t step_named(const Scenario& s, const std::string& name) {
  for (std::size_t i = 0; i < s.program.size(); ++i)
    if (s.program[i].name == name) return i;
  ADD_FAILURE() << "no step " << name;
  return 0;
}

// Whether a finding's later access is a write the program makes itself between scheduler calls
// (set_input, upload) into memory that queued work still reads: no scheduler can order it.
inline bool program_own_write(const Scenario& s, const ReplayResult& r, const Finding& f) {
  if (s.program.empty()) return false;
  const TraceEntry& e = r.trace.at(static_cast<std::size_t>(f.second_op));
  return e.site().role == Role::driver && e.op.kind == OpKind::host_write;
}

}  // namespace schedcheck::testing
