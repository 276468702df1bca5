// The real ggml scheduler in the loop (bridge/): the trees of the ggml bundle run over
// simulated devices, agree with the model call by call on the corpus, reproduce the pinned
// host-to-device race at ggml-17795, and a scheduler patch that drops a synchronization is
// caught, shrunk and replayed. Skipped, with the reason, when the bundle is not beside the
// checkout.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "sim/differential.hpp"
#include "sim/race_report.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;
using testing::run_schedcheck;
using testing::source_path;

class RealGgml : public testing::GgmlBundleTest {};

std::vector<Mechanism> mechanisms(const Scenario& s, const Policy& p) {
  std::vector<Mechanism> out;
  for (const FindingGroup& g : explain(replay(s, p)).groups) out.push_back(g.mechanism);
  return out;
}

TEST_F(RealGgml, TheRealScheduler17795RacesOnTheCanonicalPipelineScenarioWithH2) {
  const Scenario s = load_scenario_file(source_path("reports/canonical/two-gpu-pp.json"));
  const std::vector<Mechanism> m = mechanisms(s, real_policy("ggml@ggml-17795"));
  EXPECT_NE(std::find(m.begin(), m.end(), Mechanism::H2), m.end());
  // The revert of the sync removal (ggml-20793) is clean on the same scenario.
  EXPECT_TRUE(mechanisms(s, real_policy("ggml@ggml-20793")).empty());
  const auto cli = run_schedcheck("replay " + source_path("reports/canonical/two-gpu-pp.json") +
                                  " --policy ggml@ggml-17795");
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  EXPECT_NE(cli.out.find("race [H2]"), std::string::npos) << cli.out;
}

TEST_F(RealGgml, EveryVersionIssuesTheModelsCallsOnEveryCorpusScenario) {
  for (const std::string& file : testing::corpus_files()) {
    const Scenario s = load_scenario_file(file);
    if (!not_in_ggml_trees(s).empty()) continue;  // llama#27311: in no tree
    if (!not_in_model(s).empty()) continue;       // a meta backend: no model to compare with
    for (const Policy& v : ggml_versions()) {
      const DifferentialResult d = differential(s, v, real_policy("ggml@" + v.name));
      EXPECT_TRUE(d.agree()) << file << " under " << v.name << ": model "
                             << (d.divergence ? d.divergence->model : to_string(d.model_verdict))
                             << "\nreal  "
                             << (d.divergence ? d.divergence->real : to_string(d.real_verdict));
    }
  }
}

TEST_F(RealGgml, CorpusHoldsForTheRealSchedulersOfAllVersions) {
  const auto r = run_schedcheck("corpus --real-ggml");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ggml@ggml-17795"), std::string::npos);
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST_F(RealGgml, DiffShowsAgreementAndNamesBothSides) {
  const auto r = run_schedcheck("diff " + source_path("reports/canonical/single-gpu.json") +
                                " --policy ggml-20793");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ggml-20793 and ggml@ggml-20793 agree on single-gpu"), std::string::npos)
      << r.out;
}

TEST_F(RealGgml, AnUnknownTagOrFolderIsBadInputWithTheReason) {
  const auto tag = run_schedcheck("replay " + source_path("reports/canonical/single-gpu.json") +
                                  " --policy ggml@ggml-99999");
  EXPECT_EQ(tag.exit_code, 2);
  EXPECT_NE(tag.err.find("expected a tag of the ggml bundle"), std::string::npos) << tag.err;
  const auto folder = run_schedcheck("replay " + source_path("reports/canonical/single-gpu.json") +
                                     " --policy ggml@/nonexistent/ggml");
  EXPECT_EQ(folder.exit_code, 2);
  EXPECT_NE(folder.err.find("is not a ggml tree"), std::string::npos) << folder.err;
}

// A report names the tree's own ggml commit, not its era's: ggml-head runs ggml-26040's
// scheduler rules but is another commit; a folder's commit is not known.
TEST_F(RealGgml, ReportsNameTheTreesOwnCommit) {
  EXPECT_EQ(real_policy("ggml@ggml-head").commit, "d99724f2");
  EXPECT_EQ(real_policy("ggml@ggml-26040").commit, "0ab579a5");
  EXPECT_EQ(real_policy("ggml@ggml-17795").commit, "4b496bb9");
  const fs::path folder = resolve_tree("ggml-head").root;
  EXPECT_EQ(real_policy("ggml@" + folder.string()).commit, "-");
  const auto r = run_schedcheck("replay " + source_path("reports/canonical/single-gpu.json") +
                                " --policy ggml@ggml-head");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("under ggml@ggml-head (ggml d99724f2, real ggml tree "), std::string::npos)
      << r.out;
}

