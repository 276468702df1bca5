// Capability parameters of issue 17, item 3: copy slots without pipeline parallelism
// (scheduler.copy_slots) and per-size routing of uploads inside one Vulkan backend
// (compute_queue_copy_max).
#include <gtest/gtest.h>

#include <string>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "executor/backend_api.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario without_expectations(const std::string& path) {
  Scenario s = load_scenario_file(source_path(path));
  s.expectations.clear();
  return s;
}

// The agents that ran the run's uploads (host->device copies of split inputs).
std::set<AgentKind> upload_agents(const ReplayResult& r) {
  std::set<AgentKind> kinds;
  for (const TraceEntry& t : r.trace)
    if (t.kind == TraceKind::access &&
        (t.site().call == Call::cpy_tensor_async || t.site().call == Call::tensor_copy_async))
      kinds.insert(r.run.layout.agents[static_cast<std::size_t>(t.agent)].kind);
  return kinds;
}

TEST(CopySlots, WithoutPipelineParallelismInputsRotateOverSlotsWithAnEventEach) {
  Scenario s = without_expectations("reports/canonical/single-gpu.json");
  s.scheduler.copy_slots = 2;
  for (const Policy& v : ggml_versions()) {
    const ReplayResult r = replay(s, v);
    EXPECT_EQ(r.run.layout.n_copies, 2) << v.name;
    EXPECT_FALSE(r.run.layout.pipeline_parallel) << v.name;
    EXPECT_TRUE(explain(r).verdict.is_clean()) << v.name;
    // The slot's event is waited for before its copies are rewritten, and recorded after.
    const std::string pattern = call_pattern(r.calls);
    EXPECT_NE(pattern.find('r'), std::string::npos) << v.name << ": " << pattern;
    EXPECT_NE(pattern.find_first_of("ew"), std::string::npos) << v.name << ": " << pattern;
  }
  s.scheduler.copy_slots = 0;
  EXPECT_EQ(replay(s, *find_policy(s, "ggml-26040")).run.layout.n_copies, 1);
}

TEST(CopySlots, NoGgmlTreeOfTheBundleHasThem) {
  Scenario s = without_expectations("reports/canonical/single-gpu.json");
  EXPECT_EQ(not_in_ggml_trees(s), "");
  s.scheduler.copy_slots = 2;
  EXPECT_NE(not_in_ggml_trees(s).find("copy slots without pipeline parallelism"),
            std::string::npos);
}

// test-backend-sched-inputs' Vulkan device with a transfer queue and a 64 KiB compute-stream
// limit: its 16 KiB copies stay on the compute queue, its 4 MiB copies take the transfer queue.
TEST(ComputeQueueCopyLimit, UploadsUpToTheLimitStayOnTheComputeQueue) {
  for (const auto& [file, expected] :
       {std::pair{"reports/peer-tests/sched-inputs-vulkan-host-buffer-16k.json", AgentKind::queue},
        std::pair{"reports/peer-tests/sched-inputs-vulkan-host-buffer-4096k.json",
                  AgentKind::transfer_queue}}) {
    Scenario s = without_expectations(file);
    s.backends[0].transfer_queue = true;
    s.backends[0].compute_queue_copy_max = 64 * 1024;
    const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
    EXPECT_EQ(upload_agents(r), std::set<AgentKind>{expected}) << file;
  }
}

// B12 (Vulkan's transfer queue under pipeline parallelism): with a limit above every copy, each
// policy's verdict is that of the same devices without a transfer queue; ggml-v0's race through
// the transfer queue is gone.
TEST(ComputeQueueCopyLimit, ALimitAboveEveryCopyIsADeviceWithoutTransferQueue) {
  const Scenario with_queue =
      without_expectations("reports/bugs/B12-vulkan-transfer-queue-pp.json");
  Scenario limited = with_queue, without_queue = with_queue;
  for (Backend& b : limited.backends)
    if (b.transfer_queue) b.compute_queue_copy_max = uint64_t{1} << 30;
  for (Backend& b : without_queue.backends) b.transfer_queue = false;
  for (const Policy& p : policies_for(with_queue)) {
    if (p.is_real()) continue;
    EXPECT_EQ(explain(replay(limited, p)).verdict, explain(replay(without_queue, p)).verdict)
        << p.name;
  }
  const Policy& v0 = *find_policy(with_queue, "ggml-v0");
  EXPECT_NE(explain(replay(with_queue, v0)).verdict, explain(replay(limited, v0)).verdict);
}

}  // namespace
}  // namespace schedcheck::testing
