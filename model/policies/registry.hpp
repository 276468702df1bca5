// Every built-in policy: the ggml versions (data, scenario/policy.hpp), which run the ggml
// family's compute_splits, and the hand-written policies, each one file of this folder that
// defines a HandWrittenPolicy and one line in registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "executor/execution_layout.hpp"
#include "model/policies/split_policy.hpp"
#include "model/prepared_run.hpp"
#include "scenario/policy.hpp"

namespace schedcheck {

struct HandWrittenPolicy {
  Policy policy;  // name, provenance, and the knobs it reads (scheduler, driver, profile)
  std::vector<PolicyEventSpec> events;  // the per-backend events its compute_splits uses
  std::function<std::unique_ptr<SplitPolicy>(const PreparedRun&)> make;
};

const std::vector<HandWrittenPolicy>& hand_written_policies();
// The ggml versions followed by the hand-written policies.
const std::vector<Policy>& builtin_policies();
const Policy* find_builtin_policy(std::string_view name);

// The events a policy's compute_splits asks the layout for.
std::vector<PolicyEventSpec> policy_event_specs(const Policy& policy);
// The compute_splits of a run's policy. Throws std::invalid_argument for a hand-written name
// that is not registered.
std::unique_ptr<SplitPolicy> make_split_policy(const PreparedRun& run);

}  // namespace schedcheck
