#include "cli/counterexample_file.hpp"

#include <cctype>

#include <fmt/format.h>

#include <fstream>
#include <iostream>
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
      to_string(c.variant), policy.name);
  if (!policy.builtin) {
    nlohmann::ordered_json knobs;
    for (const auto& k : describe_knobs(policy.knobs)) knobs[k.name] = k.value;
    doc["policies"] = nlohmann::ordered_json::array(
        {{{"name", policy.name}, {"base", "ggml-v0"}, {"knobs", knobs}}});
  }
  doc["expect"] = {{policy.name,
                    {{"verdict", to_string(c.verdict.verdict)},
                     {"mechanisms", {std::string(to_string(c.mechanism))}}}}};
  return write_scenario_file(doc.dump(2) + "\n", std::move(path), exact_path);
}

std::string write_scenario_file(const std::string& text, fs::path path, bool exact_path) {
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

fs::path SaveTarget::place(const fs::path& default_name) const {
  return is_file ? path : path / default_name.filename();
}

std::optional<SaveTarget> resolve_save_target(const std::string& arg, const std::string& option,
                                              std::size_t how_many) {
  const fs::path p(arg);
  const bool json_name = p.extension() == ".json";
  if (fs::is_directory(p) || !json_name) {
    if (fs::exists(p) && !fs::is_directory(p)) {
      std::cerr << fmt::format(
          "schedcheck: {} {}: exists and is not a folder (a folder, or a new FILE.json for one "
          "scenario, was expected)\n",
          option, arg);
      return std::nullopt;
    }
    return SaveTarget{p, false};
  }
  if (how_many > 1) {
    std::cerr << fmt::format(
        "schedcheck: {} {}: names one file, but this run saves up to {} scenarios (one per "
        "policy); give a folder\n",
        option, arg, how_many);
    return std::nullopt;
  }
  return SaveTarget{p, true};
}

std::optional<std::string> save_count_error(const SaveTarget& t, std::size_t found,
                                            const std::string& option) {
  if (!t.is_file || found <= 1) return std::nullopt;
  return fmt::format(
      "{} {}: names one file, but {} counterexamples were found; give a folder (the same "
      "arguments find the same ones)",
      option, t.path.string(), found);
}

fs::path default_counterexample_path(const Counterexample& c, const Policy& policy) {
  // Policy names of real trees hold paths ("ggml@/src/ggml"): keep file names plain.
  std::string name = policy.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '@')
      ch = '_';
  // Variants of one mechanism found by the same case need names of their own.
  const std::string finding =
      c.variant_kept ? slug(c.variant) : std::string(to_string(c.mechanism));
  return fs::path("schedcheck-counterexamples") /
         fmt::format("{}-{}-seed{}-case{}.json", name, finding, c.seed, c.case_index);
}

}  // namespace schedcheck
