// Confirming one finding of a scenario on the GPU (`schedcheck check --real`): the delay plan
// targeted at the finding with that mechanism (none for a stale read), at most two runs.
#pragma once

#include <string>

#include "real/real_run.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck {

// What happened, in words: "confirmed in run N ...", "NOT confirmed ...", "not observable ...",
// or "not run: why".
std::string confirm_on_gpu(const Scenario& s, const Policy& policy, Mechanism mechanism,
                           const GpuPlacement& placement);

}  // namespace schedcheck
