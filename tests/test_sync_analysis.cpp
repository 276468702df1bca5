// Required-sync analysis (issue: required sync points), against answers derived by hand.
#include <gtest/gtest.h>

#include <algorithm>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/sync_analysis.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario single_gpu() {
  return load_scenario_file(canonical_path("single-gpu"));
}

TEST(SyncAnalysis, V0SingleGpuEverySynchronizeAfterTheFirstInASplitIsRedundant) {
  // After the first synchronize(CUDA0) of a split, CUDA0's queue receives no work until the
  // launch: every later one waits for nothing (the waste #17795 and #20793 set out to remove).
  const SyncAnalysis a = analyze_syncs(single_gpu(), *find_builtin_policy("ggml-v0"));
  std::map<std::pair<int, int>, int> seen;  // (eval, split) -> syncs so far
  int checked = 0;
  for (const SyncVerdict& v : a.syncs) {
    if (v.call.site.role != Role::policy || v.call.site.split == kNone) continue;
    if (seen[{v.call.site.eval, v.call.site.split}]++ == 0) continue;
    EXPECT_FALSE(v.necessary) << "sync " << v.call.sync_id << " at eval " << v.call.site.eval
                              << ": " << v.new_finding;
    ++checked;
  }
  EXPECT_GE(checked, 12);  // 4 per ubatch after the first, 3 ubatches
}

TEST(SyncAnalysis, V3PreLaunchSyncIsNecessaryAndSplitStartIsNotWithoutHostSyncsBetweenUbatches) {
  Scenario s = single_gpu();
  s.driver.ubatches_per_batch = {3};  // one decode: no llama_get_logits between the ubatches
  const SyncAnalysis a = analyze_syncs(s, *find_builtin_policy("ggml-20793"));
  int pre = 0, start = 0;
  for (const SyncVerdict& v : a.syncs) {
    if (v.call.site.role != Role::policy) continue;
    if (v.call.site.step == "split start") {
      EXPECT_FALSE(v.necessary) << v.new_finding;
      ++start;
    }
    if (v.call.site.step == "before launch" && v.call.site.eval < 2) {
      // Without it the next ubatch's host writes race the pending copies from pinned memory.
      EXPECT_TRUE(v.necessary);
      EXPECT_NE(v.new_finding.find("[H2]"), std::string::npos) << v.new_finding;
      ++pre;
    }
  }
  EXPECT_EQ(pre, 2);
  EXPECT_EQ(start, 3);
}

TEST(SyncAnalysis, TheMinimalSetKeepsTheRunCleanAndNoSingleSyncCanBeDropped) {
  Scenario s = single_gpu();
  s.driver.ubatches_per_batch = {3};
  const Policy& p = *find_builtin_policy("ggml-20793");
  const SyncAnalysis a = analyze_syncs(s, p);
  std::vector<int> removed;
  for (const SyncVerdict& v : a.syncs)
    if (std::find(a.minimal_set.begin(), a.minimal_set.end(), v.call.sync_id) ==
        a.minimal_set.end())
      removed.push_back(v.call.sync_id);
  EXPECT_EQ(replay(s, p, removed).findings.size(), 0u);
  for (int keep : a.minimal_set) {
    std::vector<int> more = removed;
    more.push_back(keep);
    EXPECT_GT(replay(s, p, more).findings.size(), 0u) << "sync " << keep << " could be dropped too";
  }
  // One host-blocking sync per ubatch instead of ggml-20793's two (plus llama_get_logits).
  EXPECT_EQ(a.minimal_set.size(), 3u);
}

TEST(SyncAnalysis, IndividuallyRedundantIsNotJointlyRemovable) {
  // ggml-v0, one decode of 3 ubatches: before the blocking copy into CUDA0's inp_embd slot, the
  // split synchronizes CUDA0 twice in a row (the input's presync, then the declined copy's
  // fallback). Each is redundant alone, because the other one waits for the same work; without
  // both, the copy overwrites the slot while the previous ubatch's graph may still read it.
  Scenario s = single_gpu();
  s.driver.ubatches_per_batch = {3};
  const Policy& p = *find_builtin_policy("ggml-v0");
  const SyncAnalysis a = analyze_syncs(s, p);
  auto sync_at = [&](int eval, std::string_view step) {
    for (const SyncVerdict& v : a.syncs)
      if (v.call.site.eval == eval && v.call.site.split == 1 && v.call.site.step == step) return v;
    ADD_FAILURE() << "no sync " << step << " in eval " << eval;
    return SyncVerdict{};
  };
  const SyncVerdict presync = sync_at(1, "input"), fallback = sync_at(1, "declined copy");
  EXPECT_FALSE(presync.necessary);
  EXPECT_FALSE(fallback.necessary);
  const ReplayResult both = replay(s, p, {presync.call.sync_id, fallback.call.sync_id});
  EXPECT_GT(both.findings.size(), 0u);
  // The minimal set keeps one of the two.
  const bool kept =
      std::count(a.minimal_set.begin(), a.minimal_set.end(), presync.call.sync_id) +
          std::count(a.minimal_set.begin(), a.minimal_set.end(), fallback.call.sync_id) ==
      1;
  EXPECT_TRUE(kept);
}

TEST(SyncAnalysis, OnARacyRunTheReasonNamesTheFindingTheRemovalAdds) {
  // ggml-v0 on two-gpu-pp already has an H1 race; a necessary sync's reason must be the race its
  // removal adds (H3 for the slot copies, H4 for llama_get_logits), never the baseline's H1.
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const SyncAnalysis a = analyze_syncs(s, *find_builtin_policy("ggml-v0"));
  EXPECT_GT(a.baseline_findings, 0);
  int necessary = 0;
  for (const SyncVerdict& v : a.syncs) {
    if (!v.necessary) continue;
    ++necessary;
    EXPECT_FALSE(v.new_finding.empty());
    EXPECT_EQ(v.new_finding.find("[H1]"), std::string::npos) << v.new_finding;
  }
  EXPECT_EQ(necessary, 5);
}

}  // namespace
}  // namespace schedcheck::testing
