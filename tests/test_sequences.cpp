// llama.cpp's parallel sequences over the KV cache (driver.sequences): which cells a ubatch
// writes and reads, graph reuse across sequence changes, and findings that cross sequences
// (llama.cpp #28056: one request's keys in another's cells).
#include <gtest/gtest.h>

#include <algorithm>

#include "driver/scenario_file.hpp"
#include "scenario/kv_sequences.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/report_text.hpp"
#include "tests/support/builtin_policy.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario np2() {
  return load_scenario_file(source_path("reports/bugs/H5-igpu-np2-kv-leak-28056.json"));
}

// The regions of `tensor` that graph launches of evaluation `eval` write (or read).
std::vector<Region> compute_accesses(const ReplayResult& r, const std::string& tensor, int eval,
                                     bool writes) {
  const Index t = r.run.scenario.find_tensor(tensor);
  std::vector<Region> out;
  for (const TraceEntry& e : r.trace) {
    if (e.kind != TraceKind::access || e.op.kind != OpKind::compute || e.site().eval != eval)
      continue;
    for (const Access& a : e.op.accesses)
      if (a.tensor == t && a.copy == kNone && a.is_write == writes) out.push_back(a.region);
  }
  return out;
}

const FindingGroup* group_on(const PolicyVerdict& v, const std::string& tensor) {
  for (const FindingGroup& g : v.groups)
    if (g.second_access.tensor.name == tensor || g.first_access.tensor.name == tensor) return &g;
  return nullptr;
}

TEST(Sequences, TheRewrittenIndicesOfAnotherSequencesUbatchLeakAcrossRequests) {
  const PolicyVerdict v = explain(replay(np2(), policy("ggml-26040")));
  // Sequence 1's logits read the unified cache that sequence 0's corrupted write left.
  for (const FindingGroup& g : v.groups) {
    if (g.first_access.tensor.name == "kq_mask") continue;  // the mask feeds only sequence 0
    ASSERT_EQ(g.corrupts.size(), 1u) << g.first_access.tensor.name;
    EXPECT_EQ(g.corrupts[0].value.batch, 1);
  }
  const FindingGroup* k = group_on(v, "k_idxs");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->mechanism, Mechanism::H5);
  ASSERT_TRUE(k->effect.crossing.has_value());
  EXPECT_TRUE(k->effect.crossing->writes_cache);
  EXPECT_EQ(k->effect.crossing->node, "k_store-0");
  EXPECT_EQ(k->effect.crossing->cache, "cache_k_l0");
  EXPECT_EQ(k->effect.crossing->own, std::vector<int>{0});
  EXPECT_EQ(k->effect.crossing->other, std::vector<int>{1});
  // The mask steers attention through KQ, the product with the cache.
  const FindingGroup* mask = group_on(v, "kq_mask");
  ASSERT_NE(mask, nullptr);
  ASSERT_TRUE(mask->effect.crossing.has_value());
  EXPECT_FALSE(mask->effect.crossing->writes_cache);
  EXPECT_EQ(mask->effect.crossing->cache, "cache_k_l0");
  // inp_pos steers no cache, and inp_embd is no input: wrong, but no crossing is claimed.
  const FindingGroup* pos = group_on(v, "inp_pos");
  ASSERT_NE(pos, nullptr);
  EXPECT_FALSE(pos->effect.crossing.has_value());
}

TEST(Sequences, OneSequenceHasNoCrossingToReport) {
  Scenario s = np2();
  s.driver.sequences = SequenceConfig{};
  const PolicyVerdict v = explain(replay(s, policy("ggml-26040")));
  ASSERT_FALSE(v.groups.empty());
  for (const FindingGroup& g : v.groups) EXPECT_FALSE(g.effect.crossing.has_value());
}

TEST(Sequences, BothFixesOrderTheIndicesAndPerSequenceValuesReadBackClean) {
  // A clean verdict needs each sequence's cells to hold its own last write: tracked per
  // tensor, sequence 0's cells would read as stale in evaluation 1.
  EXPECT_TRUE(explain(replay(np2(), policy("ggml-25138"))).verdict.is_clean());
  EXPECT_TRUE(explain(replay(np2(), policy("ggml-26040+llama28058"))).verdict.is_clean());
  const PolicyVerdict ring = explain(replay(np2(), policy("ggml-26040+uma-ring")));
  ASSERT_EQ(ring.groups.size(), 1u);
  EXPECT_FALSE(ring.groups[0].effect.crossing.has_value());  // inp_embd, not an index
}

