#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bridge/ggml_tree.hpp"
#include "cli/commands.hpp"
#include "model/policies/registry.hpp"
#include "scenario/policy.hpp"

namespace schedcheck {
namespace {

// Which compute_splits runs the policy: the ggml family's, read from the knobs, or a
// hand-written one (model/policies/), which reads no compute_splits knob.
std::string compute_splits_of(const Policy& p) {
  return p.hand_written.empty() ? "ggml (knobs)" : "hand-written (" + p.hand_written + ")";
}

}  // namespace

int run_policies(const PoliciesArgs& args) {
  const bool json = args.json;
  if (json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Policy& p : builtin_policies()) {
      nlohmann::ordered_json knobs;
      for (const auto& k : describe_knobs(p.knobs, p.hand_written.empty()))
        knobs[k.name] = k.value;
      list.push_back({{"name", p.name},
                      {"commit", p.commit},
                      {"reference", p.reference},
                      {"description", p.description},
                      {"compute_splits", compute_splits_of(p)},
                      {"knobs", knobs}});
    }
    std::cout
        << nlohmann::ordered_json{{"schema", "schedcheck-policies/1"}, {"policies", list}}.dump(2)
        << "\n";
    return kExitClean;
  }
  for (const Policy& p : builtin_policies()) {
    std::cout << fmt::format("{}  (ggml {}, {})\n    {}\n", p.name, p.commit, p.reference,
                             p.description);
    std::cout << fmt::format("    {:<30} {}\n", "compute_splits", compute_splits_of(p));
    for (const auto& k : describe_knobs(p.knobs, p.hand_written.empty()))
      std::cout << fmt::format("    {:<30} {}\n", k.name, k.value);
    std::cout << "\n";
  }
  std::cout << "A scenario adds its own policies under \"policies\" (a base policy plus knob "
               "overrides);\n"
               "see docs/policies.md.\n\n";
  // Real ggml trees are policies too (docs/real-ggml.md).
  if (const auto bundle = find_bundle()) {
    std::cout << "Real ggml schedulers: ggml@TAG for a tag of " << bundle->string() << " (";
    for (std::size_t i = 0; i < bundle_tags().size(); ++i)
      std::cout << (i ? ", " : "") << bundle_tags()[i];
    std::cout << "),\nor ggml@/path/to/ggml for a tree of yours; see docs/real-ggml.md.\n";
  } else {
    std::cout << "Real ggml schedulers: ggml@/path/to/ggml for a ggml tree (no ggml bundle found: "
                 "set\nSCHEDCHECK_GGML_BUNDLE for the ggml@TAG names); see docs/real-ggml.md.\n";
  }
  return kExitClean;
}

}  // namespace schedcheck
