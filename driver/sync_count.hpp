// How many synchronizations a scenario's run under a policy numbers (the ids `schedcheck
// advise` prints and a policy's skip_syncs refers to). The host program does not depend on
// timing, so the count is found without an execution engine.
#pragma once

#include "scenario/policy.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck {

int count_syncs(const Scenario& s, const Policy& policy);

}  // namespace schedcheck
