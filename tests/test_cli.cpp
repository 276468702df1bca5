// The command line as users run it: exit codes (DESIGN.md §6), messages for bad input,
// determinism of the output, and the corpus check failing when an expectation is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "model/policies/registry.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

namespace fs = std::filesystem;

TEST(Cli, ReplayOfACleanScenarioExitsZero) {
  CommandResult r = run_schedcheck("replay '" + canonical_path("single-gpu") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("verdict: CLEAN"), std::string::npos);
}

TEST(Cli, ReplayReportsThePinnedHostToDeviceRaceAndExitsOne) {
  CommandResult r =
      run_schedcheck("replay '" + canonical_path("two-gpu-pp") + "' --policy ggml-17795");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("WRITE-AFTER-READ race [H2]"), std::string::npos) << r.out;
  for (const char* part : {"ordering present:", "missing edge:", "cheapest fix:", "effect:",
                           "reproduce: schedcheck replay"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part;
}

TEST(Cli, UnknownPolicyIsAUsageError) {
  expect_bad_input(
      run_schedcheck("replay '" + canonical_path("single-gpu") + "' --policy ggml-99999"),
      "unknown policy \"ggml-99999\"");
}

TEST(Cli, MissingFileIsBadInputNamingTheFile) {
  expect_bad_input(run_schedcheck("replay /nonexistent/scenario.json"),
                   "/nonexistent/scenario.json");
}

TEST(Cli, MissingArgumentsAreAUsageError) {
  for (const char* args : {"", "replay", "frobnicate"})
    EXPECT_EQ(run_schedcheck(args).exit_code, 2) << args;
  EXPECT_EQ(run_schedcheck("--help").exit_code, 0);
}

TEST(Cli, EveryMalformedScenarioExitsTwoNamingFileAndJsonPath) {
  const fs::path dir = source_path("tests/malformed");
  ASSERT_TRUE(fs::is_directory(dir));
  // EXPECTED.txt: FILE<TAB>JSON_POINTER<TAB>fragment
  std::ifstream expected(dir / "EXPECTED.txt");
  std::string line;
  int checked = 0;
  while (std::getline(expected, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    ASSERT_NE(t2, std::string::npos) << line;
    const std::string file = (dir / line.substr(0, t1)).string();
    const std::string pointer = line.substr(t1 + 1, t2 - t1 - 1);
    CommandResult r = run_schedcheck("replay '" + file + "'");
    EXPECT_EQ(r.exit_code, 2) << file;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(": " + (pointer.empty() ? std::string("/") : pointer) + ": "),
              std::string::npos)
        << file << " -> " << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

TEST(Cli, SameInputGivesByteIdenticalOutput) {
  for (const char* flags : {"--policy all", "--policy all --json"}) {
    const std::string args = "replay '" + canonical_path("two-gpu-pp") + "' " + flags;
    CommandResult a = run_schedcheck(args), b = run_schedcheck(args);
    EXPECT_EQ(a.exit_code, 1);
    EXPECT_EQ(a.out, b.out) << flags;
    EXPECT_FALSE(a.out.empty());
  }
}

TEST(Cli, JsonReportHasItsSchemaAndAFindingPerGroup) {
  CommandResult r =
      run_schedcheck("replay '" + canonical_path("two-gpu-pp") + "' --policy ggml-v0 --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"schema\": \"schedcheck-report/1\""), std::string::npos);
  EXPECT_NE(r.out.find("\"mechanism\": \"H1\""), std::string::npos);
  EXPECT_NE(r.out.find("\"missing_edge\""), std::string::npos);
}

TEST(Cli, PoliciesListsEveryBuiltInWithItsCommit) {
  CommandResult r = run_schedcheck("policies");
  EXPECT_EQ(r.exit_code, 0);
  for (const Policy& p : builtin_policies())
    EXPECT_NE(r.out.find(p.name + "  (ggml " + p.commit + ","), std::string::npos) << p.name;
  EXPECT_NE(r.out.find("Real ggml schedulers: ggml@"), std::string::npos) << r.out;
}

TEST(Cli, DiffRefusesAPolicyThatIsNoGgmlVersionInBothModes) {
  for (const std::string& args :
       {"diff " + source_path("reports/canonical/single-gpu.json") + " --policy schedcheck-min",
        std::string("diff --cases 3 --policy nope")}) {
    CommandResult r = run_schedcheck(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find("diff compares a ggml version's model with its real scheduler"),
              std::string::npos)
        << args << "\n" << r.err;
  }
}

TEST(Cli, CorpusPassesOnTheProjectReports) {
  CommandResult r = run_schedcheck("corpus '" + source_path("reports") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" 0 failed"), std::string::npos);
}

TEST(Cli, CorpusFailsNamingTheReportWhenAnExpectationIsWrong) {
  const fs::path dir = scratch_dir("corpus");
  fs::remove_all(dir / "reports");
  fs::copy(source_path("reports"), dir / "reports", fs::copy_options::recursive);
  const fs::path edited = dir / "reports" / "canonical" / "single-gpu.json";
  std::string text = read_all(edited);
  // ggml-17795 is clean on single-gpu: claim a race instead.
  const std::string from = "\"ggml-17795\": {\"verdict\": \"clean\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"ggml-17795\": {\"verdict\": \"race\"");
  std::ofstream(edited) << text;
  CommandResult r = run_schedcheck("corpus '" + (dir / "reports").string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("FAIL +[^\\n]*single-gpu\\.json +ggml-17795 +expected race +got clean")))
      << r.out;
  fs::remove_all(dir);
}

