// `schedcheck check` with no arguments: the project's main job.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/known_verdicts.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {
namespace {

// The policy column fits the longest built-in name ("ggml-26040+llama28058").
constexpr const char* kRow = "{:<21} {:<8} {:<6} {:<16} {:<34} {}\n";
constexpr const char* kTimingRow = "{:<21} {:<16} {:>15} {:>14}\n";

// One row per variant found (its text form on the line below), saved to its own file; timings
// are appended to `timing`. False after a file could not be saved.
bool print_policy_rows(const Policy& policy, const PolicySearch& r, const std::string& known_text,
                       std::string& timing) {
  const std::string verdict = to_string(r.verdict());
  if (r.found.empty()) {
    std::cout << fmt::format(kRow, policy.name, verdict, known_text, "-",
                             "none in " + std::to_string(r.cases_run) + " cases", "-");
    timing += fmt::format(kTimingRow, policy.name, "-", "-", "-");
    return true;
  }
  for (std::size_t k = 0; k < r.found.size(); ++k) {
    const Counterexample& c = r.found[k];
    std::string saved;
    try {
      saved = save_counterexample(c, policy, default_counterexample_path(c, policy), false);
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return false;
    }
    const std::string size = fmt::format("{} splits / {} ubatches / {} backends", c.size.splits,
                                         c.size.ubatches, c.size.backends);
    std::cout << fmt::format(kRow, k ? "" : policy.name, k ? "" : verdict, k ? "" : known_text,
                             to_string(c.mechanism), size, saved)
              << fmt::format("{:<37} variant: {}\n", "", to_string(c.variant));
    timing += fmt::format("{:<21} {:<16} {:>15.3f} {:>14.3f}\n", policy.name,
                          to_string(c.mechanism), c.find_seconds, c.shrink_seconds);
  }
  if (!r.not_kept.empty())
    std::cout << fmt::format("{:<37} ({} more variants seen, not kept)\n", "", r.not_kept.size());
  return true;
}

}  // namespace

int run_main_job(const std::string& corpus_dir) {
  const SearchOptions o;  // the defaults: seed 1, 200 cases, 4 variants per mechanism
  std::cout << fmt::format(
      "schedcheck: every built-in policy on {} generated scenarios (seed {}), then the corpus\n\n",
      o.cases, o.seed);
  std::cout << fmt::format(kRow, "policy", "verdict", "known", "mechanism",
                           "smallest counterexample", "saved to");
  // Wall times vary from run to run: they go to stderr, after the deterministic results.
  std::string timing =
      fmt::format(kTimingRow, "timing", "mechanism", "found after (s)", "shrunk in (s)");
  bool ok = true;
  for (const Policy& policy : builtin_policies()) {
    const PolicySearch r = search_policy(policy, o);
    const auto& known = policy.known_verdict;
    const bool matches = is_known_outcome(policy, r.verdict(), r.stopped_by_time);
    ok &= matches;
    const std::string known_text = !known ? "-" : matches ? "yes" : "NO";
    if (!print_policy_rows(policy, r, known_text, timing)) return kExitBadInput;
  }
  std::vector<CorpusOutcome> outcomes;
  try {
    outcomes = corpus_outcomes(corpus_dir);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::size_t failed = 0, skipped = 0;
  for (const CorpusOutcome& co : outcomes)
    if (!co.skipped.empty()) {
      ++skipped;
      std::cout << fmt::format("corpus skip: {} under {}: {}\n", co.file, co.policy, co.skipped);
    } else if (!co.ok) {
      ++failed;
      std::cout << fmt::format("corpus FAIL: {} under {}: expected {}, got {}\n", co.file,
                               co.policy, co.expected_text(), co.got_text());
    }
  std::cout << fmt::format("\ncorpus ({}): {} passed, {} failed{}\n", corpus_dir,
                           outcomes.size() - failed - skipped, failed,
                           skipped ? fmt::format(", {} not checked (no ggml tree)", skipped) : "");
  std::cout << "replay a counterexample: schedcheck replay <saved file>; details: docs/ci.md\n\n"
            << std::flush;
  std::cerr << timing;
  return ok && failed == 0 ? kExitClean : kExitFindings;
}

}  // namespace schedcheck
