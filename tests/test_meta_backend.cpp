// ggml's tensor-parallel meta backend (docs/meta-backend.md): a scenario's meta backend loads,
// saves and is refused by the model; the real meta backend of a ggml tree runs over simulated
// devices through the bridge, where its AllReduce race (M1) is found on a device's AllReduce
// buffer and is gone from the tree that patches/ggml-head-meta/ patches.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "bridge/policy_catalog.hpp"
#include "bridge/real_policy.hpp"
#include "bridge/real_scheduler.hpp"
#include "driver/scenario_file.hpp"
#include "properties/counterexample_search.hpp"
#include "real/recorded_run.hpp"
#include "scenario/scenario_error.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;

const std::string kM1 = "reports/tensor-parallel/M1-meta-allreduce-2dev.json";

Scenario m1() {
  return load_scenario_file(testing::source_path(kM1));
}

TEST(MetaScenario, AMetaBackendNamesItsDevicesAndItsWeightsTheirSplit) {
  const Scenario s = m1();
  const Index tp = s.find_backend("TP");
  ASSERT_NE(tp, kNone);
  EXPECT_EQ(s.backends[tp].kind, BackendKind::meta);
  EXPECT_EQ(s.backends[tp].members,
            (std::vector<Index>{s.find_backend("CUDA0"), s.find_backend("CUDA1")}));
  for (Index m : s.backends[tp].members) EXPECT_EQ(s.backends[m].meta, tp);
  EXPECT_EQ(s.backends[s.cpu_backend()].meta, kNone);
  EXPECT_EQ(s.tensors[s.find_tensor("ffn_up.0")].split, 1);
  EXPECT_EQ(s.tensors[s.find_tensor("ffn_down.0")].split, 0);
  EXPECT_EQ(s.tensors[s.find_tensor("x")].split, Tensor::kNotSplit);
  EXPECT_TRUE(s.has_meta_backend());
}

TEST(MetaScenario, SavingAndLoadingKeepsTheDevicesAndTheSplits) {
  const Scenario s = m1();
  const Scenario again = load_scenario_text(save_scenario(s).dump(), "saved");
  EXPECT_EQ(save_scenario(again), save_scenario(s));
  EXPECT_EQ(again.backends[again.find_backend("TP")].members,
            s.backends[s.find_backend("TP")].members);
  for (std::size_t t = 0; t < s.tensors.size(); ++t)
    EXPECT_EQ(again.tensors[t].split, s.tensors[t].split);
}

