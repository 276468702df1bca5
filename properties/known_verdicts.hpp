// What `schedcheck check` is known to find for each built-in policy on the generator
// distribution (docs/policies.md): CI asserts these with --assert-known.
#pragma once

#include <optional>
#include <string>

#include "scenario/verdict.hpp"

namespace schedcheck {

// nullopt for policies without a known verdict.
std::optional<Verdict> known_verdict(const std::string& policy);

// Whether a search of `policy` came out as known (true for a policy without a known verdict);
// a search stopped by its time budget may also come out clean.
bool is_known_outcome(const std::string& policy, Verdict found, bool stopped_by_time);

}  // namespace schedcheck
