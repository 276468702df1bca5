#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bridge/real_policy.hpp"
#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {
namespace {

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

CorpusOutcome outcome(const std::string& file, const Scenario& s, const Expectation& e,
                      const Policy& policy) {
  const PolicyVerdict v = explain(replay(s, policy));
  CorpusOutcome o{file, policy.name, e.verdict, v.verdict, {}, v.verdict == e.verdict};
  for (const std::string& m : e.mechanisms)
    if (std::none_of(v.groups.begin(), v.groups.end(),
                     [&](const FindingGroup& g) { return g.mechanism == m; }))
      o.missing_mechanisms.push_back(m);
  o.ok = o.ok && o.missing_mechanisms.empty();
  return o;
}

std::vector<CorpusOutcome> corpus_outcomes(const std::string& dir, bool with_real) {
  std::vector<CorpusOutcome> outcomes;
  for (const std::string& file : scenario_files(dir)) {
    const Scenario s = load_scenario_file(file);
    if (s.expectations.empty()) {
      outcomes.push_back({file, "-", std::nullopt, std::nullopt, {}, false});
      continue;
    }
    for (const Expectation& e : s.expectations) {
      outcomes.push_back(outcome(file, s, e, *find_policy(s, e.policy)));
      // The same expectation of that version's real scheduler (bridge/).
      if (with_real && find_ggml_version(e.policy))
        outcomes.push_back(outcome(file, s, e, real_policy("ggml@" + e.policy)));
    }
  }
  return outcomes;
}

int run_corpus(const std::string& dir, bool json, bool with_real) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "schedcheck: corpus folder \"" << dir << "\" does not exist or is not a folder\n";
    return kExitBadInput;
  }
  std::vector<CorpusOutcome> outcomes;
  try {
    outcomes = corpus_outcomes(dir, with_real);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  const auto failed =
      std::count_if(outcomes.begin(), outcomes.end(), [](const CorpusOutcome& o) { return !o.ok; });
  if (json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& o : outcomes)
      list.push_back({{"file", o.file},
                      {"policy", o.policy},
                      {"expected", o.expected_text()},
                      {"got", o.got_text()},
                      {"missing_mechanisms", o.missing_mechanisms},
                      {"ok", o.ok}});
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-corpus/1"},
                                        {"results", list},
                                        {"passed", outcomes.size() - failed},
                                        {"failed", failed}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& o : outcomes) {
      std::string line = fmt::format("{:<4} {}  {:<18} expected {:<10} got {}",
                                     o.ok ? "ok" : "FAIL", o.file, o.policy, o.expected_text(),
                                     o.got_text());
      if (!o.missing_mechanisms.empty())
        line += "; missing mechanisms: " + fmt::format("{}", fmt::join(o.missing_mechanisms, " "));
      std::cout << line << "\n";
    }
    std::cout << fmt::format("corpus: {} passed, {} failed\n", outcomes.size() - failed, failed);
  }
  return failed ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
