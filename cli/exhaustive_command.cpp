// `schedcheck check --exhaustive`: every scenario of the enumeration structure within bounds.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/exhaustive_enumeration.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

int run_exhaustive(const CheckArgs& a) {
  const auto resolved = resolve_check_policies(a);
  if (!resolved) return kExitBadInput;
  const std::vector<Policy>& policies = *resolved;
  const ExhaustiveBounds bounds{a.max_splits, a.max_backends, a.max_ubatches};
  const auto save = resolve_save_target(a.save.empty() ? "schedcheck-counterexamples" : a.save,
                                        "--save", policies.size());
  if (!save) return kExitBadInput;
  const uint64_t total = enumerate_specs(bounds, [](const ScenarioSpec&) { return true; });
  if (!a.json)
    std::cout << fmt::format(
        "schedcheck check --exhaustive: splits <= {}, backends <= {}, ubatches <= {}: {} scenarios "
        "per policy\n",
        bounds.max_splits, bounds.max_backends, bounds.max_ubatches, total);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool found_any = false;
  for (const Policy& policy : policies) {
    std::map<std::string, uint64_t> count;      // mechanism -> scenarios showing it
    std::map<std::string, ScenarioSpec> first;  // mechanism -> first scenario showing it
    std::map<std::string, uint64_t> first_index;
    uint64_t index = 0, racy = 0;
    enumerate_specs(bounds, [&](const ScenarioSpec& spec) {
      const auto mechanisms = finding_mechanisms(spec, policy);
      racy += !mechanisms.empty();
      for (const std::string& m : mechanisms) {
        if (!count[m]++) {
          first[m] = spec;
          first_index[m] = index;
        }
      }
      ++index;
      return true;
    });
    nlohmann::ordered_json j{{"policy", policy.name}, {"checked", total}, {"with_findings", racy}};
    nlohmann::ordered_json mech = nlohmann::ordered_json::array();
    std::string line =
        racy ? fmt::format("{}: findings in {} of {} scenarios", policy.name, racy, total)
             : fmt::format("{}: clean in all {} scenarios", policy.name, total);
    std::string details;
    if (const auto too_many = save_count_error(*save, first.size(), "--save")) {
      std::cerr << "schedcheck: " << *too_many << "\n";
      return kExitBadInput;
    }
    for (auto& [m, spec] : first) {
      found_any = true;
      Counterexample c;
      c.mechanism = m;
      c.case_index = static_cast<int>(first_index[m]);
      c.original = spec;
      c.shrunk = spec;
      c.shrink_steps = minimize_by_removal(c.shrunk, policy, m);
      c.scenario = synthesize(c.shrunk, "exhaustive-" + policy.name + "-" + m);
      c.verdict = explain(replay(c.scenario, policy));
      c.size = spec_size(c.scenario);
      std::string saved;
      try {
        const auto file = fmt::format("{}-{}-exhaustive{}.json", policy.name, m, c.case_index);
        saved = save_counterexample(c, policy, save->place(file), save->is_file);
      } catch (const std::exception& e) {
        std::cerr << "schedcheck: " << e.what() << "\n";
        return kExitBadInput;
      }
      details += fmt::format(
          "  {}: {} scenarios; first is #{}, minimal {} splits / {} ubatches / {} backends: {}\n",
          m, count[m], c.case_index, c.size.splits, c.size.ubatches, c.size.backends, saved);
      mech.push_back({{"mechanism", m},
                      {"scenarios", count[m]},
                      {"first", c.case_index},
                      {"size",
                       {{"splits", c.size.splits},
                        {"ubatches", c.size.ubatches},
                        {"backends", c.size.backends}}},
                      {"saved", saved}});
    }
    j["mechanisms"] = mech;
    results.push_back(j);
    if (!a.json) std::cout << line << "\n" << details;
  }
  if (a.json)
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-exhaustive/1"},
                                        {"bounds",
                                         {{"max_splits", bounds.max_splits},
                                          {"max_backends", bounds.max_backends},
                                          {"max_ubatches", bounds.max_ubatches}}},
                                        {"scenarios_per_policy", total},
                                        {"policies", results}}
                     .dump(2)
              << "\n";
  return found_any ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
