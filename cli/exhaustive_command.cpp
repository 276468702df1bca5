// `schedcheck check --exhaustive`: every scenario of the enumeration structure within bounds.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "cli/timeline_file.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/exhaustive_check.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

namespace {

// Saves each mechanism's minimized scenario, and prints or collects the policy's results.
// nullopt after a file could not be saved.
std::optional<nlohmann::ordered_json> report(const Policy& policy, const ExhaustiveCheck& r,
                                             const SaveTarget& save, const CheckArgs& a) {
  nlohmann::ordered_json mechanisms = nlohmann::ordered_json::array();
  std::string details;
  for (const ExhaustiveMechanism& m : r.mechanisms) {
    const Counterexample& c = m.first;
    std::string saved;
    try {
      const auto file =
          fmt::format("{}-{}-exhaustive{}.json", policy.name, to_string(m.mechanism), c.case_index);
      saved = save_counterexample(c, policy, save.place(file), save.is_file);
      if (a.timeline) save_timeline_beside(saved, c.scenario, policy);
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return std::nullopt;
    }
    details += fmt::format(
        "  {}: {} scenarios; first is #{}, minimal {} splits / {} ubatches / {} backends: {}\n",
        to_string(m.mechanism), m.scenarios, c.case_index, c.size.splits, c.size.ubatches,
        c.size.backends, saved);
    mechanisms.push_back({{"mechanism", to_string(m.mechanism)},
                          {"scenarios", m.scenarios},
                          {"first", c.case_index},
                          {"size",
                           {{"splits", c.size.splits},
                            {"ubatches", c.size.ubatches},
                            {"backends", c.size.backends}}},
                          {"saved", saved}});
  }
  if (!a.json)
    std::cout << (r.with_findings
                      ? fmt::format("{}: findings in {} of {} scenarios\n", policy.name,
                                    r.with_findings, r.checked)
                      : fmt::format("{}: clean in all {} scenarios\n", policy.name, r.checked))
              << details;
  return nlohmann::ordered_json{{"policy", policy.name},
                                {"checked", r.checked},
                                {"with_findings", r.with_findings},
                                {"mechanisms", mechanisms}};
}

}  // namespace

int run_exhaustive(const CheckArgs& a) {
  const bool tp = a.shape == kTensorParallelShape;
  if (!a.shape.empty() && !tp) {
    std::cerr << "schedcheck: --exhaustive enumerates its own structure, or with --shape "
                 "tensor-parallel that of tensor parallelism; shape "
              << a.shape << " is the property search's\n";
    return kExitBadInput;
  }
  const auto resolved = resolve_check_policies(a);
  if (!resolved) return kExitBadInput;
  const std::vector<Policy>& policies = *resolved;
  for (const Policy& p : policies)
    if (tp && !p.is_real()) {
      std::cerr << "schedcheck: --shape tensor-parallel: policy " << p.name
                << " is the model's, which does not simulate a meta backend (use --policy "
                   "ggml@ggml-head)\n";
      return kExitBadInput;
    }
  const ExhaustiveBounds bounds{a.max_splits, a.max_backends, a.max_ubatches, tp};
  const auto save = resolve_save_target(a.save.empty() ? "schedcheck-counterexamples" : a.save,
                                        "--save", policies.size());
  if (!save) return kExitBadInput;
  const uint64_t total = enumerate_specs(bounds, [](const ScenarioSpec&) { return true; });
  if (!a.json)
    std::cout << fmt::format(
        "schedcheck check --exhaustive: {} <= {}, {} <= {}, ubatches <= {}: {} scenarios per "
        "policy\n",
        tp ? "blocks" : "splits", bounds.max_splits, tp ? "devices" : "backends",
        bounds.max_backends, bounds.max_ubatches, total);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool found_any = false;
  for (const Policy& policy : policies) {
    const ExhaustiveCheck r = check_exhaustively(policy, bounds);
    if (const auto too_many = save_count_error(*save, r.mechanisms.size(), "--save")) {
      std::cerr << "schedcheck: " << *too_many << "\n";
      return kExitBadInput;
    }
    found_any |= !r.mechanisms.empty();
    const auto j = report(policy, r, *save, a);
    if (!j) return kExitBadInput;
    results.push_back(*j);
  }
  if (a.json)
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-exhaustive/1"},
                                        {"bounds",
                                         {{"max_splits", bounds.max_splits},
                                          {"max_backends", bounds.max_backends},
                                          {"max_ubatches", bounds.max_ubatches},
                                          {"tensor_parallel", tp}}},
                                        {"scenarios_per_policy", total},
                                        {"policies", results}}
                     .dump(2)
              << "\n";
  return found_any ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
