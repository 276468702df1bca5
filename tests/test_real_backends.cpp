// A real ggml tree over ggml's own backends (bridge/plugin/proxy_devices.cpp): here ggml-cpu,
// which CI can build; ggml-cuda takes the same path on the GPU machine (docs/gpu.md). The
// recorded run issues the calls the simulation of the same graph predicts, every value the
// host reads equals ggml-cpu's sequential computation, and a wrong input is caught where it
// shows. Skipped, with the reason, without the bundle or CMake.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "bridge/real_scheduler.hpp"
#include "driver/scenario_file.hpp"
#include "real/recorded_run.hpp"
#include "sim/differential.hpp"
#include "sim/race_report.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

using testing::run_schedcheck;
using testing::source_path;

class RealBackends : public testing::GgmlBackendsTest {
 protected:
  Scenario scenario() const {
    return load_scenario_file(source_path("tests/scenarios/cpu-decode.json"));
  }
};

TEST_F(RealBackends, ARecordedGgmlCpuRunIssuesTheSimulatedCallsAndReadsTheReferenceValues) {
  const Scenario s = scenario();
  const RecordedRun real =
      record_real_run(s, real_policy("ggml@ggml-head,devices=ggml-cpu"), DelayPlan{});
  const ReplayResult simulated = replay(s, real_policy("ggml@ggml-head,graph=computable"));
  const DifferentialResult d = differential(simulated, real.recorded);
  EXPECT_TRUE(d.agree()) << (d.divergence ? d.divergence->model + "\nvs\n" + d.divergence->real
                                          : "verdicts differ");
  EXPECT_GT(real.recorded.trace.size(), 20u);
  EXPECT_TRUE(real.mismatches.empty())
      << real.mismatches.front().tensor << " eval " << real.mismatches.front().eval;
  EXPECT_EQ(explain(real.recorded).verdict, Verdict::clean());
}

TEST_F(RealBackends, AWrongInputShowsInTheOutputsThatDependOnIt) {
  const Scenario s = scenario();
  const Index tokens = s.find_tensor("inp_tokens");
  const RecordedRun real = record_real_run(s, real_policy("ggml@ggml-head,devices=ggml-cpu"),
                                           DelayPlan{}, InputFault{tokens, 1});
  ASSERT_FALSE(real.mismatches.empty());
  // Evaluation 1's logits are wrong, and through the KV cache every later evaluation's; never
  // evaluation 0's.
  EXPECT_EQ(real.mismatches.front().eval, 1);
  for (const bridge::ReadMismatch& m : real.mismatches) {
    EXPECT_GE(m.eval, 1);
    EXPECT_EQ(m.tensor, s.find_tensor("result_output"));
    EXPECT_EQ(m.read, "host reads output");
  }
  EXPECT_EQ(real.mismatches.size(), 4u);
}

TEST_F(RealBackends, TheOptionsOfARealTreeAreCheckedWithAPreciseMessage) {
  const auto cli = run_schedcheck("replay " + source_path("tests/scenarios/cpu-decode.json") +
                                  " --policy ggml@ggml-head,devices=ggml-tpu");
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("devices=ggml-tpu (expected simulated, ggml-cpu or ggml-cuda)"),
            std::string::npos)
      << cli.err;
  // A GPU backend needs ggml-cuda.
  const auto gpu = run_schedcheck("replay " + source_path("reports/canonical/single-gpu.json") +
                                  " --policy ggml@ggml-head,devices=ggml-cpu");
  EXPECT_EQ(gpu.exit_code, 2);
  EXPECT_NE(gpu.err.find("is a GPU and this plugin has ggml-cpu only"), std::string::npos)
      << gpu.err;
  // So do the members of a meta backend, named before anything runs.
  const auto meta = run_schedcheck(
      "replay " + source_path("reports/tensor-parallel/M1-meta-allreduce-2dev.json") +
      " --policy ggml@ggml-head,devices=ggml-cpu");
  EXPECT_EQ(meta.exit_code, 2);
  EXPECT_NE(meta.err.find("backend CUDA0 is a GPU and this plugin has ggml-cpu only"),
            std::string::npos)
      << meta.err;
}

TEST_F(RealBackends, RealWithABackendRecordsComparesAndReportsEveryRun) {
  const std::string file = source_path("tests/scenarios/cpu-decode.json");
  const auto cli = run_schedcheck(
      "real " + file +
      " --policy ggml@ggml-head --backend ggml-cpu --delays random:3 --runs 2 --json");
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  const auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["backend"], "ggml-cpu");
  const auto& p = j["policies"][0];
  EXPECT_EQ(p["runs"], 2);
  EXPECT_EQ(p["mismatching_runs"], 0);
  EXPECT_EQ(p["runs_with_simulated_calls"], 2);
  EXPECT_EQ(p["details"][1]["plan"]["name"], "random:4");
  // One tree, named as a real policy: a model or "all" is bad input, said before any run.
  const auto model = run_schedcheck("real " + file + " --policy ggml-26040 --backend ggml-cpu");
  EXPECT_EQ(model.exit_code, 2);
  EXPECT_NE(model.err.find("runs one real ggml tree: --policy ggml@TREE"), std::string::npos)
      << model.err;
  // ggml-cuda runs CUDA backends: another GPU kind is bad input.
  const auto vulkan =
      run_schedcheck("real " + source_path("reports/bugs/B12-vulkan-transfer-queue-pp.json") +
                     " --policy ggml@ggml-head --backend ggml-cuda");
  EXPECT_EQ(vulkan.exit_code, 2);
  EXPECT_NE(vulkan.err.find("is Vulkan: --backend ggml-cuda runs CUDA backends"), std::string::npos)
      << vulkan.err;
}

// A capability override describes another backend than ggml's own, which cannot follow it: real
// says so before the runs, which still go ahead.
TEST_F(RealBackends, RealNotesCapabilityOverridesThatTheRealBackendCannotFollow) {
  std::string text = testing::read_all(source_path("tests/scenarios/cpu-decode.json"));
  const std::string backend = "\"compute_buffer\": \"CPU_compute\"";
  ASSERT_NE(text.find(backend), std::string::npos);
  text.replace(text.find(backend), backend.size(),
               backend + ", \"capabilities\": {\"set_get_async\": true}");
  const auto dir = testing::scratch_dir("real-overrides");
  std::filesystem::create_directories(dir);
  const auto file = dir / "cpu-decode-overridden.json";
  std::ofstream(file) << text;
  const auto cli = run_schedcheck("real '" + file.string() +
                                  "' --policy ggml@ggml-head --backend ggml-cpu --runs 1");
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.err.find("note: backend CPU overrides its kind's capabilities (set_get_async); the "
                         "simulation keeps them, ggml-cpu cannot"),
            std::string::npos)
      << cli.err;
  const auto plain = run_schedcheck("real " + source_path("tests/scenarios/cpu-decode.json") +
                                    " --policy ggml@ggml-head --backend ggml-cpu --runs 1");
  EXPECT_EQ(plain.err.find("overrides"), std::string::npos) << plain.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace schedcheck
