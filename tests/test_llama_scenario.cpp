// llama.cpp's decoder graph as a shaped scenario (scenario/llama_scenario.cpp): what it builds,
// what the model says of it, that the real scheduler runs its own ops over simulated devices
// call for call as the model does, and, over ggml-cpu, that every read is the reference's and a
// wrong input shows where it should. The ggml parts skip without the bundle (or CMake).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bridge/real_policy.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "real/recorded_run.hpp"
#include "scenario/llama_scenario.hpp"
#include "sim/differential.hpp"
#include "sim/race_report.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;
using testing::run_schedcheck;

LlamaShape tiny(std::vector<int> layers, BackendKind kind, int ubatches) {
  LlamaShape l;
  l.n_embd = 64;
  l.n_head = 4;
  l.n_head_kv = 2;
  l.n_ff = 128;
  l.n_vocab = 100;
  l.n_ubatch = 8;
  l.ubatches = ubatches;
  l.layers_per_gpu = std::move(layers);
  l.kind = kind;
  return l;
}

std::vector<Mechanism> mechanisms(const Scenario& s, const Policy& p) {
  std::vector<Mechanism> out;
  for (const FindingGroup& g : explain(replay(s, p)).groups) out.push_back(g.mechanism);
  return out;
}

TEST(LlamaScenario, BuildsLlamasLayersWithConsistentShapesOnTheirGpus) {
  const Scenario s = make_llama_scenario(tiny({1, 2}, BackendKind::cuda, 6));
  EXPECT_EQ(s.name, "llama-3L-2xCUDA-6ub");
  EXPECT_TRUE(s.has_shapes());
  EXPECT_TRUE(s.scheduler.pipeline_parallel);
  // 24 nodes a layer, the embedding lookup and the output head.
  EXPECT_EQ(s.nodes.size(), 3u * 24 + 4);
  for (const Tensor& t : s.tensors) {
    uint64_t bytes = 4;
    for (int64_t d : t.shape) bytes *= static_cast<uint64_t>(d);
    EXPECT_EQ(t.size, bytes) << t.name;
  }
  EXPECT_EQ(s.backends[s.nodes[s.find_node("inp_embd")].backend].name, "CPU");
  EXPECT_EQ(s.backends[s.nodes[s.find_node("Qcur-0")].backend].name, "CUDA0");
  EXPECT_EQ(s.backends[s.nodes[s.find_node("l_out-2")].backend].name, "CUDA1");
  EXPECT_EQ(s.backends[s.nodes[s.find_node("result_output")].backend].name, "CUDA1");
  // The layer's attention reads the cache through llama.cpp's views.
  const Node& kq = s.nodes[s.find_node("kq-1")];
  ASSERT_EQ(kq.source_views.size(), 2u);
  EXPECT_EQ(kq.source_views[0].back().kind, ViewStep::Kind::permute);
  EXPECT_EQ(s.tensors[kq.output].shape, (std::vector<int64_t>{48, 8, 4}));
  EXPECT_EQ(s.tensors[s.find_tensor("kq_mask")].values.fill, TensorValues::Fill::causal_mask);
  EXPECT_THROW(make_llama_scenario(tiny({}, BackendKind::cuda, 2)), std::invalid_argument);
  LlamaShape odd = tiny({1}, BackendKind::cuda, 2);
  odd.n_head = 5;
  EXPECT_THROW(make_llama_scenario(odd), std::invalid_argument);
}

TEST(LlamaScenario, TheModelFindsH1AtHeadWithFiveUbatchesInFlightAndNotWithFour) {
  const Policy& head = *find_builtin_policy("ggml-26040");
  EXPECT_EQ(mechanisms(make_llama_scenario(tiny({1, 1}, BackendKind::cuda, 6)), head),
            std::vector<Mechanism>{Mechanism::H1});
  EXPECT_TRUE(mechanisms(make_llama_scenario(tiny({1, 1}, BackendKind::cuda, 4)), head).empty());
  EXPECT_TRUE(mechanisms(make_llama_scenario(tiny({1, 1}, BackendKind::cuda, 6)),
                         *find_builtin_policy("ggml-20793"))
                  .empty());
}

