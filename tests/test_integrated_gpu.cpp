// Integrated GPUs reading pinned host memory in place (H5), llama.cpp's driver rules per era
// (graph reuse, outputs on some batches, the synchronize before set_inputs) and the two fixes of
// H5 (llama#28058, llama#27311's input ring), on the corpus scenarios and small variations.
#include <gtest/gtest.h>

#include <algorithm>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "model/prepared_run.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/advice.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "tests/support/builtin_policy.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario embd_input() {
  return load_scenario_file(source_path("reports/bugs/H5-igpu-embd-input-28056.json"));
}

std::vector<Mechanism> mechanisms(const Scenario& s, const Policy& p) {
  std::vector<Mechanism> out;
  for (const FindingGroup& g : explain(replay(s, p)).groups)
    if (std::find(out.begin(), out.end(), g.mechanism) == out.end()) out.push_back(g.mechanism);
  return out;
}

int count_calls(const ReplayResult& r, Call call, int eval) {
  return static_cast<int>(std::count_if(r.calls.begin(), r.calls.end(), [&](const HostCall& h) {
    return h.site.call == call && h.site.eval == eval;
  }));
}

TEST(IntegratedGpu, HipReadsPinnedHostInPlaceFromGgml26040Only) {
  const Scenario s = embd_input();
  // ggml-26040: no split-input copy; ggml-25138 forces `integrated` off: every input is copied.
  EXPECT_TRUE(prepare_run(s, policy("ggml-26040")).plan.copies.empty());
  EXPECT_EQ(prepare_run(s, policy("ggml-25138")).plan.copies.size(), 5u);
}

TEST(IntegratedGpu, CudaCopiesUnlessTheCapabilityIsOverridden) {
  Scenario s = embd_input();
  s.backends[0].kind = BackendKind::cuda;  // ggml_cuda_init forces `integrated` off for CUDA
  EXPECT_EQ(prepare_run(s, policy("ggml-26040")).plan.copies.size(), 5u);
  CapabilityOverride re_enabled;  // what #27311 proposes once the ring is in
  re_enabled.field = "integrated_reads_pinned_host";
  re_enabled.boolean = true;
  s.backends[0].overrides.push_back(re_enabled);
  EXPECT_TRUE(prepare_run(s, policy("ggml-26040")).plan.copies.empty());
  EXPECT_EQ(mechanisms(s, policy("ggml-26040")), std::vector<Mechanism>{Mechanism::H5});
}

TEST(IntegratedGpu, ADiscreteGpuNeverReadsHostBuffersInPlace) {
  Scenario s = embd_input();
  s.backends[0].integrated = false;
  EXPECT_EQ(prepare_run(s, policy("ggml-26040")).plan.copies.size(), 5u);
  EXPECT_TRUE(explain(replay(s, policy("ggml-26040"))).verdict.is_clean());
}

TEST(IntegratedGpu, TheSetInputsRewriteIsH5AndBothFixesOrderIt) {
  const Scenario s = embd_input();
  EXPECT_EQ(mechanisms(s, policy("ggml-26040")), std::vector<Mechanism>{Mechanism::H5});
  EXPECT_TRUE(mechanisms(s, policy("ggml-26040+llama28058")).empty());
  EXPECT_TRUE(mechanisms(s, policy("ggml-26040+uma-ring")).empty());
}

TEST(IntegratedGpu, TheRingLeavesACpuSplitOutputThatTheGpuReadsInPlace) {
  // inp_embd is the CPU get_rows' output, not an INPUT tensor: the ring does not rotate it.
  const Scenario s =
      load_scenario_file(source_path("reports/bugs/H5-igpu-kv-indices-rewritten-28056.json"));
  const PolicyVerdict v = explain(replay(s, policy("ggml-26040+uma-ring")));
  ASSERT_EQ(v.groups.size(), 1u);
  EXPECT_EQ(v.groups[0].mechanism, Mechanism::H5);
  EXPECT_EQ(v.groups[0].second_access.call, Call::graph_compute);
}

