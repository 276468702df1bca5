// Delay plans carried from one policy's calls to another's: the holds that expose an old
// version's races, applied to a new version's run of the same scenario (`real --delays
// from:POLICY`). A delay names a call by its index, and the indices differ between policies;
// the operation does not: the same accesses of the same logical values (tensor T of evaluation e,
// in the same buffer), the n-th such operation of the run.
#pragma once

#include <vector>

#include "real/planned_runs.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

// `plan` (made for `from`'s calls) on `to`'s calls. A delay whose operation `to` runs on a queue
// holds that queue before it, on the same agent as in `from` when `to` has it there, else where
// `to` runs it; a delay whose operation `to` lacks, or performs on the host or on a hidden
// blocking stream (where nothing can overtake it), is left out, and the plan's name says how many.
DelayPlan carry_plan(const DelayPlan& plan, const ReplayResult& from, const ReplayResult& to);

// Per race that `from` predicts, its targeted plan (delay_plan.hpp) carried onto `to`, `runs`
// times each: `to` is run as `from` would have had to be run to show its races.
std::vector<PlannedRun> carried_targeted_plans(const ReplayResult& from, const ReplayResult& to,
                                               int runs);

}  // namespace schedcheck
