// A real ggml tree as a policy: "ggml@<tag or folder>[,as=<era>]". Its scheduler is the
// tree's own; its knobs are those of the era's built-in policy, for what lies outside ggml
// (llama.cpp's driver rules, the backends' capability profile).
#pragma once

#include <string_view>

#include "scenario/policy.hpp"

namespace schedcheck {

bool is_real_policy_name(std::string_view name);
// The policy of that name (resolved once per process). Throws BridgeError when the tree or
// the era cannot be found.
const Policy& real_policy(std::string_view name);

}  // namespace schedcheck