// A policy that issues one host-blocking synchronization more than its expectation allows fails
// the corpus by name. "mine" is ggml-20793 without one redundant host-blocking synchronization
// (skip_syncs), so ggml-20793 issues exactly one more than "mine"; both are held to mine's count.
TEST(Cli, CorpusFailsAPolicyThatAddsOneHostBlockingSynchronization) {
  const fs::path dir = scratch_dir("corpus-host-syncs");
  fs::remove_all(dir);
  fs::create_directories(dir);
  CommandResult advice =
      run_schedcheck("advise '" + canonical_path("single-gpu") + "' --policy ggml-20793 --json");
  ASSERT_EQ(advice.exit_code, 0) << advice.err;
  // The first redundant host-blocking synchronization of the run, so that "mine" stays clean.
  const std::smatch first = [&] {
    std::smatch m;
    const std::regex blocking(
        "\"id\": (\\d+),[^}]*\"host_blocking\": true,\\s*\"necessary\": false");
    EXPECT_TRUE(std::regex_search(advice.out, m, blocking)) << advice.out;
    return m;
  }();
  const std::string id = first[1];
  std::string text = read_all(canonical_path("single-gpu"));
  const std::string expect_at = "\"expect\": {";
  ASSERT_NE(text.find(expect_at), std::string::npos);
  // single-gpu: ggml-20793 issues 3 per evaluation, 9 in the run.
  text.replace(text.find(expect_at), expect_at.size(),
               "\"policies\": [{\"name\": \"mine\", \"base\": \"ggml-20793\", \"skip_syncs\": [" +
                   id + "]}],\n  \"expect\": {\"mine\": {\"verdict\": \"clean\", \"host_syncs\": "
                   "{\"total\": {\"exactly\": 8}}},");
  const std::string held = "\"ggml-20793\": {\"verdict\": \"clean\", \"host_syncs\": "
                           "{\"per_evaluation\": {\"exactly\": 3}}}";
  ASSERT_NE(text.find(held), std::string::npos);
  text.replace(text.find(held), held.size(),
               "\"ggml-20793\": {\"verdict\": \"clean\", \"host_syncs\": {\"total\": "
               "{\"exactly\": 8}}}");
  std::ofstream(dir / "single-gpu.json") << text;
  CommandResult r = run_schedcheck("corpus '" + dir.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("(^|\\n)ok +[^\\n]*single-gpu\\.json +mine ")))
      << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("FAIL +[^\\n]*single-gpu\\.json +ggml-20793 +expected clean +got clean; "
                        "the run issued 9 host-blocking synchronizations, expected exactly 8")))
      << r.out;
  EXPECT_NE(r.out.find("corpus: 7 passed, 1 failed"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(Cli, AdviseMarksRedundantSynchronizationsAndCountsHostBlockingOnes) {
  CommandResult r =
      run_schedcheck("advise '" + canonical_path("single-gpu") + "' --policy ggml-v0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("s? s? a (s) s? a (s) s? a (s) s? a (s) g"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("host-blocking synchronizations per ubatch: 6.00 issued, 1.00 in a minimal set"),
      std::string::npos)
      << r.out;
  CommandResult j =
      run_schedcheck("advise '" + canonical_path("single-gpu") + "' --policy ggml-v0 --json");
  EXPECT_NE(j.out.find("\"schema\": \"schedcheck-advise/1\""), std::string::npos);
  EXPECT_EQ(run_schedcheck("advise '" + canonical_path("single-gpu") + "'").exit_code,
            2);  // --policy required
}

TEST(Cli, CorpusOfAMissingFolderIsBadInput) {
  EXPECT_EQ(run_schedcheck("corpus /nonexistent/reports").exit_code, 2);
}

}  // namespace
}  // namespace schedcheck::testing