TEST(LlamaScenario, TheCommandWritesANewFileOnlyAndSaysWhatIsWrong) {
  const fs::path dir = fs::temp_directory_path() / "schedcheck-llama-scenario-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = (dir / "l.json").string();
  const std::string args =
      " --layers 1,1 --n-embd 64 --n-head 4 --n-head-kv 2 --n-ff 128 "
      "--n-vocab 100 --ubatch 8 --ubatches 6";
  const auto ok = run_schedcheck("llama-scenario " + out + args);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const Scenario loaded = load_scenario_file(out);
  EXPECT_EQ(loaded.nodes.size(),
            make_llama_scenario(tiny({1, 1}, BackendKind::cuda, 6)).nodes.size());
  const auto again = run_schedcheck("llama-scenario " + out + args);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("the file exists"), std::string::npos) << again.err;
  const auto layers =
      run_schedcheck("llama-scenario " + (dir / "m.json").string() + " --layers 2,x");
  EXPECT_EQ(layers.exit_code, 2);
  EXPECT_NE(layers.err.find("--layers \"2,x\""), std::string::npos) << layers.err;
  const auto heads =
      run_schedcheck("llama-scenario " + (dir / "m.json").string() + " --n-embd 100 --n-head 3");
  EXPECT_EQ(heads.exit_code, 2);
  EXPECT_NE(heads.err.find("n_embd must be a multiple of n_head"), std::string::npos) << heads.err;
  EXPECT_FALSE(fs::exists(dir / "m.json"));
  fs::remove_all(dir);
}

class LlamaOnGgml : public testing::GgmlBundleTest {};

TEST_F(LlamaOnGgml, TheRealSchedulerRunsTheOwnOpsGraphCallForCallAsTheModel) {
  const Scenario s = load_scenario_file(testing::source_path("reports/canonical/llama-pp.json"));
  for (const char* v : {"ggml-17795", "ggml-20793", "ggml-26040"}) {
    const DifferentialResult d = differential(
        s, *find_builtin_policy(v), real_policy(std::string("ggml@") + v + ",graph=computable"));
    EXPECT_TRUE(d.agree()) << (d.divergence ? d.divergence->model + "\nvs\n" + d.divergence->real
                                            : "verdicts differ");
  }
}

class LlamaOnGgmlCpu : public testing::GgmlBackendsTest {};

TEST_F(LlamaOnGgmlCpu, EveryReadIsTheReferencesAndAWrongTokenShowsFromItsUbatchOn) {
  const Scenario s = make_llama_scenario(tiny({2}, BackendKind::cpu, 3));
  const Policy& real = real_policy("ggml@ggml-head,devices=ggml-cpu");
  const RecordedRun clean = record_real_run(s, real, DelayPlan{});
  const DifferentialResult d =
      differential(replay(s, real_policy("ggml@ggml-head,graph=computable")), clean.recorded);
  EXPECT_TRUE(d.agree()) << (d.divergence ? d.divergence->model : "verdicts differ");
  EXPECT_TRUE(clean.mismatches.empty());
  EXPECT_EQ(clean.reads_compared, 3);
  EXPECT_LE(clean.max_read_error, bridge::kReadTolerance);
  ASSERT_EQ(clean.compute_start_ms.size(), 3u);
  EXPECT_GE(clean.decode_ms, clean.compute_start_ms.back());

  // Other token ids in ubatch 1: its logits are wrong, and through the KV cache ubatch 2's.
  const RecordedRun wrong =
      record_real_run(s, real, DelayPlan{}, InputFault{s.find_tensor("inp_tokens"), 1});
  ASSERT_EQ(wrong.mismatches.size(), 2u);
  EXPECT_EQ(wrong.mismatches[0].eval, 1);
  EXPECT_EQ(wrong.mismatches[1].eval, 2);
  EXPECT_GT(wrong.mismatches[0].error, bridge::kReadTolerance);
}

}  // namespace
}  // namespace schedcheck
