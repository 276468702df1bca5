// `--timeline`: the run of one policy drawn as an HTML page (timeline/), written where the user
// asked (replay, advise) or beside a saved counterexample (check); never over a file the user has.
#pragma once

#include <optional>
#include <string>

#include "scenario/policy.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {

// The page of a replay (verdict = explain(replay)).
std::string timeline_page(const ReplayResult& replay, const PolicyVerdict& verdict,
                          const ReportContext& context);
// The same after replaying `s` under `policy` (deterministic, milliseconds).
std::string timeline_page(const Scenario& s, const Policy& policy, const ReportContext& context);

// Why `--timeline OUT` cannot be written (it exists), or nullopt.
std::optional<std::string> timeline_target_error(const std::string& out);
// Writes the page at `out`, a new file; false after printing why.
bool write_timeline(const std::string& page, const std::string& out);

// check --timeline: NAME.html beside the saved NAME.json (the same page there already: left as
// it is; a different file: std::runtime_error). Returns the path.
std::string save_timeline_beside(const std::string& saved_json, const Scenario& s,
                                 const Policy& policy);

}  // namespace schedcheck
