// The MoE partial expert copy path and the eval-callback path of compute_splits (spec §2.2),
// and llama.cpp's output reads, on small scenarios.
#include <gtest/gtest.h>

#include <algorithm>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck::testing {
namespace {

// Expert weights (8 experts x 256 bytes) in host memory, MUL_MAT_ID offloaded to CUDA0.
// ids_on: backend producing the router's expert ids.
std::string moe_scenario(const std::string& ids_on, const std::string& experts_used) {
  return R"({
  "schema": "schedcheck-scenario/1", "name": "moe",
  "backends": [
    {"name": "CUDA0", "kind": "CUDA", "device": 0, "compute_buffer": "gpu"},
    {"name": "CPU", "kind": "CPU", "compute_buffer": "host"}],
  "buffers": [
    {"name": "gpu", "kind": "device", "backend": "CUDA0", "usage": "compute"},
    {"name": "host", "kind": "pinned_host", "usage": "compute"},
    {"name": "host_w", "kind": "pageable_host", "usage": "weights", "size": 2048},
    {"name": "logits", "kind": "pinned_host", "usage": "output", "size": 256}],
  "tensors": [{"name": "ffn_up_exps", "buffer": "host_w", "offset": 0, "size": 2048}],
  "inputs": [{"name": "inp", "size": 64}],
  "graph": {"nodes": [
    {"name": "x", "op": "get_rows", "backend": "CPU", "sources": ["inp"], "size": 256},
    {"name": "ids", "op": "argsort", "backend": ")" +
         ids_on + R"(", "sources": ["x"], "size": 64},
    {"name": "pre", "op": "add", "backend": "CPU", "sources": ["x"], "size": 256},
    {"name": "moe", "op": "mul_mat_id", "backend": "CUDA0", "sources": ["ffn_up_exps", "pre", "ids"],
     "size": 256, "n_expert": 8, "experts_used": )" +
         experts_used + R"(},
    {"name": "out", "op": "add", "backend": "CUDA0", "sources": ["moe"], "size": 256, "flags": ["OUTPUT"]}]},
  "driver": {"ubatches_per_batch": [1, 1, 1],
             "outputs": [{"tensor": "out", "buffer": "logits", "ubatches": "all"}]}
})";
}

std::vector<const HostCall*> calls_of(const ReplayResult& r, Call c, int eval) {
  std::vector<const HostCall*> out;
  for (const HostCall& h : r.calls)
    if (h.site.call == c && h.site.eval == eval) out.push_back(&h);
  return out;
}

TEST(MoePath, CopiesOnlyTheRunsOfUsedExpertsAfterReadingTheIds) {
  // ids computed on the CPU: it is an input of the MUL_MAT_ID split, listed after the weights.
  const Scenario s = load_scenario_text(moe_scenario("CPU", "[[1, 2, 5], [0], [7]]"), "moe");
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-26040"));
  // Evaluation 0 uses experts {1,2} and {5}: two runs, each padded into the next expert.
  std::vector<Region> uploads;
  for (const TraceEntry& e : r.trace)
    if (e.site().call == Call::set_tensor_async && e.site().eval == 0 &&
        e.kind == TraceKind::access)
      uploads.push_back(e.op.accesses[1].region);
  ASSERT_EQ(uploads.size(), 2u);
  EXPECT_EQ(uploads[0].size, 2u * 256 + 256);  // experts 1..2 + min(256, 512) of expert 3
  EXPECT_EQ(uploads[1].size, 256u + 256);
  // The host read the ids before any upload of this evaluation.
  EXPECT_EQ(calls_of(r, Call::moe_ids_read, 0).size(), 1u);
  EXPECT_EQ(explain(r).verdict, Verdict::clean());
}

TEST(MoePath, TheLastExpertRunIsNotPadded) {
  const Scenario s = load_scenario_text(moe_scenario("CPU", "[[7]]"), "moe");
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-v0"));
  for (const TraceEntry& e : r.trace) {
    if (e.site().call == Call::set_tensor_async && e.kind == TraceKind::access) {
      EXPECT_EQ(e.op.accesses[1].region.size, 256u);
    }
  }
}

TEST(MoePath, ReadingTheIdsCopyBeforeItIsFilledIsAStaleHostRead) {
  // llama#15346 before the llama#15488 fix: the host reads CUDA0#ids, not yet copied.
  const Scenario s = load_scenario_text(moe_scenario("CPU", "[[1, 2], [3, 4], [5, 6]]"), "moe");
  Policy bug = *find_builtin_policy("ggml-v0");
  bug.knobs.moe_ids_from_later_input = false;
  const PolicyVerdict v = explain(replay(s, bug));
  ASSERT_FALSE(v.groups.empty());
  EXPECT_TRUE(std::any_of(v.groups.begin(), v.groups.end(),
                          [](const FindingGroup& g) { return g.mechanism == Mechanism::stale_host_read; }));
}

TEST(MoePath, IdsAlreadyOnTheSplitBackendAreReadThere) {
  const Scenario s = load_scenario_text(moe_scenario("CUDA0", "[[0, 1]]"), "moe");
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-v0"));
  auto reads = calls_of(r, Call::get_tensor_async, 0);
  ASSERT_FALSE(reads.empty());
  EXPECT_EQ(reads.front()->site.backend, 0);  // CUDA0
  EXPECT_EQ(explain(r).verdict, Verdict::clean());
}

TEST(EvalCallback, LaunchesChunksAndSynchronizesAfterEach) {
  std::string text = moe_scenario("CUDA0", "[[0, 1]]");
  text.replace(text.find("\"driver\": {"), 11,
               "\"driver\": {\"eval_callback\": {\"nodes\": [\"moe\"]}, ");
  const Scenario s = load_scenario_text(text, "callback");
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-v0"));
  std::string split_calls;
  for (const HostCall& h : r.calls)
    if (h.site.eval == 0 && h.site.split == 3) split_calls += h.letter;  // [CUDA0: moe, out]
  // Two chunks: [moe] (asked: synchronize, then the callback reads moe: blocking get "as"), [out].
  EXPECT_EQ(std::count(split_calls.begin(), split_calls.end(), 'g'), 2) << split_calls;
  EXPECT_NE(split_calls.find("gsas"), std::string::npos) << split_calls;
  auto reads = calls_of(r, Call::eval_callback_read, 0);  // the copy 'a' and its stream wait 's'
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0]->letter, 'a');
  EXPECT_EQ(reads[1]->letter, 's');
  EXPECT_EQ(explain(r).verdict, Verdict::clean());
}

}  // namespace
}  // namespace schedcheck::testing
