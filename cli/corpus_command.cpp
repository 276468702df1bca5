#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "scenario/scenario_error.hpp"
#include "sim/corpus_check.hpp"

namespace schedcheck {
namespace {

std::vector<std::string> mechanism_list(const std::vector<Mechanism>& mechanisms) {
  std::vector<std::string> names;
  for (Mechanism m : mechanisms) names.emplace_back(to_string(m));
  return names;
}

nlohmann::ordered_json sync_miss_json(const SyncCountMiss& m) {
  nlohmann::ordered_json j{
      {"scope", m.scope == SyncCountMiss::Scope::total            ? "total"
                : m.scope == SyncCountMiss::Scope::per_evaluation ? "per_evaluation"
                                                                  : "step"},
      {"expected", to_text(m.expected)},
      {"got", m.got}};
  if (m.scope == SyncCountMiss::Scope::per_evaluation) {
    j["evaluation"] = m.evaluation;
    j["evaluations_out_of_bounds"] = m.evaluations_out;
  }
  if (m.scope == SyncCountMiss::Scope::step) {
    j["step"] = m.step_name;
    j["step_index"] = m.step;
  }
  return j;
}

}  // namespace

int run_corpus(const CorpusArgs& args) {
  const std::string& dir = args.dir;
  const bool json = args.json;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "schedcheck: corpus folder \"" << dir << "\" does not exist or is not a folder\n";
    return kExitBadInput;
  }
  std::vector<CorpusOutcome> outcomes;
  try {
    outcomes = corpus_outcomes(dir, args.real_ggml);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  const auto failed =
      std::count_if(outcomes.begin(), outcomes.end(), [](const CorpusOutcome& o) { return !o.ok; });
  const auto skipped = std::count_if(outcomes.begin(), outcomes.end(),
                                     [](const CorpusOutcome& o) { return !o.skipped.empty(); });
  if (json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& o : outcomes) {
      nlohmann::ordered_json misses = nlohmann::ordered_json::array();
      for (const SyncCountMiss& m : o.sync_misses) misses.push_back(sync_miss_json(m));
      list.push_back({{"file", o.file},
                      {"policy", o.policy},
                      {"expected", o.expected_text()},
                      {"got", o.got_text()},
                      {"missing_mechanisms", mechanism_list(o.missing_mechanisms)},
                      {"host_sync_misses", std::move(misses)},
                      {"ok", o.ok},
                      {"skipped", o.skipped}});
    }
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-corpus/1"},
                                        {"results", list},
                                        {"passed", outcomes.size() - failed - skipped},
                                        {"failed", failed},
                                        {"skipped", skipped}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& o : outcomes) {
      if (!o.skipped.empty()) {
        std::cout << fmt::format("skip {}  {:<18} not checked: {}\n", o.file, o.policy, o.skipped);
        continue;
      }
      std::string line =
          fmt::format("{:<4} {}  {:<18} expected {:<10} got {}", o.ok ? "ok" : "FAIL", o.file,
                      o.policy, o.expected_text(), o.got_text());
      if (!o.missing_mechanisms.empty())
        line += "; missing mechanisms: " +
                fmt::format("{}", fmt::join(mechanism_list(o.missing_mechanisms), " "));
      for (const SyncCountMiss& m : o.sync_misses) line += "; " + to_text(m);
      std::cout << line << "\n";
    }
    std::cout << fmt::format("corpus: {} passed, {} failed", outcomes.size() - failed - skipped,
                             failed);
    std::cout << (skipped ? fmt::format(", {} not checked\n", skipped) : std::string("\n"));
  }
  return failed ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
