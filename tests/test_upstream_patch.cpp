// The patch for ggml-head (patches/ggml-head/, docs/upstream-patch.md): it applies to ggml-head
// from the bundle, and the patched tree's own scheduler, run through the bridge, has no H1 and
// no finding that ggml-head does not have, on every corpus scenario and on generated ones
// (SCHEDCHECK_PATCH_CASES, default 200; the recorded runs used more).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "api/checker.hpp"
#include "bridge/ggml_tree.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/scenario_spec.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> patch_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(testing::source_path("patches/ggml-head")))
    if (e.path().extension() == ".patch") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(testing::source_path("reports")))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::set<Mechanism> mechanisms(const Scenario& s, const std::string& policy) {
  const CheckResult r = check(s, policy);
  return {r.mechanisms.begin(), r.mechanisms.end()};
}

class UpstreamPatch : public testing::GgmlBundleTest {
 protected:
  void SetUp() override {
    GgmlBundleTest::SetUp();
    if (IsSkipped()) return;
    if (std::system("git --version > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "no git: the patch is applied with git apply";
    const fs::path head = resolve_tree("ggml-head").root;
    tree_ = testing::scratch_dir("upstream-patch") / "ggml-head-patched";
    fs::remove_all(tree_);
    fs::create_directories(tree_);
    fs::copy(head / "include", tree_ / "include", fs::copy_options::recursive);
    fs::copy(head / "src", tree_ / "src", fs::copy_options::recursive);
    for (const fs::path& p : patch_files()) {
      const auto r = testing::run_shell("git apply --whitespace=error-all '" + p.string() + "'",
                                        tree_.string());
      ASSERT_EQ(r.exit_code, 0) << p << " does not apply to ggml-head: " << r.err;
    }
    patched_ = "ggml@" + tree_.string() + ",as=ggml-26040";
  }

  fs::path tree_;
  std::string patched_;
};

TEST_F(UpstreamPatch, ThePatchesApplyInOrderAndChangeOnlyTheScheduler) {
  ASSERT_FALSE(patch_files().empty());
  const auto r =
      testing::run_shell("git diff --no-index --stat '" + resolve_tree("ggml-head").root.string() +
                         "/src' '" + (tree_ / "src").string() + "'");
  EXPECT_NE(r.out.find("ggml-backend.cpp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 file changed"), std::string::npos) << r.out;
}

TEST_F(UpstreamPatch, RemovesH1FromTheCorpusAndAddsNothing) {
  int h1_removed = 0;
  for (const std::string& file : corpus_files()) {
    SCOPED_TRACE(file);
    const Scenario s = load_scenario(file);
    const std::set<Mechanism> head = mechanisms(s, "ggml@ggml-head");
    const std::set<Mechanism> fixed = mechanisms(s, patched_);
    EXPECT_FALSE(fixed.count(Mechanism::H1));
    for (Mechanism m : fixed) EXPECT_TRUE(head.count(m)) << "new finding " << to_string(m);
    h1_removed += head.count(Mechanism::H1) > 0;
  }
  // two-gpu-pp, llama-pp, H1-rotation-bounded-pp, H5-igpu-pp-input-slot-wrap.
  EXPECT_EQ(h1_removed, 4);
}

TEST_F(UpstreamPatch, GeneratedScenariosHaveNoH1AndNothingNew) {
  const char* env = std::getenv("SCHEDCHECK_PATCH_CASES");
  const int cases = env ? std::atoi(env) : 200;
  const uint64_t seed = 15;
  int h1_in_head = 0;
  for (int i = 0; i < cases; ++i) {
    const Scenario s = synthesize(generate_case(seed, i), "case-" + std::to_string(i));
    const std::set<Mechanism> head = mechanisms(s, "ggml@ggml-head");
    const std::set<Mechanism> fixed = mechanisms(s, patched_);
    EXPECT_FALSE(fixed.count(Mechanism::H1)) << "seed " << seed << " case " << i;
    for (Mechanism m : fixed)
      EXPECT_TRUE(head.count(m)) << "seed " << seed << " case " << i << ": new finding "
                                 << to_string(m);
    h1_in_head += head.count(Mechanism::H1) > 0;
  }
  std::cout << cases << " generated scenarios (seed " << seed << "): ggml-head has H1 in "
            << h1_in_head << ", the patched tree in none\n";
}

}  // namespace
}  // namespace schedcheck
