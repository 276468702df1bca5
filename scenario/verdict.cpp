#include "scenario/verdict.hpp"

namespace schedcheck {

std::string to_string(Verdict v) {
  if (v.race && v.stale) return "race+stale";
  return v.race ? "race" : v.stale ? "stale" : "clean";
}

std::optional<Verdict> parse_verdict(std::string_view text) {
  for (const Verdict v : {Verdict::clean(), Verdict::races(), Verdict::stale_reads(),
                          Verdict::races_and_stale_reads()})
    if (to_string(v) == text) return v;
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, Verdict v) { return out << to_string(v); }

}  // namespace schedcheck
