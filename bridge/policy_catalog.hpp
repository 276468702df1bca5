// Every policy a name can select: the built-in ones (model/policies/registry.hpp), a real ggml
// tree ("ggml@...", bridge/real_policy.hpp), and a scenario's own custom policies.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

// Built-in policies followed by the scenario's own.
std::vector<Policy> policies_for(const Scenario& s);
// nullptr if neither a built-in, a real tree nor a custom policy of the scenario has that name.
const Policy* find_policy(const Scenario& s, const std::string& name);
// "unknown policy "x" (known: ...)": the message for a name find_policy does not know; `all`
// when the command also takes "all".
std::string unknown_policy_message(const Scenario& s, const std::string& name, bool all = false);

}  // namespace schedcheck