TEST(MetaScenario, TheModelRefusesAMetaBackendAndNamesTheRealTreeThatRunsIt) {
  const Scenario s = m1();
  try {
    replay(s, *find_policy(s, "ggml-26040"));
    FAIL() << "the model ran a meta backend";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("meta backend"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ggml@ggml-head"), std::string::npos) << e.what();
  }
}

class MetaBackend : public testing::GgmlBundleTest {};

// The second AllReduce's copy into CUDA1's buffer (CUDA0's queue) against CUDA1's ADD of the
// first, which read it: CUDA0 waited for CUDA1's copy event only.
TEST_F(MetaBackend, GgmlHeadsAllReduceOverwritesABufferADeviceStillReads) {
  const Scenario s = m1();
  const ReplayResult r = replay(s, real_policy("ggml@ggml-head"));
  const PolicyVerdict v = explain(r);
  ASSERT_EQ(v.groups.size(), 1u);
  const FindingGroup& g = v.groups[0];
  EXPECT_EQ(g.mechanism, Mechanism::M1);
  EXPECT_EQ(g.first.kind, FindingKind::write_after_read);
  EXPECT_EQ(g.buffer.name, "CUDA1 AllReduce buffers");
  EXPECT_EQ(g.first_access.agent, "CUDA1");
  EXPECT_EQ(g.first_access.step, std::string(kAllReduceStep));
  EXPECT_EQ(g.first_access.tensor.name, "ffn_down-0");
  EXPECT_EQ(g.second_access.agent, "CUDA0");
  EXPECT_EQ(g.second_access.call, Call::cpy_tensor_async);
  EXPECT_EQ(g.second_access.tensor.name, "ffn_down-1");
  EXPECT_TRUE(g.reaches_host());
  // Each device computes its slices: launches on both members' queues.
  std::vector<int> launches(r.run.layout.agents.size(), 0);
  for (const TraceEntry& e : r.trace)
    if (e.kind == TraceKind::access && e.op.kind == OpKind::compute) ++launches[e.agent];
  const ExecutionLayout& l = r.run.layout;
  EXPECT_GT(launches[l.queue_of[s.find_backend("CUDA0")]], 2);
  EXPECT_GT(launches[l.queue_of[s.find_backend("CUDA1")]], 2);
  EXPECT_EQ(l.queue_of[s.find_backend("TP")], -1);  // the meta backend has no queue of its own
}

TEST_F(MetaBackend, TheSameRaceIsInEveryTreeWithAMetaBackendAndOlderTreesRefuseIt) {
  const Scenario s = m1();
  for (const char* tag : {"ggml-20793", "ggml-25138", "ggml-26040"}) {
    SCOPED_TRACE(tag);
    const PolicyVerdict v = explain(replay(s, real_policy(std::string("ggml@") + tag)));
    ASSERT_EQ(v.groups.size(), 1u);
    EXPECT_EQ(v.groups[0].mechanism, Mechanism::M1);
  }
  try {
    replay(s, real_policy("ggml@ggml-17795"));
    FAIL() << "a tree without a meta backend ran one";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("no meta backend"), std::string::npos) << e.what();
  }
}

// A real tree the bundle does not have is bad input naming the expectation, not "not checked".
TEST_F(MetaBackend, ACorpusExpectationOfAnUnknownTreeIsBadInput) {
  const fs::path dir = testing::scratch_dir("meta-corpus");
  fs::remove_all(dir);
  fs::create_directories(dir);
  Scenario s = m1();
  s.expectations.front().policy = "ggml@ggml-haed";
  {
    std::ofstream out(dir / "typo.json");
    out << save_scenario(s).dump(1);
  }
  const auto r = testing::run_schedcheck("corpus '" + dir.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("/expect/ggml@ggml-haed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected a tag of the ggml bundle"), std::string::npos) << r.err;
}

TEST_F(MetaBackend, AlternatingTheAllReduceBuffersRemovesTheRace) {
  const fs::path tree = testing::copy_of_tree(
      "ggml-head", testing::scratch_dir("meta-patch") / "ggml-head-meta-patched");
  for (const auto& e : fs::directory_iterator(testing::source_path("patches/ggml-head-meta"))) {
    const auto applied = testing::run_shell(
        "git apply --whitespace=error-all '" + e.path().string() + "'", tree.string());
    ASSERT_EQ(applied.exit_code, 0) << e.path() << ": " << applied.err;
  }
  const Scenario s = m1();
  const ReplayResult r = replay(s, real_policy("ggml@" + tree.string() + ",as=ggml-26040"));
  EXPECT_TRUE(explain(r).verdict.is_clean());
  // Still an AllReduce: each device's ADD of a partial sum received in an AllReduce buffer.
  const auto adds = std::count_if(r.trace.begin(), r.trace.end(), [](const TraceEntry& e) {
    return e.kind == TraceKind::access && e.site().step == kAllReduceStep;
  });
  EXPECT_EQ(adds, 4);  // two AllReduces of two devices
}

