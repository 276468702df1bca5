// A run of a real ggml tree over ggml's own backends (policy `ggml@TREE,devices=ggml-cuda` or
// `,devices=ggml-cpu`): every call the tree's scheduler makes of the backends is recorded and
// checked by the happens-before detector, as a simulation is (the sanitizer use); a delay plan
// holds queues back or sleeps the host before chosen calls; every value the host reads is
// compared with ggml-cpu's sequential computation of the same graph.
#pragma once

#include <string>
#include <vector>

#include "bridge/plugin_abi.hpp"
#include "real/delay_plan.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

struct RecordedRun {
  ReplayResult recorded;  // the real calls through the detector: trace and findings
  std::vector<bridge::ReadMismatch> mismatches;
  // Graphs with own ops (compared with a tolerance): how many reads were compared, and the
  // largest error among them (bridge::ReadMismatch::error).
  int reads_compared = 0;
  double max_read_error = 0;
  double seconds = 0;  // the whole run: the scheduler's and the devices' setup included
  // The decode itself: milliseconds from the first evaluation's graph_compute_async to each
  // later one's (the host's pace), and to the end of the last synchronize.
  std::vector<double> compute_start_ms;
  double decode_ms = 0;
};

// The checker's self-test: the run writes other values into a user input in one evaluation.
struct InputFault {
  Index tensor = kNone;
  int eval = -1;
};

// The scenario as a run over ggml's own backends sees it: with "ggml-cuda", every GPU backend
// must be a CUDA one (BridgeError otherwise), and device buffers take ggml-cuda's alignment,
// 128 bytes, where theirs is smaller (docs/fidelity.md F14), for the simulation too.
Scenario scenario_for_ggml_backends(Scenario s, const std::string& backend);

// Throws BridgeError (the tree, ggml, or a capability the backend profile gets wrong) and
// ScenarioError like replay().
RecordedRun record_real_run(const Scenario& s, const Policy& policy, const DelayPlan& plan,
                            const InputFault& fault = {});

}  // namespace schedcheck
