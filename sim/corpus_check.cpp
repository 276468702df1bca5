#include "sim/corpus_check.hpp"
#include "bridge/policy_catalog.hpp"

#include <algorithm>
#include <filesystem>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "bridge/real_scheduler.hpp"
#include "driver/scenario_file.hpp"
#include "scenario/scenario_error.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

CorpusOutcome outcome(const std::string& file, const Scenario& s, const Expectation& e,
                      const Policy& policy) {
  const ReplayResult run = replay(s, policy);
  const PolicyVerdict v = explain(run);
  CorpusOutcome o{file,
                  policy.name,
                  e.verdict,
                  v.verdict,
                  {},
                  check_host_syncs(run, e.host_syncs),
                  v.verdict == e.verdict};
  for (const Mechanism m : e.mechanisms)
    if (std::none_of(v.groups.begin(), v.groups.end(),
                     [&](const FindingGroup& g) { return g.mechanism == m; }))
      o.missing_mechanisms.push_back(m);
  o.ok = o.ok && o.missing_mechanisms.empty() && o.sync_misses.empty();
  return o;
}

}  // namespace

std::vector<CorpusOutcome> corpus_outcomes(const std::string& dir, bool with_real) {
  std::vector<CorpusOutcome> outcomes;
  for (const std::string& file : scenario_files(dir)) {
    const Scenario s = load_scenario_file(file);
    if (s.expectations.empty()) {
      outcomes.push_back({file, "-", std::nullopt, std::nullopt, {}, {}, false});
      continue;
    }
    for (const Expectation& e : s.expectations) {
      if (is_real_policy_name(e.policy)) {
        const Policy* real = nullptr;
        try {
          real = find_policy(s, e.policy);
        } catch (const BridgeError& why) {
          // A policy that names no tree here is bad input, unless no bundle is here at all.
          if (find_bundle()) throw ScenarioError(file, "/expect/" + e.policy, why.what());
          CorpusOutcome o{file, e.policy, e.verdict, std::nullopt, {}, {}, true};
          o.skipped = why.what();
          outcomes.push_back(std::move(o));
          continue;
        }
        outcomes.push_back(outcome(file, s, e, *real));
        continue;
      }
      outcomes.push_back(outcome(file, s, e, *find_policy(s, e.policy)));
      // The same expectation of that version's real scheduler (bridge/), where the tree has
      // every call the scenario makes.
      if (with_real && find_ggml_version(e.policy) && not_in_ggml_trees(s).empty())
        outcomes.push_back(outcome(file, s, e, real_policy("ggml@" + e.policy)));
    }
  }
  return outcomes;
}

}  // namespace schedcheck
