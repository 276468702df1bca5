#include "cli/counterexample_file.hpp"

#include <cctype>

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "driver/scenario_file.hpp"

namespace schedcheck {

namespace fs = std::filesystem;

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

// Writes the counterexample as a scenario file with its expectation; never overwrites a
// different existing file. Returns the path written, or throws std::runtime_error.
std::string save_counterexample(const Counterexample& c, const Policy& policy, fs::path path,
                                bool exact_path) {
  nlohmann::ordered_json doc = save_scenario(c.scenario);
  doc["description"] = fmt::format(
      "Counterexample found by `schedcheck check --policy {} --seed {}` (case {}), shrunk to {} "
      "splits, "
      "{} ubatches, {} backends; {}. Reproduce: schedcheck replay <this file> --policy {}",
      policy.name, c.seed, c.case_index, c.size.splits, c.size.ubatches, c.size.backends,
      c.mechanism, policy.name);
  if (!policy.builtin) {
    nlohmann::ordered_json knobs;
    for (const auto& k : describe_knobs(policy.knobs)) knobs[k.name] = k.value;
    doc["policies"] = nlohmann::ordered_json::array(
        {{{"name", policy.name}, {"base", "ggml-v0"}, {"knobs", knobs}}});
  }
  doc["expect"] = {{policy.name, {{"verdict", to_string(c.verdict.verdict)}, {"mechanisms", {c.mechanism}}}}};
  const std::string text = doc.dump(2) + "\n";
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());
  if (fs::exists(path) && read_file(path) != text) {
    if (exact_path)
      throw std::runtime_error(path.string() + " exists and differs; not overwriting it");
    for (int n = 2; fs::exists(path) && read_file(path) != text; ++n)
      path.replace_filename(path.stem().string().substr(0, path.stem().string().rfind("~")) + "~" +
                            std::to_string(n) + ".json");
  }
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

fs::path default_counterexample_path(const Counterexample& c, const Policy& policy) {
  // Policy names of real trees hold paths ("ggml@/src/ggml"): keep file names plain.
  std::string name = policy.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '@')
      ch = '_';
  return fs::path("schedcheck-counterexamples") /
         fmt::format("{}-{}-seed{}-case{}.json", name, c.mechanism, c.seed, c.case_index);
}

}  // namespace schedcheck
