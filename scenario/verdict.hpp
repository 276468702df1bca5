// A run's verdict as data: whether it has races and whether it has stale reads. Combining
// verdicts is one rule (operator|); the text forms "clean", "race", "stale", "race+stale" are
// written by reports and read by the scenario loader, nowhere else.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace schedcheck {

struct Verdict {
  bool race = false;
  bool stale = false;

  static constexpr Verdict clean() { return {}; }
  static constexpr Verdict races() { return {true, false}; }
  static constexpr Verdict stale_reads() { return {false, true}; }
  static constexpr Verdict races_and_stale_reads() { return {true, true}; }

  constexpr bool is_clean() const { return !race && !stale; }
  // The verdict of a run with the findings of both.
  constexpr Verdict operator|(Verdict o) const { return {race || o.race, stale || o.stale}; }
  Verdict& operator|=(Verdict o) { return *this = *this | o; }
  constexpr bool operator==(const Verdict&) const = default;
};

// "clean" | "race" | "stale" | "race+stale"
std::string to_string(Verdict v);
// The inverse of to_string; nullopt for any other text.
std::optional<Verdict> parse_verdict(std::string_view text);
std::ostream& operator<<(std::ostream& out, Verdict v);  // test failure messages

}  // namespace schedcheck
