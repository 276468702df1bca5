// schedcheck-min (docs/policies.md): clean on the corpus and the canonical scenarios, with fewer
// host-blocking synchronizations per ubatch than every ggml version.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "driver/scenario_file.hpp"
#include "sim/replay.hpp"
#include "sim/sync_analysis.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

const Policy& min_policy() {
  return *find_builtin_policy("schedcheck-min");
}

TEST(SchedcheckMin, CleanOnEveryCorpusAndBenchmarkScenario) {
  int files = 0;
  for (const char* dir : {"reports", "bench/scenarios"})
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_path(dir))) {
      if (entry.path().extension() != ".json") continue;
      const Scenario s = load_scenario_file(entry.path().string());
      const ReplayResult r = replay(s, min_policy());
      EXPECT_TRUE(r.findings.empty()) << entry.path();
      ++files;
    }
  EXPECT_GE(files, 18);
}

TEST(SchedcheckMin, FewerHostBlockingSyncsThanEveryGgmlVersionOnTheCanonicalScenarios) {
  // single-gpu: the release of the pinned input copies + llama_get_logits' per ubatch (2 x 3);
  // two-gpu-pp: one release per GPU and ubatch + the final sched_synchronize of both (2x6 + 2).
  const std::pair<const char*, int> expected[] = {{"single-gpu", 6}, {"two-gpu-pp", 14}};
  for (const auto& [name, count] : expected) {
    const Scenario s = load_scenario_file(canonical_path(name));
    const ReplayResult mine = replay(s, min_policy());
    EXPECT_TRUE(mine.findings.empty()) << name;
    EXPECT_EQ(host_blocking_syncs(mine.calls), count) << name;
    for (const Policy& p : builtin_policies()) {
      if (p.name == min_policy().name) continue;
      EXPECT_LT(count, host_blocking_syncs(replay(s, p).calls)) << name << " vs " << p.name;
    }
  }
}

TEST(SchedcheckMin, TheHostWaitsOnlyForCopiesNeverForAWholeQueueInsideTheScheduler) {
  // Inside compute_splits schedcheck-min's host-blocking waits are event_synchronize on the
  // "host sources copied" event (release), not synchronize of a queue, on CUDA scenarios.
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  for (const HostCall& c : replay(s, min_policy()).calls) {
    if (c.sync_id < 0 || c.letter == 'w' || c.site.role != Role::policy) continue;
    EXPECT_EQ(c.letter, 'e') << c.site.step;
    EXPECT_EQ(c.site.step, "release host sources");
  }
}

TEST(SchedcheckMin, ACpuSplitReadsItsGpuInputOnTheSourceQueueWithOneHostWait) {
  // Partial offload: the CPU layer's input comes from CUDA0. ggml syncs CUDA0 and then does a
  // blocking copy (two round trips); schedcheck-min queues the read on CUDA0 and syncs once.
  const Scenario s = load_scenario_file(source_path("bench/scenarios/sync-bound-single-gpu.json"));
  std::string cpu_split_calls;
  for (const HostCall& c : replay(s, min_policy()).calls)
    if (c.site.eval == 0 && c.site.split == 2) cpu_split_calls += c.letter;
  EXPECT_EQ(cpu_split_calls, "osc");
  std::string ggml_calls;
  for (const HostCall& c : replay(s, *find_builtin_policy("ggml-20793")).calls)
    if (c.site.eval == 0 && c.site.split == 2) ggml_calls += c.letter;
  EXPECT_EQ(ggml_calls, "sasc");  // sync CUDA0, blocking copy, pre-launch sync (of the CPU)
}

}  // namespace
}  // namespace schedcheck::testing
