#include "properties/exhaustive_check.hpp"

#include <map>

#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

ExhaustiveCheck check_exhaustively(const Policy& policy, const ExhaustiveBounds& bounds) {
  ExhaustiveCheck out;
  std::map<Mechanism, uint64_t> count;      // mechanism -> scenarios showing it
  std::map<Mechanism, ScenarioSpec> first;  // mechanism -> first scenario showing it
  std::map<Mechanism, uint64_t> first_index;
  uint64_t index = 0;
  out.checked = enumerate_specs(bounds, [&](const ScenarioSpec& spec) {
    const auto mechanisms = finding_mechanisms(spec, policy);
    out.with_findings += !mechanisms.empty();
    for (const Mechanism m : mechanisms)
      if (!count[m]++) {
        first[m] = spec;
        first_index[m] = index;
      }
    ++index;
    return true;
  });
  for (auto& [m, spec] : first) {
    Counterexample c;
    c.mechanism = m;
    c.case_index = static_cast<int>(first_index[m]);
    c.original = spec;
    c.shrunk = spec;
    c.shrink_steps = minimize_by_removal(c.shrunk, policy, m);
    c.scenario =
        synthesize(c.shrunk, "exhaustive-" + policy.name + "-" + std::string(to_string(m)));
    c.verdict = explain(replay(c.scenario, policy));
    c.size = spec_size(c.scenario);
    out.mechanisms.push_back({m, count[m], std::move(c)});
  }
  return out;
}

}  // namespace schedcheck
