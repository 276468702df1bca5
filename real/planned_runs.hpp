// Which GPU runs `schedcheck real` makes for a policy: the simulation of the scenario and one
// delay plan per run for --delays MODE: none, auto (each predicted race pushed the wrong way;
// random stress when the simulator predicts none), random:SEED, a plan file, or from:POLICY
// (another policy's races pushed the wrong way, on this policy's calls).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "real/delay_plan.hpp"
#include "sim/race_report.hpp"

namespace schedcheck {

struct PlannedRun {
  DelayPlan plan;
  std::string finding;  // the simulator finding the plan targets, if any
};

struct PolicyRuns {
  Policy policy;
  PolicyVerdict verdict;  // the simulator's
  std::vector<PlannedRun> plans;
};

// Throws ScenarioError for a plan file that does not load, std::invalid_argument (or another
// std::exception) for a MODE that is none of the above.
PolicyRuns plan_runs(const Scenario& s, const Policy& policy, const std::string& mode, int runs);
// The same from a simulation already run.
PolicyRuns plan_runs(const ReplayResult& sim, const std::string& mode, int runs);

// --delays from:POLICY: the policy named ("all": every policy of the scenario), else nothing
// (another MODE).
std::optional<std::string> carried_from(const std::string& mode);
// The runs of sim's policy for --delays from:POLICY, with `from` the scenario under POLICY (under
// each policy, for from:all): the targeted plan of every race they predict, carried onto sim's
// calls (real/carried_plan.hpp), `runs` times each. Throws std::invalid_argument when they
// predict no race here.
PolicyRuns plan_carried_runs(const ReplayResult& sim, const std::vector<ReplayResult>& from,
                             int runs);

}  // namespace schedcheck