TEST(IntegratedGpu, TheInputRingWaitsForTheSlotsLastReaderOnly) {
  const ReplayResult r = replay(embd_input(), policy("ggml-26040+uma-ring"));
  // prepare_inputs waits on the ring event of its slot in every evaluation; the recorded one
  // belongs to the graph two evaluations back (never recorded yet in evaluations 0 and 1).
  for (int eval = 0; eval < 4; ++eval) {
    EXPECT_EQ(count_calls(r, Call::event_synchronize, eval), 1) << eval;
    EXPECT_EQ(count_calls(r, Call::event_record, eval), 1) << eval;
    EXPECT_EQ(count_calls(r, Call::sched_synchronize, eval), eval == 3 ? 1 : 0) << eval;
  }
  EXPECT_EQ(r.run.alloc.tensor_slots[r.run.scenario.find_tensor("kq_mask")].size(), 2u);
}

TEST(LlamaDriver, Pr28058SynchronizesBeforeEverySetInputsOnBothPaths) {
  const ReplayResult base = replay(embd_input(), policy("ggml-26040"));
  const ReplayResult fixed = replay(embd_input(), policy("ggml-26040+llama28058"));
  EXPECT_EQ(base.stats.reused_graphs, 2);  // evaluations 1 and 3; 2 is rebuilt (rebuild_at)
  EXPECT_EQ(fixed.stats.reused_graphs, 2);
  for (int eval = 0; eval < 3; ++eval) {
    EXPECT_EQ(count_calls(base, Call::sched_synchronize, eval), 0) << eval;
    EXPECT_EQ(count_calls(fixed, Call::sched_synchronize, eval), 1) << eval;
  }
}

TEST(LlamaDriver, AGraphIsNotReusedAcrossAChangeInWhetherTheUbatchHasOutputs) {
  Scenario s = embd_input();
  s.driver.rebuild_at.clear();
  s.driver.outputs[0].ubatches = OutputRead::When::last;              // outputs on ubatch 3 only
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 2);  // 1 and 2, not 3
  s.driver.outputs[0].ubatches = OutputRead::When::all;
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 3);
}

TEST(LlamaDriver, TheServerSynchronizesOnlyAfterABatchWithOutputs) {
  const Scenario s =
      load_scenario_file(source_path("reports/bugs/H5-igpu-kv-indices-rewritten-28056.json"));
  const ReplayResult r = replay(s, policy("ggml-v0"));
  for (int eval = 0; eval < 3; ++eval)
    EXPECT_EQ(count_calls(r, Call::sched_synchronize, eval), 0) << eval;
  EXPECT_EQ(count_calls(r, Call::sched_synchronize, 3), 1);
  EXPECT_EQ(count_calls(r, Call::host_read_output, 3), 1);
  EXPECT_EQ(count_calls(r, Call::host_read_output, 2), 0);
}

TEST(IntegratedGpu, AdviseComparesTheSynchronizeAndTheRing) {
  const Advice a = advise(embd_input(), policy("ggml-26040"));
  ASSERT_EQ(a.input_write_fixes.size(), 2u);
  EXPECT_EQ(a.input_write_fixes[0].kind, InputWriteFix::Kind::synchronize_before_set_inputs);
  EXPECT_EQ(a.input_write_fixes[1].kind, InputWriteFix::Kind::input_ring);
  for (const InputWriteFix& f : a.input_write_fixes) EXPECT_TRUE(f.verdict.is_clean());
  // No H5, nothing to compare.
  EXPECT_TRUE(advise(embd_input(), policy("ggml-26040+llama28058")).input_write_fixes.empty());
}

TEST(LlamaDriver, TheNewFieldsSurviveSaveAndLoad) {
  const Scenario first =
      load_scenario_file(source_path("reports/bugs/H5-igpu-kv-indices-rewritten-28056.json"));
  const std::string saved = save_scenario(first).dump(2);
  const Scenario second = load_scenario_text(saved, "resaved");
  EXPECT_EQ(save_scenario(second).dump(2), saved);
  EXPECT_TRUE(second.backends[0].integrated);
  EXPECT_EQ(second.driver.sync_after_batch, SyncAfterBatch::with_outputs);
  EXPECT_EQ(second.driver.rebuild_at, std::vector<int>{2});
  EXPECT_EQ(second.driver.outputs[0].batches, std::vector<int>{3});
}

}  // namespace
}  // namespace schedcheck::testing
