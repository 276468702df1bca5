#include "scenario/mechanism.hpp"

#include <array>

namespace schedcheck {

namespace {
constexpr std::array<std::pair<Mechanism, std::string_view>, 11> kNames{{
    {Mechanism::H1, "H1"},
    {Mechanism::H2, "H2"},
    {Mechanism::H3, "H3"},
    {Mechanism::H4, "H4"},
    {Mechanism::H5, "H5"},
    {Mechanism::M1, "M1"},
    {Mechanism::other, "other"},
    {Mechanism::stale, "stale"},
    {Mechanism::stale_host_read, "stale-host-read"},
    {Mechanism::stale_slot, "stale-slot"},
    {Mechanism::uninitialized, "uninitialized"},
}};
}  // namespace

std::string_view to_string(Mechanism m) {
  for (const auto& [mechanism, name] : kNames)
    if (mechanism == m) return name;
  return "?";
}

std::optional<Mechanism> parse_mechanism(std::string_view text) {
  for (const auto& [mechanism, name] : kNames)
    if (name == text) return mechanism;
  return std::nullopt;
}

std::string mechanism_names() {
  std::string out;
  for (const auto& [mechanism, name] : kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, Mechanism m) {
  return out << to_string(m);
}

}  // namespace schedcheck