// Whether M1 exists depends on how the members copy between devices: ggml-vulkan copies within
// one device only, so each AllReduce copy takes ggml_backend_tensor_copy_async's fallback
// (synchronize both, copy blocking) and no ADD is left running; ggml-metal queues the copy on
// the source device with an event, as ggml-cuda does.
TEST_F(MetaBackend, VulkanMembersCopyThroughTheHostAndDoNotRaceMetalMembersDo) {
  const Scenario vulkan = load_scenario_file(
      testing::source_path("reports/tensor-parallel/M1-meta-allreduce-2dev-vulkan.json"));
  const ReplayResult r = replay(vulkan, real_policy("ggml@ggml-head"));
  EXPECT_TRUE(explain(r).groups.empty());
  int queued_copies = 0, syncs = 0, adds = 0;
  for (const TraceEntry& e : r.trace) {
    queued_copies += e.kind == TraceKind::access && e.site().call == Call::cpy_tensor_async;
    syncs += e.kind != TraceKind::access && e.site().call == Call::synchronize;
    adds += e.kind == TraceKind::access && e.site().step == kAllReduceStep;
  }
  EXPECT_EQ(queued_copies, 0);
  EXPECT_GT(syncs, 0);
  EXPECT_GT(adds, 0);  // the AllReduces still happen, through the host

  const Scenario metal = load_scenario_file(
      testing::source_path("reports/tensor-parallel/M1-meta-allreduce-2dev-metal.json"));
  const PolicyVerdict v = explain(replay(metal, real_policy("ggml@ggml-head")));
  ASSERT_EQ(v.groups.size(), 1u);
  EXPECT_EQ(v.groups[0].mechanism, Mechanism::M1);
  EXPECT_EQ(v.groups[0].second_access.call, Call::cpy_tensor_async);
  EXPECT_EQ(v.groups[0].second_access.agent, "Metal0");
}

// The search of `check --shape tensor-parallel`: generated blocks on 2-4 devices, 1-4 ubatches,
// graph reuse on or off; the first M1 case shrinks to its core.
TEST_F(MetaBackend, TheTensorParallelSearchFindsM1AndShrinksItToTwoDevicesAndTwoBlocks) {
  SearchOptions o;
  o.cases = 16;
  o.seed = 7;
  o.shape = kTensorParallelShape;
  o.max_variants = 1;
  const PolicySearch r = search_policy(real_policy("ggml@ggml-head"), o);
  ASSERT_EQ(r.found.size(), 1u) << "cases run: " << r.cases_run;
  const Counterexample& c = r.found[0];
  EXPECT_EQ(c.mechanism, Mechanism::M1);
  const TensorParallelSpec& tp = c.shrunk.tensor_parallel;
  EXPECT_EQ(tp.devices, 2);
  ASSERT_EQ(tp.blocks.size(), 2u);  // one AllReduce cannot race: the scheduler syncs after it
  for (const TpBlockSpec& b : tp.blocks) EXPECT_EQ(b, (TpBlockSpec{false, false, false}));
  EXPECT_FALSE(tp.cpu_embedding);
  EXPECT_FALSE(tp.output_head);
  EXPECT_EQ(c.size.ubatches, 1);
  EXPECT_TRUE(c.scenario.has_meta_backend());
}

TEST_F(MetaBackend, GeneratedTensorParallelGraphsAreCleanOnThePatchedTree) {
  const fs::path tree = testing::copy_of_tree(
      "ggml-head", testing::scratch_dir("meta-search") / "ggml-head-meta-patched");
  for (const auto& e : fs::directory_iterator(testing::source_path("patches/ggml-head-meta")))
    ASSERT_EQ(testing::run_shell("git apply '" + e.path().string() + "'", tree.string()).exit_code,
              0);
  SearchOptions o;
  o.cases = 16;
  o.seed = 7;
  o.shape = kTensorParallelShape;
  const PolicySearch r = search_policy(real_policy("ggml@" + tree.string() + ",as=ggml-26040"), o);
  EXPECT_EQ(r.cases_run, 16);
  EXPECT_TRUE(r.found.empty()) << to_string(r.found.front().variant);
}

// Said before a device is needed (exit 2 on any machine), not a crash on the GPU machine.
TEST(MetaScenario, TheCudaExecutorRefusesAMetaBackendWithTheReason) {
  const auto r = testing::run_schedcheck("real " + testing::source_path(kM1) +
                                         " --policy ggml@ggml-head --delays none --runs 1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the CUDA executor cannot run a meta backend"), std::string::npos) << r.err;
}

