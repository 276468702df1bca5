// Runs one scenario under one policy through the simulator: prepare, drive the decode loop
// through the backend API into the semantics engine, and collect the trace and findings.
#pragma once

#include <functional>
#include <vector>

#include "driver/decode_driver.hpp"
#include "executor/backend_api.hpp"
#include "model/prepared_run.hpp"
#include "sim/finding.hpp"
#include "sim/trace.hpp"

namespace schedcheck {

struct ReplayResult {
  PreparedRun run;
  std::vector<TraceEntry> trace;
  std::vector<Finding> findings;
  std::vector<HostCall> calls;
  DriverStats stats;
  std::size_t accesses = 0;
};

// suppressed_syncs: synchronizations to leave out (see BackendApi::suppress_syncs).
ReplayResult replay(const Scenario& s, const Policy& policy,
                    const std::vector<int>& suppressed_syncs = {});

class SemanticsEngine;
// The same with the decode loop driven by `drive_run`, which sees the engine (its trace so far).
ReplayResult replay_with(
    const Scenario& s, const Policy& policy,
    const std::function<DriverStats(PreparedRun&, BackendApi&, const SemanticsEngine&)>& drive_run);

}  // namespace schedcheck
