// `check --exhaustive` for one policy: every scenario within the bounds replayed, the scenarios
// per mechanism counted, and the first scenario of each mechanism minimized into a
// counterexample (docs/checking.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "properties/counterexample_search.hpp"
#include "properties/exhaustive_enumeration.hpp"

namespace schedcheck {

struct ExhaustiveMechanism {
  Mechanism mechanism = Mechanism::other;
  uint64_t scenarios = 0;  // how many scenarios show it
  Counterexample first;    // the first that does (case_index: its enumeration index), minimized
};

struct ExhaustiveCheck {
  uint64_t checked = 0;
  uint64_t with_findings = 0;
  std::vector<ExhaustiveMechanism> mechanisms;  // in Mechanism order
};

ExhaustiveCheck check_exhaustively(const Policy& policy, const ExhaustiveBounds& bounds);

}  // namespace schedcheck