// A copy of ggml-head; `edit` replaces one exact piece of compute_splits.
fs::path copy_of_head(const fs::path& where, const std::string& from, const std::string& to) {
  testing::copy_of_tree("ggml-head", where);
  if (from.empty()) return where;
  const fs::path file = where / "src" / "ggml-backend.cpp";
  std::string text = testing::read_all(file);
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "the edit does not apply to ggml-head";
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "the edit applies more than once";
  text.replace(at, from.size(), to);
  std::ofstream(file) << text;
  return where;
}

TEST_F(RealGgml, APatchThatDropsASynchronizationIsFoundShrunkAndReplayed) {
  // Without events (one GPU), the host no longer waits for the backend before it overwrites a
  // user input's copy with a blocking copy.
  const std::string sync =
      "                } else {\n"
      "                    ggml_backend_synchronize(split_backend);\n"
      "                }\n"
      "                ggml_backend_tensor_copy(input, input_cpy);";
  const std::string dropped =
      "                }\n                ggml_backend_tensor_copy(input, input_cpy);";
  const fs::path scratch = testing::scratch_dir("patch");
  const fs::path patched = copy_of_head(scratch / "patched", sync, dropped);
  const fs::path unpatched = copy_of_head(scratch / "unpatched", "", "");

  const fs::path saved = scratch / "counterexamples";
  const auto check = run_schedcheck("check --policy ggml@" + patched.string() +
                                    " --cases 200 --seed 3 --save " + saved.string());
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find("shrunk"), std::string::npos) << check.out;
  ASSERT_TRUE(fs::is_directory(saved)) << check.out;
  // Every counterexample replays under the patch; one of them is the patch's own race.
  int own = 0;
  for (const auto& e : fs::directory_iterator(saved)) {
    const std::string file = e.path().string();
    const auto replayed = run_schedcheck("replay " + file + " --policy ggml@" + patched.string());
    EXPECT_EQ(replayed.exit_code, 1) << file << "\n" << replayed.out << replayed.err;
    own += run_schedcheck("replay " + file + " --policy ggml@" + unpatched.string()).exit_code == 0;
  }
  EXPECT_GE(own, 1) << "no counterexample is clean without the patch:\n" << check.out;

  // The unpatched tree is clean exactly where the model of its scheduler (ggml-26040) is, and
  // the patch races on some of those scenarios.
  const Policy& model = *find_builtin_policy("ggml-26040");
  const Policy& real = real_policy("ggml@" + unpatched.string());
  const Policy& racy = real_policy("ggml@" + patched.string());
  int model_clean = 0, patch_races = 0;
  for (int i = 0; i < 60; ++i) {
    const Scenario s = synthesize(generate_case(3, i));
    const bool clean = replay(s, model).findings.empty();
    EXPECT_EQ(replay(s, real).findings.empty(), clean) << "case " << i << " of seed 3";
    if (!clean) continue;
    ++model_clean;
    patch_races += replay(s, racy).findings.empty() ? 0 : 1;
  }
  EXPECT_GT(model_clean, 0);
  EXPECT_GT(patch_races, 0);
  fs::remove_all(scratch);
}

}  // namespace
}  // namespace schedcheck
