// The corpus check, advise and GPU-run planning as library calls (no subprocess).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "real/planned_runs.hpp"
#include "sim/advice.hpp"
#include "sim/corpus_check.hpp"
#include "sim/replay.hpp"
#include "sim/sync_expectations.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

TEST(CorpusCheck, EveryExpectationOfTheProjectCorpusIsMet) {
  const auto outcomes = corpus_outcomes(source_path("reports"));
  ASSERT_GE(outcomes.size(), 100u);
  for (const CorpusOutcome& o : outcomes)
    EXPECT_TRUE(o.ok) << o.file << " under " << o.policy << ": expected " << o.expected_text()
                      << ", got " << o.got_text();
}

TEST(Advice, MarksEverySynchronizationAndKeepsAMinimalSetOfTheBlockingOnes) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const Advice a = advise(s, *find_policy(s, "ggml-20793"));
  EXPECT_TRUE(a.verdict.verdict.is_clean());
  EXPECT_FALSE(a.call_lines.empty());
  EXPECT_GT(a.host_blocking, 0);
  EXPECT_LE(a.host_blocking_kept, a.host_blocking);
  for (int id : a.analysis.minimal_set) EXPECT_TRUE(a.in_minimal_set(id));
  const bool any_redundant = std::any_of(a.analysis.syncs.begin(), a.analysis.syncs.end(),
                                         [](const SyncVerdict& v) { return !v.necessary; });
  const bool marked =
      std::any_of(a.call_lines.begin(), a.call_lines.end(), [](const auto& line) {
        return std::any_of(line.second.calls.begin(), line.second.calls.end(),
                           [](const MarkedCall& c) { return c.redundant; });
      });
  EXPECT_EQ(any_redundant, marked);
}

TEST(Advice, ARacyRunGetsItsMissingWaitOnTheLineOfTheSecondAccess) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const Advice a = advise(s, *find_policy(s, "ggml-17795"));
  ASSERT_FALSE(a.verdict.groups.empty());
  const FindingGroup& g = a.verdict.groups.front();
  const CallLine& line = a.call_lines.at({g.second_access.place.eval, g.second_access.place.split});
  EXPECT_TRUE(std::any_of(line.missing_waits.begin(), line.missing_waits.end(),
                          [&](const MissingWait& w) {
                            return w.mechanism == g.mechanism && w.to == g.second_access.agent;
                          }));
}

TEST(Advice, TheMinimalSetPolicyIsAddedWithItsVerdictAndOnlyOnce) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const Policy& policy = *find_policy(s, "ggml-20793");
  const Advice a = advise(s, policy);
  const Scenario applied = with_minimal_set_policy(s, policy, a.analysis);
  ASSERT_EQ(applied.custom_policies.size(), s.custom_policies.size() + 1);
  EXPECT_EQ(applied.custom_policies.back().name, "ggml-20793-minimal");
  EXPECT_EQ(applied.expectations.back().policy, "ggml-20793-minimal");
  EXPECT_TRUE(applied.expectations.back().verdict.is_clean());
  EXPECT_THROW(with_minimal_set_policy(applied, policy, a.analysis), std::invalid_argument);
}

// single-gpu under ggml-v0: three evaluations of 6 host-blocking synchronizations each, as
// `advise` counts them (asserted in test_cli).
TEST(HostSyncExpectation, BoundsEachEvaluationAndTheWholeRun) {
  const Scenario s = load_scenario_file(canonical_path("single-gpu"));
  const ReplayResult r = replay(s, *find_policy(s, "ggml-v0"));
  EXPECT_EQ(host_syncs_per_evaluation(r), (std::vector<int>{6, 6, 6}));
  using K = SyncBound::Kind;
  auto misses = [&](std::optional<SyncBound> per_eval, std::optional<SyncBound> total) {
    return check_host_syncs(r, SyncExpectation{per_eval, total, {}});
  };
  EXPECT_TRUE(misses(SyncBound{K::exactly, 6}, SyncBound{K::exactly, 18}).empty());
  EXPECT_TRUE(misses(SyncBound{K::at_most, 6}, SyncBound{K::at_most, 18}).empty());
  const auto over = misses(SyncBound{K::at_most, 5}, SyncBound{K::at_most, 17});
  ASSERT_EQ(over.size(), 2u);
  EXPECT_EQ(over[0].scope, SyncCountMiss::Scope::per_evaluation);
  EXPECT_EQ(over[0].evaluation, 0);
  EXPECT_EQ(over[0].got, 6);
  EXPECT_EQ(over[0].evaluations_out, 3);
  EXPECT_EQ(to_text(over[0]),
            "evaluation 0 issued 6 host-blocking synchronizations, expected at most 5 per "
            "evaluation (out of bounds in 3 evaluations)");
  EXPECT_EQ(over[1].scope, SyncCountMiss::Scope::total);
  EXPECT_EQ(over[1].got, 18);
  // "exactly" fails on fewer too: a removed synchronization is a change the corpus must show.
  const auto under = misses(SyncBound{K::exactly, 7}, std::nullopt);
  ASSERT_EQ(under.size(), 1u);
  EXPECT_EQ(to_text(under[0].expected), "exactly 7");
}

TEST(PlannedRuns, AutoTargetsEachPredictedRaceAndStressesACleanRun) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const PolicyRuns racy = plan_runs(s, *find_policy(s, "ggml-17795"), "auto", 2);
  std::size_t races = 0;
  for (const FindingGroup& g : racy.verdict.groups) races += is_race(g.first.kind);
  EXPECT_EQ(racy.plans.size(), 2 * races);
  for (const PlannedRun& p : racy.plans) EXPECT_FALSE(p.finding.empty());
  const PolicyRuns clean = plan_runs(s, *find_policy(s, "ggml-20793"), "auto", 3);
  EXPECT_EQ(clean.plans.size(), 3u);
  for (const PlannedRun& p : clean.plans) EXPECT_TRUE(p.finding.empty());
  EXPECT_EQ(plan_runs(s, *find_policy(s, "ggml-20793"), "none", 4).plans.size(), 4u);
  EXPECT_ANY_THROW(plan_runs(s, *find_policy(s, "ggml-20793"), "random:x", 1));
}

}  // namespace
}  // namespace schedcheck::testing