// ggml-cuda's own AllReduce runs below the bridge: asked for by name, only random or no delays
// make sense (targeted holds name the generic AllReduce's calls), and an unknown value is named.
// Both are refused before a device is needed.
TEST_F(MetaBackend, GgmlCudasOwnAllReduceTakesOnlyDelaysThatNameNoCalls) {
  auto real = [](const std::string& allreduce, const std::string& delays) {
    return testing::run_shell(
        "GGML_CUDA_ALLREDUCE=" + allreduce + " '" + std::string(SCHEDCHECK_BINARY) + "' real " +
        testing::source_path(kM1) +
        " --policy ggml@ggml-head --backend ggml-cuda --runs 1 --delays " + delays);
  };
  testing::expect_bad_input(
      real("internal", "auto"),
      "with GGML_CUDA_ALLREDUCE=internal ggml-cuda's own AllReduce runs below the bridge");
  testing::expect_bad_input(real("nccl", "from:ggml@ggml-head"),
                            "expected --delays none or random:SEED");
  testing::expect_bad_input(
      real("ring", "none"),
      "GGML_CUDA_ALLREDUCE=ring: expected none (the generic AllReduce, which the bridge sees), "
      "internal or nccl");
}

// Over ggml's own CUDA backend the meta backend is ggml's, over CUDA members; its device
// buffers take ggml-cuda's alignment like the members' do.
TEST(MetaScenario, GgmlCudaRunsAMetaBackendOverCudaMembers) {
  const Scenario s = scenario_for_ggml_backends(m1(), "ggml-cuda");
  for (const Buffer& b : s.buffers) {
    if (b.kind == BufferKind::device) {
      EXPECT_EQ(b.alignment, uint64_t{128}) << b.name;
    }
  }
  Scenario vulkan = m1();
  vulkan.backends[vulkan.find_backend("CUDA1")].kind = BackendKind::vulkan;
  try {
    scenario_for_ggml_backends(vulkan, "ggml-cuda");
    FAIL() << "a Vulkan member ran over ggml-cuda";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("backend CUDA1 is Vulkan"), std::string::npos) << e.what();
  }
}

TEST(MetaSearch, TensorParallelSpecsAreValidScenariosOfTheirDevicesAndBlocks) {
  std::set<BackendKind> kinds;
  for (int i = 0; i < 40; ++i) {
    const ScenarioSpec spec = generate_case(11, i, kTensorParallelShape);
    const Scenario s = synthesize(spec);
    const TensorParallelSpec& tp = spec.tensor_parallel;
    ASSERT_GE(tp.devices, 2);
    ASSERT_LE(tp.devices, kMaxTpDevices);
    const std::vector<Index>& members = s.backends[s.find_backend("TP")].members;
    ASSERT_EQ(members.size(), static_cast<std::size_t>(tp.devices));
    // Each member has its spec's kind, on a device of its own.
    for (std::size_t d = 0; d < members.size(); ++d) {
      EXPECT_EQ(s.backends[members[d]].kind, spec.gpus[d].kind) << describe_spec(spec);
      EXPECT_EQ(s.backends[members[d]].device, static_cast<int>(d));
      kinds.insert(spec.gpus[d].kind);
    }
    // A partial product per block, each an AllReduce of the meta backend.
    const auto partials = std::count_if(s.tensors.begin(), s.tensors.end(),
                                        [](const Tensor& t) { return t.split == 0; });
    EXPECT_EQ(partials, static_cast<long>(tp.blocks.size()));
    // As a file: the loader accepts what the synthesis builds.
    EXPECT_NO_THROW(load_scenario_text(save_scenario(s).dump(), "synthesized"))
        << describe_spec(spec);
  }
  // The members' kinds are drawn: copies between devices differ by kind.
  EXPECT_TRUE(kinds.count(BackendKind::cuda));
  EXPECT_TRUE(kinds.count(BackendKind::vulkan));
}

}  // namespace
}  // namespace schedcheck
