#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "cli/commands.hpp"
#include "model/scenario_json.hpp"
#include "sim/differential.hpp"

namespace schedcheck {
namespace {

// The (model, real) pairs a --policy names: a version, a real tree, or all versions.
std::vector<std::pair<Policy, Policy>> pairs_for(const std::string& name) {
  std::vector<std::pair<Policy, Policy>> out;
  auto add_version = [&](const Policy& model) {
    out.emplace_back(model, real_policy(std::string(kRealPolicyPrefix) + model.name));
  };
  if (name == "all") {
    for (const Policy& p : builtin_policies())
      if (p.name.rfind("ggml-", 0) == 0) add_version(p);
  } else if (is_real_policy_name(name)) {
    const Policy& real = real_policy(name);
    out.emplace_back(*find_builtin_policy(resolve_tree(name.substr(kRealPolicyPrefix.size())).era),
                     real);
  } else if (const Policy* p = find_builtin_policy(name); p && p->name != "schedcheck-min") {
    add_version(*p);
  }
  return out;
}

nlohmann::ordered_json to_json(const Policy& model, const Policy& real,
                               const DifferentialResult& d) {
  nlohmann::ordered_json j;
  j["model"] = model.name;
  j["real"] = real.name;
  j["agree"] = d.agree();
  j["model_operations"] = d.model_operations;
  j["real_operations"] = d.real_operations;
  j["model_verdict"] = d.model_verdict;
  j["real_verdict"] = d.real_verdict;
  if (d.divergence) {
    j["first_divergence"] = {{"index", d.divergence->index},
                             {"model", d.divergence->model},
                             {"real", d.divergence->real}};
  }
  return j;
}

}  // namespace

int run_diff(const std::string& file, const std::string& policy, bool json) {
  Scenario s;
  try {
    s = load_scenario_file(file);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  const auto pairs = pairs_for(policy);
  if (pairs.empty()) {
    std::cerr << "schedcheck: diff compares a ggml version's model with its real scheduler: "
                 "expected --policy ggml-v0|ggml-17795|ggml-20463|ggml-20793|ggml-25138|"
                 "ggml-26040, a real tree ggml@TAG or ggml@PATH, or all; got \""
              << policy << "\"\n";
    return kExitBadInput;
  }
  bool all_agree = true;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [model, real] : pairs) {
    const DifferentialResult d = differential(s, model, real);
    all_agree &= d.agree();
    if (json) {
      out.push_back(to_json(model, real, d));
      continue;
    }
    if (d.agree()) {
      std::cout << fmt::format("{} and {} agree on {}: {} operations, verdict {}\n", model.name,
                               real.name, s.name, d.model_operations, d.model_verdict);
      continue;
    }
    std::cout << fmt::format("{} and {} differ on {} ({} vs {} operations, verdict {} vs {})\n",
                             model.name, real.name, s.name, d.model_operations, d.real_operations,
                             d.model_verdict, d.real_verdict);
    if (d.divergence) {
      if (!d.divergence->context.empty())
        std::cout << "  both:\n" << d.divergence->context;
      std::cout << "  model: " << d.divergence->model << "\n"
                << "  real:  " << d.divergence->real << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return all_agree ? kExitClean : kExitFindings;
}

}  // namespace schedcheck
