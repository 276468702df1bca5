// `schedcheck check` as users run it: the acceptance run for ggml-17795, determinism, --jobs,
// --shard, --policies, --exhaustive, and the main job.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "model/policies/registry.hpp"
#include "real/real_run.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

namespace fs = std::filesystem;

TEST(CheckCommand, Policy17795Seed1FindsAndShrinksThePinnedHostToDeviceRace) {
  const fs::path dir = scratch_dir("check17795");
  fs::remove_all(dir / "out");
  CommandResult r =
      run_schedcheck("check --policy ggml-17795 --seed 1 --save '" + (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m,
                        std::regex("\\[H2\\] case \\d+ of seed 1; shrunk in \\d+ steps from .* to "
                                   "(\\d+) splits, (\\d+) ubatches, (\\d+) backends")))
      << r.out;
  EXPECT_LE(std::stoi(m[1]), 3);
  EXPECT_LE(std::stoi(m[2]), 2);
  EXPECT_LE(std::stoi(m[3]), 3);
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("saved: (\\S+-H2-\\S*seed1-case\\d+\\.json)")))
      << r.out;
  const std::string saved = m[1];
  EXPECT_TRUE(fs::exists(saved));
  CommandResult replay = run_schedcheck("replay '" + saved + "' --policy ggml-17795");
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.out.find("WRITE-AFTER-READ race [H2]"), std::string::npos) << replay.out;
  EXPECT_EQ(run_schedcheck("corpus '" + (dir / "out").string() + "'").exit_code, 0);
  fs::remove_all(dir);
}

TEST(CheckCommand, SameArgumentsPrintTheSameAndJobsDoNotMatter) {
  const fs::path dir = scratch_dir("checkdet");
  const std::string args =
      "check --policy all --seed 5 --cases 150 --save '" + (dir / "out").string() + "'";
  CommandResult a = run_schedcheck(args), b = run_schedcheck(args),
                c = run_schedcheck(args + " --jobs 2");
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, c.out);
  CommandResult j1 = run_schedcheck(args + " --json"),
                j2 = run_schedcheck(args + " --json --jobs 2");
  EXPECT_EQ(j1.out, j2.out);
  EXPECT_NE(j1.out.find("\"schema\": \"schedcheck-check/1\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(CheckCommand, BadArgumentsAreUsageErrors) {
  for (const char* args : {"check --shard 0/4", "check --shard 5/4", "check --shard x",
                           "check --policy nope", "check --jobs 0",
                           "check --policies /nonexistent.json"})
    EXPECT_EQ(run_schedcheck(args).exit_code, 2) << args;
}

TEST(CheckCommand, ACustomPolicyFromAPolicyFileIsChecked) {
  const fs::path dir = scratch_dir("checkpolicy");
  std::ofstream(dir / "p.json") << R"({"schema": "schedcheck-policies/1", "policies": [
    {"name": "all-syncs", "base": "ggml-20793", "knobs": {"noev_presync": "always"}}]})";
  CommandResult r =
      run_schedcheck("check --policies '" + (dir / "p.json").string() +
                     "' --policy all-syncs --cases 80 --save '" + (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all-syncs: clean in 80 cases"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(CheckCommand, ExhaustiveModeReportsHowManyScenariosItChecked) {
  const fs::path dir = scratch_dir("exhaustive");
  CommandResult r = run_schedcheck(
      "check --exhaustive --max-splits 2 --max-backends 3 --max-ubatches 2 --policy ggml-20793 "
      "--save '" +
      (dir / "out").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("832 scenarios per policy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ggml-20793: clean in all 832 scenarios"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(CheckCommand, TheMainJobChecksEveryPolicyAndTheCorpusInOneTable) {
  const fs::path dir = scratch_dir("mainjob");
  CommandResult r = run_schedcheck("check", dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const Policy& p : builtin_policies()) {
    const std::string name = std::regex_replace(p.name, std::regex("[+.]"), "\\$&");
    const std::string known = p.known_verdict ? "yes" : "-";
    const std::regex row("\\n" + name + " +(race|clean|race\\+stale) +" + known);
    EXPECT_TRUE(std::regex_search(r.out, row)) << p.name;
  }
  EXPECT_TRUE(std::regex_search(r.out, std::regex("corpus \\(.*\\): \\d+ passed, 0 failed")))
      << r.out;
  EXPECT_NE(r.err.find("found after (s)"), std::string::npos);  // wall times on stderr
  EXPECT_TRUE(fs::is_directory(dir / "schedcheck-counterexamples"));
  fs::remove_all(dir);
}

TEST(CheckCommand, RealConfirmationNeedsADevice) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  CommandResult r = run_schedcheck("check --policy ggml-17795 --real");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no CUDA device"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace schedcheck::testing