TEST(Sequences, AWriterWritesOnlyTheCellsOfItsUbatchsSequences) {
  const ReplayResult r = replay(np2(), policy("ggml-25138"));
  const Region whole = r.run.alloc.tensor_region(r.run.scenario.find_tensor("cache_k_l0"), 0);
  const uint64_t half = whole.size / 2;
  EXPECT_EQ(compute_accesses(r, "cache_k_l0", 0, true),
            (std::vector<Region>{{whole.buffer, whole.offset, half}}));
  EXPECT_EQ(compute_accesses(r, "cache_k_l0", 1, true),
            (std::vector<Region>{{whole.buffer, whole.offset + half, half}}));
}

TEST(Sequences, AUnifiedCacheIsReadWholeAndAStreamPerSequenceOnlyInTheUbatchsStreams) {
  Scenario s = np2();
  const ReplayResult unified = replay(s, policy("ggml-25138"));
  EXPECT_EQ(compute_accesses(unified, "cache_k_l0", 1, false).size(), 2u);  // both sequences
  s.driver.sequences.unified_kv = false;
  const ReplayResult streams = replay(s, policy("ggml-25138"));
  const Region whole = streams.run.alloc.tensor_region(s.find_tensor("cache_k_l0"), 0);
  EXPECT_EQ(compute_accesses(streams, "cache_k_l0", 1, false),
            (std::vector<Region>{{whole.buffer, whole.offset + whole.size / 2, whole.size / 2}}));
  s.driver.sequences.per_ubatch = {{0, 1}};  // get_k views the streams s0 .. s1
  EXPECT_EQ(compute_accesses(replay(s, policy("ggml-25138")), "cache_k_l0", 1, false).size(), 2u);
}

TEST(Sequences, TheGraphIsReusedAsAllowReuseComparesSequences) {
  Scenario s = np2();  // sequences 0, 1, 0, 1
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 0);  // outputs on 1 and 3 only
  s.driver.outputs[0].batches.clear();  // outputs on every chunk: sequences alone decide
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 3);  // unified: counts match
  s.driver.sequences.unified_kv = false;  // split_equal: the ids must match too
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 0);
  s.driver.sequences.unified_kv = true;
  s.driver.sequences.per_ubatch = {{0}, {0, 1}};  // one sequence, then two
  EXPECT_EQ(replay(s, policy("ggml-26040")).stats.reused_graphs, 0);
  EXPECT_TRUE(same_sequence_shape(s.driver, 0, 2));
  EXPECT_FALSE(same_sequence_shape(s.driver, 0, 1));
}

TEST(Sequences, OneSequenceRunsExactlyAsAScenarioWithoutThem) {
  Scenario with = np2();
  with.driver.sequences = SequenceConfig{1, true, {{0}}};
  Scenario without = np2();
  without.driver.sequences = SequenceConfig{};
  const ReplayResult a = replay(with, policy("ggml-26040"));
  const ReplayResult b = replay(without, policy("ggml-26040"));
  ASSERT_EQ(a.trace.size(), b.trace.size());
  for (std::size_t i = 0; i < a.trace.size(); ++i)
    EXPECT_EQ(a.trace[i].op.accesses.size(), b.trace[i].op.accesses.size()) << i;
  EXPECT_EQ(a.findings.size(), b.findings.size());
}

TEST(Sequences, ReportsNameTheCellsOfASequence) {
  TensorName cells{TensorName::Form::tensor, "cache_k_l0", 0, 1};
  EXPECT_EQ(to_text(cells), "cache_k_l0 (cells of sequence 1)");
  cells.form = TensorName::Form::copy_slot;
  cells.name = "CUDA0#cache_k_l0";
  EXPECT_EQ(to_text(cells), "CUDA0#cache_k_l0#0 (cells of sequence 1)");
}

TEST(Sequences, TheFieldSurvivesSaveAndLoad) {
  Scenario first = np2();
  first.driver.sequences.unified_kv = false;
  const std::string saved = save_scenario(first).dump(2);
  const Scenario second = load_scenario_text(saved, "resaved");
  EXPECT_EQ(save_scenario(second).dump(2), saved);
  EXPECT_EQ(second.driver.sequences.count, 2);
  EXPECT_FALSE(second.driver.sequences.unified_kv);
  EXPECT_EQ(second.driver.sequences.per_ubatch, (std::vector<std::vector<int>>{{0}, {1}}));
}

}  // namespace
}  // namespace schedcheck::testing
