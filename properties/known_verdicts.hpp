// Whether a property search came out as known: each built-in policy carries what `schedcheck
// check` is known to find on the generator distribution (Policy::known_verdict,
// docs/policies.md); CI asserts it with --assert-known.
#pragma once

#include "scenario/policy.hpp"

namespace schedcheck {

// True for a policy without a known verdict; a search stopped by its time budget may also
// come out clean.
bool is_known_outcome(const Policy& policy, Verdict found, bool stopped_by_time);

}  // namespace schedcheck
