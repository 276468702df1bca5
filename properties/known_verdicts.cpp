#include "properties/known_verdicts.hpp"

#include <map>

namespace schedcheck {

std::optional<std::string> known_verdict(const std::string& policy) {
  static const std::map<std::string, std::string> table{};
  auto it = table.find(policy);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

}  // namespace schedcheck
