// The patch for ggml-head (patches/ggml-head/, docs/upstream-patch.md): it applies to ggml-head
// from the bundle, and the patched tree's own scheduler, run through the bridge, is clean on
// every corpus scenario but llama.cpp's input writes on integrated GPUs (H5, which no scheduler
// change reaches), and on generated ones (SCHEDCHECK_PATCH_CASES, default 200; the recorded runs
// used more); it issues fewer host-blocking synchronizations than ggml-head.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "api/checker.hpp"
#include "bridge/ggml_tree.hpp"
#include "bridge/policy_catalog.hpp"
#include "bridge/real_policy.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/scenario_spec.hpp"
#include "real/carried_plan.hpp"
#include "sim/advice.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/program_steps.hpp"
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

std::set<Mechanism> mechanisms(const Scenario& s, const std::string& policy) {
  const CheckResult r = check(s, policy);
  return {r.mechanisms.begin(), r.mechanisms.end()};
}

class UpstreamPatch : public testing::GgmlBundleTest {
 protected:
  void SetUp() override {
    GgmlBundleTest::SetUp();
    if (IsSkipped()) return;
    tree_ = testing::copy_of_tree("ggml-head",
                                  testing::scratch_dir("upstream-patch") / "ggml-head-patched");
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

// The scheduler changes, and the two device caps of hunk 0004: declared in the public header,
// set by ggml-cuda, and listed as false in every other backend's positional caps initializer
// (as ggml added mmap_support), so no backend's behaviour changes unless it says so.
TEST_F(UpstreamPatch, ThePatchesApplyInOrderAndChangeTheSchedulerAndTheDeviceCaps) {
  ASSERT_FALSE(patch_files().empty());
  const std::string head = resolve_tree("ggml-head").root.string();
  const std::string tree = tree_.string();
  auto shell = [](const std::string& cmd) { return testing::run_shell(cmd).out; };
  const std::string listing = shell("cd '" + tree + "' && diff -rq '" + head +
                                    "/src' src; diff -rq '" + head + "/include' include");
  std::set<std::string> changed;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    // "Files HEAD/src/x and src/x differ": the second path is relative to the tree.
    const auto and_at = line.find(" and ");
    ASSERT_NE(and_at, std::string::npos) << line;
    const std::string rel = line.substr(and_at + 5, line.rfind(" differ") - and_at - 5);
    const std::string name = fs::path(rel).filename().string();
    changed.insert(name);
    if (name == "ggml-backend.cpp" || name == "ggml-backend.h" || name == "ggml-cuda.cu") continue;
    SCOPED_TRACE(rel);
    const std::string diff = "cd '" + tree + "' && diff -U0 '" + head + "/" + rel + "' " + rel;
    EXPECT_EQ(shell(diff + " | grep -c '^+ ' || true"), "2\n");
    EXPECT_EQ(shell(diff + " | grep -c '^- ' || true"), "0\n");
    EXPECT_EQ(shell(diff + " | grep -c '^+ .*= \\*/ false,' || true"), "2\n");
  }
  for (const char* f : {"ggml-backend.cpp", "ggml-backend.h", "ggml-cuda.cu", "ggml-cpu.cpp",
                        "ggml-vulkan.cpp", "ggml-metal.cpp", "ggml-backend-meta.cpp"})
    EXPECT_TRUE(changed.count(f)) << f << " unchanged:\n" << listing;
}

TEST_F(UpstreamPatch, TheCorpusIsCleanButForLlamaInputWritesOnIntegratedGpus) {
  int fixed = 0;
  for (const std::string& file : testing::corpus_files()) {
    SCOPED_TRACE(file);
    const Scenario s = load_scenario(file);
    if (!not_in_ggml_trees(s).empty()) continue;  // llama#27311: in no tree
    if (s.has_meta_backend()) continue;  // the meta backend's own patch: test_meta_backend.cpp
    const std::set<Mechanism> head = mechanisms(s, "ggml@ggml-head");
    const std::set<Mechanism> patched = mechanisms(s, patched_);
    for (Mechanism m : patched) EXPECT_TRUE(head.count(m)) << "new finding " << to_string(m);
    EXPECT_FALSE(patched.count(Mechanism::H1));
    // H5: llama.cpp rewrites inputs that an integrated GPU reads in place; no copy to order.
    const bool llama_input_writes = fs::path(file).filename().string().rfind("H5-", 0) == 0;
    // A program that uploads into memory it freed while queued work still read it
    // (reports/buffer-lifetimes): no scheduler call comes between the free and the upload.
    // A program that uploads into memory it freed (reports/buffer-lifetimes) or rewrites an
    // input (reports/input-writes) while queued work still reads it: its own write, between
    // scheduler calls, which no scheduler can order.
    bool program_own_writes = false;
    if (!patched.empty() && !s.program.empty()) {
      const ReplayResult r = replay(s, real_policy(patched_));
      program_own_writes = std::all_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
        return testing::program_own_write(s, r, f);
      });
    }
    if (!program_own_writes && !llama_input_writes) {
      EXPECT_TRUE(patched.empty()) << "finding " << to_string(*patched.begin());
    }
    fixed += !head.empty() && patched.empty();
  }
  // H1: two-gpu-pp, llama-pp, H1-rotation-bounded-pp; H2 on Vulkan's transfer queue: B12.
  EXPECT_EQ(fixed, 4);
}

