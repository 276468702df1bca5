// `schedcheck advise --apply`: the written scenario carries the minimal set as a policy of its
// own, which loads, replays as the analysis says, and never overwrites a file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/race_report.hpp"
#include "sim/sync_analysis.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

TEST(AdviseApply, WrittenPolicyKeepsExactlyTheMinimalSetAndReplaysClean) {
  const auto out = scratch_dir("apply") / "two-gpu-pp-min.json";
  std::filesystem::remove(out);
  const CommandResult r = run_schedcheck("advise '" + canonical_path("two-gpu-pp") +
                                         "' --policy ggml-20793 --apply '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ggml-20793-minimal"), std::string::npos) << r.err;

  const Scenario written = load_scenario_file(out.string());
  const Policy* applied = find_policy(written, "ggml-20793-minimal");
  ASSERT_NE(applied, nullptr);
  const Scenario original = load_scenario_file(canonical_path("two-gpu-pp"));
  const SyncAnalysis a = analyze_syncs(original, *find_builtin_policy("ggml-20793"));
  EXPECT_EQ(applied->skipped_syncs.size(), a.syncs.size() - a.minimal_set.size());

  const ReplayResult replayed = replay(written, *applied);
  EXPECT_TRUE(replayed.findings.empty());
  std::vector<int> kept;
  for (const HostCall& c : replayed.calls)
    if (c.sync_id >= 0) kept.push_back(c.sync_id);
  EXPECT_EQ(kept, a.minimal_set);
  // One host-blocking synchronization per ubatch (6) instead of ggml-20793's 56.
  EXPECT_EQ(host_blocking_syncs(replayed.calls), 6);
  EXPECT_EQ(host_blocking_syncs(replay(original, *find_builtin_policy("ggml-20793")).calls), 56);

  // The corpus expectation written with it holds.
  const CommandResult corpus = run_schedcheck("corpus '" + out.parent_path().string() + "'");
  EXPECT_EQ(corpus.exit_code, 0) << corpus.out << corpus.err;
}

TEST(AdviseApply, AnExistingFileIsNotOverwritten) {
  const auto out = scratch_dir("apply-exists") / "taken.json";
  { std::ofstream(out) << "keep me\n"; }
  const CommandResult r = run_schedcheck("advise '" + canonical_path("single-gpu") +
                                         "' --policy ggml-v0 --apply '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(out), "keep me\n");
}

// skip_syncs out of range, listed twice or not an integer: tests/malformed/policy-skip-syncs-*.

TEST(AdviseApply, SkipSyncsIsNotAcceptedInAPolicyFile) {
  const auto file = scratch_dir("apply-policy-file") / "policies.json";
  {
    std::ofstream(file) << R"({"schema": "schedcheck-policies/1",
      "policies": [{"name": "mine", "skip_syncs": [0]}]})";
  }
  const CommandResult r =
      run_schedcheck("check --policies '" + file.string() + "' --policy mine --cases 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/policies/0/skip_syncs"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace schedcheck::testing

namespace schedcheck::testing {
namespace {

TEST(Advise, MissingEdgesAreMarkedOnTheLineOfTheAccessThatNeedsTheWait) {
  // ggml-v0 on two-gpu-pp: the H1 copy into CUDA1's slot in ubatch 4 needs CUDA0's queue to
  // wait for CUDA1's graph of ubatch 0.
  const CommandResult r =
      run_schedcheck("advise '" + canonical_path("two-gpu-pp") + "' --policy ggml-v0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("eval 4   split 2"), std::string::npos) << r.out;
  const auto line = r.out.substr(r.out.find("eval 4   split 2"));
  EXPECT_NE(line.substr(0, line.find('\n')).find("+wait([H1] CUDA1 -> CUDA0)"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace schedcheck::testing
