// Classifies a finding into its mechanism (the hazards of spec §8 and the kinds of stale read,
// scenario/mechanism.hpp) from the agents, operations and buffers of its two accesses.
#pragma once

#include "scenario/mechanism.hpp"
#include "sim/finding.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

Mechanism classify_mechanism(const ReplayResult& replay, const Finding& finding);

}  // namespace schedcheck
