// What makes schedcheck a tool: --version, the generated bash completion, and --save
// semantics a user can predict (docs/checking.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

namespace fs = std::filesystem;

TEST(Version, SaysVersionCommitBuildCompilerCudaTreesAndCorpus) {
  const CommandResult r = run_schedcheck("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("^schedcheck \\d+\\.\\d+\\.\\d+\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\ncommit \\S+, \\w+ build, (GNU|Clang) \\d+")))
      << r.out;
  for (const char* part : {"CUDA executor: ", "real ggml trees: ggml@PATH", "plugin cache: ",
                           "corpus: "})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
}

// Runs the generated completion function on a command line; returns its words.
std::string complete(const fs::path& script, const std::string& words, int cword) {
  const CommandResult r = run_shell("bash -c 'source \"" + script.string() +
                                    "\"; COMP_WORDS=(" + words + "); COMP_CWORD=" +
                                    std::to_string(cword) +
                                    "; _schedcheck; printf \"%s\\n\" \"${COMPREPLY[@]}\"'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(Completion, BashScriptCompletesSubcommandsOptionsAndPolicies) {
  const fs::path dir = scratch_dir("completion");
  const fs::path script = dir / "schedcheck.bash";
  const CommandResult r = run_schedcheck("completion bash > '" + script.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run_shell("bash -n '" + script.string() + "'").exit_code, 0);
  EXPECT_EQ(complete(script, "schedcheck co", 1), "corpus\ncompletion\n");
  EXPECT_EQ(complete(script, "schedcheck check --sa", 2), "--save\n");
  const std::string policies = complete(script, "schedcheck replay x.json --policy ggml-17", 4);
  EXPECT_EQ(policies, "ggml-17795\n");
  EXPECT_NE(complete(script, "schedcheck diff --policy ggml@", 3).find("ggml@ggml-26040\n"),
            std::string::npos);
  EXPECT_EQ(complete(script, "schedcheck real x.json --placement v", 4), "virtual\n");
  EXPECT_EQ(run_schedcheck("completion zsh").exit_code, 2);
  fs::remove_all(dir);
}

TEST(ManPageText, ListsEverySubcommandWithItsOptions) {
  const CommandResult r = run_schedcheck("--help-man");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"Subcommands:\n", "Schedcheck replay:\n", "Schedcheck check:\n",
                           "  --save PATH ", "  --policy POLICY ", "Schedcheck completion:\n"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  EXPECT_EQ(run_schedcheck("--help").out.find("--help-man"), std::string::npos);  // hidden
}

// Seed 1, 200 cases, one variant per mechanism: ggml-25138 has two mechanisms (H2, H1).
TEST(Save, AFolderNameIsAFolderAndAJsonNameWithOneCounterexampleIsThatFile) {
  const fs::path dir = scratch_dir("save");
  const CommandResult folder =
      run_schedcheck("check --policy ggml-25138 --seed 1 --max-variants 1 --save '" +
                     (dir / "found").string() + "'");
  EXPECT_EQ(folder.exit_code, 1) << folder.err;
  ASSERT_TRUE(fs::is_directory(dir / "found"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "found")) ++files;
  EXPECT_EQ(files, 2u);

  const fs::path file = dir / "one.json";  // the first 40 cases show one mechanism (H2, case 28)
  const CommandResult one = run_schedcheck(
      "check --policy ggml-v0 --seed 1 --cases 40 --max-variants 1 --save '" + file.string() + "'");
  EXPECT_EQ(one.exit_code, 1) << one.err;
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_NE(one.out.find("saved: " + file.string()), std::string::npos) << one.out;
  EXPECT_EQ(run_schedcheck("replay '" + file.string() + "' --policy ggml-v0").exit_code, 1);
  fs::remove_all(dir);
}

TEST(Save, AJsonNameWithSeveralCounterexamplesOrAFileInTheWayIsBadUsage) {
  const fs::path dir = scratch_dir("save-bad");
  // Several policies: refused before searching.
  const CommandResult all =
      run_schedcheck("check --policy all --cases 5 --save '" + (dir / "x.json").string() + "'");
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_NE(all.err.find("names one file"), std::string::npos) << all.err;
  // One policy whose search finds several mechanisms: refused after it, nothing written.
  const CommandResult several = run_schedcheck(
      "check --policy ggml-17795 --seed 1 --save '" + (dir / "y.json").string() + "'");
  EXPECT_EQ(several.exit_code, 2) << several.out;
  EXPECT_NE(several.err.find("counterexamples were found; give a folder"), std::string::npos)
      << several.err;
  EXPECT_FALSE(fs::exists(dir / "y.json"));
  // A file that is not a folder, named without .json: not overwritten.
  std::ofstream(dir / "notes") << "mine\n";
  const CommandResult in_the_way =
      run_schedcheck("check --policy ggml-17795 --cases 5 --save '" + (dir / "notes").string() + "'");
  EXPECT_EQ(in_the_way.exit_code, 2);
  EXPECT_NE(in_the_way.err.find("exists and is not a folder"), std::string::npos) << in_the_way.err;
  std::ifstream in(dir / "notes");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "mine\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace schedcheck::testing
