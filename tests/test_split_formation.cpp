// Split formation, spec §3.5 pass 5: one test per rule.
#include <gtest/gtest.h>

#include "scenario/scenario_error.hpp"
#include "model/split_formation.hpp"
#include "scenario/scenario_builder.hpp"
#include "tests/support/gpu_and_cpu.hpp"

namespace schedcheck::testing {
namespace {

struct TwoBackends : GpuAndCpu {
  Index host_w = b.buffer("host_w", BufferKind::pageable_host, BufferUsage::weights, kNone, 0);
  Index gpu_w = b.buffer("gpu_w", BufferKind::device, BufferUsage::weights, gpu, 0);
  SplitPlan form(int n_copies = 1, int max_inputs = 30) {
    return form_splits(b.scenario(), SplitOptions{n_copies, max_inputs, {}});
  }
};

TEST_F(TwoBackends, ANewSplitStartsWhenTheBackendChanges) {
  Index x = b.node("x", cpu, {}, 64);
  Index y = b.node("y", gpu, {x}, 64);
  b.node("z", gpu, {y}, 64);
  b.node("w", cpu, {}, 64);
  SplitPlan p = form();
  ASSERT_EQ(p.splits.size(), 3u);
  EXPECT_EQ(p.splits[0].backend, cpu);
  EXPECT_EQ(p.splits[1].backend, gpu);
  EXPECT_EQ(p.splits[1].first_node, 1);
  EXPECT_EQ(p.splits[1].end_node, 3);
  EXPECT_EQ(p.splits[2].backend, cpu);
}

TEST_F(TwoBackends, ACrossBackendSourceBecomesAnInputAndTheNodeReadsTheCopy) {
  Index x = b.node("x", cpu, {}, 64);
  b.node("y", gpu, {x}, 64);
  SplitPlan p = form();
  ASSERT_EQ(p.splits[1].inputs.size(), 1u);
  const SplitInput& in = p.splits[1].inputs[0];
  EXPECT_EQ(in.source, x);
  EXPECT_EQ(in.kind, InputKind::activation);
  EXPECT_EQ(p.copies[in.copy].name, "CUDA0#x");
  EXPECT_EQ(p.copies[in.copy].backend, gpu);
  EXPECT_EQ(p.node_sources[1][0].copy, in.copy);  // rewritten to the copy
}

TEST_F(TwoBackends, AHostBufferUsableByTheSplitBackendNeedsNoCopy) {
  ScenarioBuilder c;
  Index blas = c.backend("BLAS", BackendKind::blas);
  Index host = c.backend("CPU", BackendKind::cpu);
  Index x = c.node("x", host, {}, 64);
  c.node("y", blas, {x}, 64);
  SplitPlan p = form_splits(c.scenario(), SplitOptions{1, 30, {}});
  ASSERT_EQ(p.splits.size(), 2u);
  EXPECT_TRUE(p.splits[1].inputs.empty());
  EXPECT_EQ(p.node_sources[1][0].copy, kNone);
}

TEST_F(TwoBackends, ALaterSplitOnTheSameBackendReusesTheCopyWithoutAnInput) {
  Index x = b.node("x", cpu, {}, 64);
  b.node("y", gpu, {x}, 64);
  b.node("z", cpu, {}, 64);
  b.node("w", gpu, {x}, 64);
  SplitPlan p = form();
  ASSERT_EQ(p.splits.size(), 4u);
  EXPECT_EQ(p.splits[1].inputs.size(), 1u);
  EXPECT_TRUE(p.splits[3].inputs.empty());
  EXPECT_EQ(p.node_sources[3][0].copy, p.splits[1].inputs[0].copy);
}

TEST_F(TwoBackends, InputsAreListedInTheOrderTheyAreFirstMet) {
  Index a = b.input("a", 16);
  Index c = b.input("c", 16);
  Index x = b.node("x", cpu, {a}, 64);
  b.node("y", gpu, {x, c}, 64);
  b.node("z", gpu, {a}, 64);
  SplitPlan p = form();
  ASSERT_EQ(p.splits[1].inputs.size(), 3u);
  EXPECT_EQ(p.splits[1].inputs[0].source, x);
  EXPECT_EQ(p.splits[1].inputs[1].source, c);
  EXPECT_EQ(p.splits[1].inputs[2].source, a);
  EXPECT_EQ(p.splits[1].inputs[1].kind, InputKind::user_input);
}

TEST_F(TwoBackends, AWeightOnAnIncompatibleBufferCutsOnlyWhenTheSplitHasInputs) {
  Index w1 = b.weight("w1", host_w, 256);
  Index w2 = b.weight("w2", host_w, 256);
  Index x = b.node("x", cpu, {}, 64);
  b.node("g0", gpu, {w1}, 64);     // first GPU node: the split has no inputs yet, no cut
  b.node("g1", gpu, {x, w2}, 64);  // now the split has inputs: a host weight forces a cut
  SplitPlan p = form();
  ASSERT_EQ(p.splits.size(), 3u);
  EXPECT_EQ(p.splits[1].end_node, 2);
  EXPECT_EQ(p.splits[1].inputs.size(), 1u);
  EXPECT_EQ(p.splits[1].inputs[0].kind, InputKind::weight);
  EXPECT_EQ(p.splits[2].backend, gpu);
}

TEST_F(TwoBackends, AFullInputListCutsWhenASourceNeedsANewCopy) {
  std::vector<Index> xs;
  for (int i = 0; i < 3; ++i) xs.push_back(b.node("x" + std::to_string(i), cpu, {}, 64));
  b.node("g0", gpu, {xs[0], xs[1]}, 64);
  b.node("g1", gpu, {xs[0]}, 64);  // copy exists: no cut
  b.node("g2", gpu, {xs[2]}, 64);  // list full (2) and x2 needs a copy: cut
  SplitPlan capped = form(1, 2);
  ASSERT_EQ(capped.splits.size(), 3u);
  EXPECT_EQ(capped.splits[1].end_node, 5);
  EXPECT_EQ(capped.splits[2].inputs.size(), 1u);
  SplitPlan growable = form(1, 0);  // since e8e7ea4f the list grows
  EXPECT_EQ(growable.splits.size(), 2u);
  EXPECT_EQ(growable.splits[1].inputs.size(), 3u);
}

TEST_F(TwoBackends, UserInputsAreMultipliedPerSlotOnlyWithSeveralCopies) {
  Index a = b.input("a", 16);
  b.node("y", gpu, {a}, 64);
  EXPECT_TRUE(form(1).graph_inputs.empty());
  SplitPlan p = form(4);
  ASSERT_EQ(p.graph_inputs.size(), 1u);
  EXPECT_EQ(p.graph_inputs[0], a);
  EXPECT_EQ(p.n_copies, 4);
}

TEST_F(TwoBackends, GivenSplitsTakeTheDumpsInputOrder) {
  Index a = b.input("a", 16);
  Index x = b.node("x", cpu, {}, 64);
  b.node("y", gpu, {x, a}, 64);
  b.scenario().given_splits =
      std::vector<GivenSplit>{{cpu, 0, 1, std::nullopt}, {gpu, 1, 2, std::vector<Index>{a, x}}};
  SplitPlan p = form();
  ASSERT_EQ(p.splits[1].inputs.size(), 2u);
  EXPECT_EQ(p.splits[1].inputs[0].source, a);
  EXPECT_EQ(p.splits[1].inputs[1].source, x);
}

TEST_F(TwoBackends, GivenSplitsMustListEveryNeededInput) {
  Index a = b.input("a", 16);
  Index x = b.node("x", cpu, {}, 64);
  b.node("y", gpu, {x, a}, 64);
  b.scenario().given_splits =
      std::vector<GivenSplit>{{cpu, 0, 1, std::nullopt}, {gpu, 1, 2, std::vector<Index>{x}}};
  const ScenarioError e = error_of([&] { form(); });
  EXPECT_EQ(e.json_path(), "/splits/1/inputs");
  EXPECT_NE(e.message().find("missing input \"a\""), std::string::npos) << e.message();
}

TEST_F(TwoBackends, GivenSplitsMustNotListATensorReadInPlace) {
  Index x = b.node("x", gpu, {}, 64);
  b.node("y", gpu, {x}, 64);
  b.scenario().given_splits =
      std::vector<GivenSplit>{{gpu, 0, 1, std::nullopt}, {gpu, 1, 2, std::vector<Index>{x}}};
  const ScenarioError e = error_of([&] { form(); });
  EXPECT_EQ(e.json_path(), "/splits/1/inputs/0");
  EXPECT_NE(e.message().find("reads it in place"), std::string::npos) << e.message();
}

}  // namespace
}  // namespace schedcheck::testing
