#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/differential_search.hpp"
#include "sim/differential.hpp"

namespace schedcheck {
namespace fs = std::filesystem;
namespace {

// The (model, real) pairs a --policy names: a version, a real tree, or all versions.
std::vector<std::pair<Policy, Policy>> pairs_for(const std::string& name) {
  std::vector<std::pair<Policy, Policy>> out;
  auto add_version = [&](const Policy& model) {
    out.emplace_back(model, real_policy(std::string(kRealPolicyPrefix) + model.name));
  };
  if (name == "all") {
    for (const Policy& p : ggml_versions()) add_version(p);
  } else if (is_real_policy_name(name)) {
    const Policy& real = real_policy(name);
    out.emplace_back(*find_builtin_policy(resolve_tree(name.substr(kRealPolicyPrefix.size())).era),
                     real);
  } else if (const Policy* p = find_ggml_version(name)) {
    add_version(*p);
  }
  return out;
}

int unknown_pair(const std::string& policy) {
  std::cerr << "schedcheck: diff compares a ggml version's model with its real scheduler: "
               "expected --policy ggml-v0|ggml-17795|ggml-20463|ggml-20793|ggml-25138|"
               "ggml-26040, a real tree ggml@TAG or ggml@PATH, or all; got \""
            << policy << "\"\n";
  return kExitBadInput;
}

nlohmann::ordered_json to_json(const Policy& model, const Policy& real,
                               const DifferentialResult& d) {
  nlohmann::ordered_json j;
  j["model"] = model.name;
  j["real"] = real.name;
  j["agree"] = d.agree();
  j["model_operations"] = d.model_operations;
  j["real_operations"] = d.real_operations;
  j["model_verdict"] = to_string(d.model_verdict);
  j["real_verdict"] = to_string(d.real_verdict);
  if (d.divergence) {
    j["first_divergence"] = {{"index", d.divergence->index},
                             {"model", d.divergence->model},
                             {"real", d.divergence->real}};
  }
  return j;
}

}  // namespace

int run_diff_generated(const DiffArgs& a) {
  const auto pairs = pairs_for(a.policy);
  if (pairs.empty()) return unknown_pair(a.policy);
  std::cout << fmt::format("schedcheck diff: {} generated scenarios, seed {}, {} job(s)\n",
                           a.cases, a.seed, a.jobs);
  const auto save = resolve_save_target(a.save, "--save", pairs.size());
  if (!save) return kExitBadInput;
  bool all_agree = true;
  for (const DifferentialRun& run : differential_search(pairs, a.cases, a.seed, a.jobs)) {
    const double per_model = run.model_seconds / run.cases * 1e3;
    const double per_real = run.real_seconds / run.cases * 1e3;
    std::cout << fmt::format("{:<12} vs {:<18} {:>6} scenarios, {:>4} differ; per scenario: "
                             "model {:.2f} ms, real {:.2f} ms\n",
                             run.model.name, run.real.name, run.cases, run.divergent, per_model,
                             per_real);
    if (run.failed > 0) {
      all_agree = false;
      std::cout << fmt::format("  {} case(s) the real scheduler could not run; first: case {}: {}\n",
                               run.failed, run.first_failed_case, run.first_failure);
    }
    if (!run.first) continue;
    all_agree = false;
    const DivergentCase& c = *run.first;
    std::string out;
    try {
      out = write_scenario_file(save_scenario(c.scenario).dump(2) + "\n",
                                save->place(c.scenario.name + ".json"), save->is_file);
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return kExitBadInput;
    }
    std::cout << fmt::format("  first: case {} (seed {}), shrunk and saved as {}\n", c.case_index,
                             a.seed, out);
    if (c.result.divergence)
      std::cout << "  model: " << c.result.divergence->model << "\n"
                << "  real:  " << c.result.divergence->real << "\n";
    std::cout << fmt::format("  replay: schedcheck diff {} --policy {}\n", out,
                             run.model.name);
  }
  return all_agree ? kExitClean : kExitFindings;
}

int run_diff(const DiffArgs& a) {
  if (a.cases > 0) return run_diff_generated(a);
  const std::string& file = a.file;
  const std::string& policy = a.policy;
  const bool json = a.json;
  if (file.empty()) {
    std::cerr << "schedcheck: diff needs a scenario FILE or --cases N\n";
    return kExitBadInput;
  }
  Scenario s;
  try {
    s = load_scenario_file(file);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  const auto pairs = pairs_for(policy);
  if (pairs.empty()) return unknown_pair(policy);
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
                               real.name, s.name, d.model_operations, to_string(d.model_verdict));
      continue;
    }
    std::cout << fmt::format("{} and {} differ on {} ({} vs {} operations, verdict {} vs {})\n",
                             model.name, real.name, s.name, d.model_operations, d.real_operations,
                             to_string(d.model_verdict), to_string(d.real_verdict));
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
