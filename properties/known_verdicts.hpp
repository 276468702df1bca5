// What `schedcheck check` is known to find for each built-in policy on the generator
// distribution (docs/policies.md): CI asserts these with --assert-known.
#pragma once

#include <optional>
#include <string>

#include "scenario/verdict.hpp"

namespace schedcheck {

// nullopt for policies without a known verdict.
std::optional<Verdict> known_verdict(const std::string& policy);

}  // namespace schedcheck