// The GPU confirmation runs the patched tree with the holds that expose each version's races
// (real --delays from:VERSION, scripts/gpu-patch-races.sh): every such hold must land on an
// operation of the patched tree, or the run would test nothing.
TEST_F(UpstreamPatch, EveryRaceOfEveryVersionHasItsOperationInThePatchedTree) {
  int races = 0, holds = 0;
  for (const std::string& file : testing::corpus_files()) {
    if (fs::path(file).filename().string().rfind("H5-", 0) == 0) continue;  // not fixed (above)
    SCOPED_TRACE(file);
    const Scenario s = load_scenario(file);
    if (!not_in_ggml_trees(s).empty() || s.has_meta_backend()) continue;
    const ReplayResult patched = replay(s, real_policy(patched_));
    for (const Policy& version : policies_for(s)) {
      if (version.name.rfind("ggml-", 0) != 0) continue;
      for (const PlannedRun& run : carried_targeted_plans(replay(s, version), patched, 1)) {
        ++races;
        EXPECT_EQ(run.plan.delays.size(), 1u) << run.finding << ": " << run.plan.name;
        holds += static_cast<int>(run.plan.delays.size());
      }
    }
  }
  std::cout << races << " races of ggml's versions in the corpus, " << holds
            << " of their holds carried onto the patched tree\n";
  EXPECT_GT(races, 30);
}

TEST_F(UpstreamPatch, GeneratedScenariosAreClean) {
  const char* env = std::getenv("SCHEDCHECK_PATCH_CASES");
  const int cases = env ? std::atoi(env) : 200;
  const uint64_t seed = 15;
  int racy_in_head = 0;
  for (int i = 0; i < cases; ++i) {
    const Scenario s = synthesize(generate_case(seed, i), "case-" + std::to_string(i));
    const std::set<Mechanism> patched = mechanisms(s, patched_);
    EXPECT_TRUE(patched.empty()) << "seed " << seed << " case " << i << ": finding "
                                 << to_string(*patched.begin());
    racy_in_head += !mechanisms(s, "ggml@ggml-head").empty();
  }
  std::cout << cases << " generated scenarios (seed " << seed << "): ggml-head races in "
            << racy_in_head << ", the patched tree in none\n";
}

Scenario sync_bound(const std::string& name) {
  return load_scenario(testing::source_path("bench/scenarios/" + name + ".json"));
}

// Host-blocking synchronizations per ubatch, from schedcheck advise; the run must be clean.
double host_blocking_per_ubatch(const Scenario& s, const std::string& policy) {
  const Advice a =
      advise(s, is_real_policy_name(policy) ? real_policy(policy) : *find_builtin_policy(policy));
  EXPECT_TRUE(a.verdict.groups.empty() || policy == "ggml@ggml-head") << policy;
  return a.per_ubatch(a.host_blocking);
}

// Two GPUs without pipeline parallelism (ggml_backend_sched_new with parallel = false): one copy
// slot, so no slot events.
Scenario two_gpus_without_pipeline_parallelism() {
  Scenario s = sync_bound("sync-bound-two-gpu-pp");
  s.name = "sync-bound-two-gpu-no-pp";
  s.scheduler.pipeline_parallel = false;
  return s;
}

// On the sync-bound scenarios the patched tree issues schedcheck-min's host-blocking
// synchronizations, far fewer than ggml-head. Hunk 0004 removes, per ubatch: the host wait of
// hunk 0001 (two GPUs), the wait for a CPU split's source's own host reads (one GPU), and,
// without copy slots, the host's synchronize of the split backend before a copy from another
// GPU.
TEST_F(UpstreamPatch, IssuesTheHostBlockingSynchronizationsOfSchedcheckMin) {
  struct Expected {
    Scenario scenario;
    double head, patched;
  };
  for (const Expected& e :
       {Expected{sync_bound("sync-bound-single-gpu"), 8.125, 2.125},
        Expected{sync_bound("sync-bound-single-gpu-full-offload"), 5.125, 1.125},
        Expected{sync_bound("sync-bound-two-gpu-pp"), 6.25, 2.25},
        Expected{two_gpus_without_pipeline_parallelism(), 8.25, 2.25}}) {
    SCOPED_TRACE(e.scenario.name);
    EXPECT_DOUBLE_EQ(host_blocking_per_ubatch(e.scenario, "ggml@ggml-head"), e.head);
    EXPECT_DOUBLE_EQ(host_blocking_per_ubatch(e.scenario, patched_), e.patched);
    EXPECT_DOUBLE_EQ(host_blocking_per_ubatch(e.scenario, "schedcheck-min"), e.patched);
  }
}

// Hunk 0004's device-side waits follow the device caps: ggml-cuda's HIP build does not report
// cross-device event waits, so over two HIP GPUs the host keeps its wait before each copy from
// the other GPU, once per ubatch, with copy slots or without, and the runs stay clean.
TEST_F(UpstreamPatch, KeepsTheHostWaitWhereTheQueuesCannotWaitAcrossDevices) {
  for (const Scenario& cuda :
       {sync_bound("sync-bound-two-gpu-pp"), two_gpus_without_pipeline_parallelism()}) {
    SCOPED_TRACE(cuda.name);
    Scenario hip = cuda;
    for (Backend& b : hip.backends)
      if (b.kind == BackendKind::cuda) b.kind = BackendKind::hip;
    EXPECT_DOUBLE_EQ(host_blocking_per_ubatch(hip, patched_),
                     host_blocking_per_ubatch(cuda, patched_) + 1.0);
  }
}

}  // namespace
}  // namespace schedcheck
