#include "properties/known_verdicts.hpp"

namespace schedcheck {

bool is_known_outcome(const Policy& policy, Verdict found, bool stopped_by_time) {
  const std::optional<Verdict>& known = policy.known_verdict;
  return !known || found == *known || (stopped_by_time && found.is_clean());
}

}  // namespace schedcheck
