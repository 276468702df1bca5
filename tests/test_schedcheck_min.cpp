// schedcheck-min (docs/policies.md): clean on the corpus and the canonical scenarios, with fewer
// host-blocking synchronizations per ubatch than every ggml version.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "model/prepared_run.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/sync_analysis.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/program_steps.hpp"

namespace schedcheck::testing {
namespace {

const Policy& min_policy() {
  return *find_builtin_policy("schedcheck-min");
}

bool has_integrated_gpu(const Scenario& s) {
  return std::any_of(s.backends.begin(), s.backends.end(),
                     [](const Backend& b) { return b.integrated; });
}

// Integrated GPUs read host memory in place (H5): llama.cpp's set_inputs, before any scheduler
// call, rewrites what the previous graph still reads, which no compute_splits can order
// (issue 15 takes it up). On those scenarios schedcheck-min's only findings are H5.
TEST(SchedcheckMin, CleanOnEveryCorpusAndBenchmarkScenario) {
  int files = 0, integrated = 0;
  for (const char* dir : {"reports", "bench/scenarios"})
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_path(dir))) {
      if (entry.path().extension() != ".json") continue;
      const Scenario s = load_scenario_file(entry.path().string());
      if (s.has_meta_backend()) continue;  // a real tree's meta backend: not the model's
      const ReplayResult r = replay(s, min_policy());
      const PolicyVerdict v = explain(r);
      const bool own_writes =
          !r.findings.empty() &&
          std::all_of(r.findings.begin(), r.findings.end(),
                      [&](const Finding& f) { return program_own_write(s, r, f); });
      if (own_writes) {
        // A program that uploads into memory it freed while queued work still read it
        // (reports/buffer-lifetimes), or rewrites an input that queued work still reads
        // (reports/input-writes): no scheduler call comes between the read and the write.
      } else if (has_integrated_gpu(s)) {
        ++integrated;
        for (const FindingGroup& g : v.groups)
          EXPECT_EQ(g.mechanism, Mechanism::H5) << entry.path();
      } else {
        EXPECT_TRUE(v.verdict.is_clean()) << entry.path();
      }
      ++files;
    }
  EXPECT_GE(files, 18);
  EXPECT_GE(integrated, 3);
}

TEST(SchedcheckMin, FewerHostBlockingSyncsThanEveryGgmlVersionOnTheCanonicalScenarios) {
  // single-gpu: the release of the pinned input copies + llama_get_logits' per ubatch (2 x 3);
  // two-gpu-pp: one release per GPU and ubatch + the final sched_synchronize of both (2x6 + 2).
  const std::pair<const char*, int> expected[] = {{"single-gpu", 6}, {"two-gpu-pp", 14}};
  for (const auto& [name, count] : expected) {
    const Scenario s = load_scenario_file(canonical_path(name));
    const ReplayResult mine = replay(s, min_policy());
    EXPECT_TRUE(mine.findings.empty()) << name;
    EXPECT_EQ(host_blocking_syncs(mine.calls), count) << name;
    for (const Policy& p : builtin_policies()) {
      if (p.name == min_policy().name) continue;
      EXPECT_LT(count, host_blocking_syncs(replay(s, p).calls)) << name << " vs " << p.name;
    }
  }
}

TEST(SchedcheckMin, TheHostWaitsOnlyForCopiesNeverForAWholeQueueInsideTheScheduler) {
  // Inside compute_splits schedcheck-min's host-blocking waits are event_synchronize on the
  // "host sources copied" event (release), not synchronize of a queue, on CUDA scenarios.
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  for (const HostCall& c : replay(s, min_policy()).calls) {
    if (c.sync_id < 0 || c.letter == 'w' || c.site.role != Role::policy) continue;
    EXPECT_EQ(c.letter, 'e') << c.site.step;
    EXPECT_EQ(c.site.step, "release host sources");
  }
}

// A queue waits only on events of its own device, except CUDA's (cudaStreamWaitEvent takes
// another device's event; a VkEvent belongs to one device). B12 and H2c copy between two Vulkan
// devices.
TEST(SchedcheckMin, AQueueWaitsOnAnotherDevicesEventOnlyOnCuda) {
  int cross_device_cuda = 0;
  for (const char* file : {"reports/bugs/B12-vulkan-transfer-queue-pp.json",
                           "reports/bugs/H2c-vulkan-pp-next-ubatch-get-rows.json",
                           "reports/canonical/two-gpu-pp.json"}) {
    const Scenario s = load_scenario_file(source_path(file));
    const ReplayResult r = replay(s, min_policy());
    std::map<EventId, Index> recorded_by;  // event -> backend of its latest record
    for (const TraceEntry& e : r.trace) {
      const Index backend = r.run.layout.agents[static_cast<std::size_t>(e.agent)].backend;
      if (e.kind == TraceKind::record) recorded_by[e.event] = backend;
      if (e.kind != TraceKind::wait_event || !recorded_by.count(e.event)) continue;
      const Backend& waiter = s.backends[static_cast<std::size_t>(backend)];
      const Backend& owner = s.backends[static_cast<std::size_t>(recorded_by[e.event])];
      if (waiter.device == owner.device) continue;
      EXPECT_EQ(waiter.kind, BackendKind::cuda)
          << file << ": " << waiter.name << " waits on " << owner.name;
      cross_device_cuda += waiter.kind == BackendKind::cuda;
    }
  }
  EXPECT_GT(cross_device_cuda, 0);  // two-gpu-pp's queues do wait across devices
}

TEST(SchedcheckMin, ACpuSplitReadsItsGpuInputOnTheSourceQueueWithOneHostWait) {
  // Partial offload: the CPU layer's input comes from CUDA0. ggml syncs CUDA0 and then does a
  // blocking copy (two round trips); schedcheck-min queues the read on CUDA0 and syncs once.
  const Scenario s = load_scenario_file(source_path("bench/scenarios/sync-bound-single-gpu.json"));
  std::string cpu_split_calls;
  for (const HostCall& c : replay(s, min_policy()).calls)
    if (c.site.eval == 0 && c.site.split == 2) cpu_split_calls += c.letter;
  EXPECT_EQ(cpu_split_calls, "osc");
  std::string ggml_calls;
  for (const HostCall& c : replay(s, *find_builtin_policy("ggml-20793")).calls)
    if (c.site.eval == 0 && c.site.split == 2) ggml_calls += c.letter;
  EXPECT_EQ(ggml_calls, "sasc");  // sync CUDA0, blocking copy, pre-launch sync (of the CPU)
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string call_letters(const Scenario& s, const Policy& p) {
  std::string letters;
  for (const HostCall& c : replay(s, p).calls) letters += c.letter;
  return letters;
}

TEST(SchedcheckMin, IsAHandWrittenPolicyWithEventsOfItsOwn) {
  EXPECT_EQ(min_policy().hand_written, "schedcheck-min");
  const Scenario s = load_scenario_file(source_path("reports/canonical/two-gpu-pp.json"));
  std::vector<std::string> names;
  for (const Event& e : prepare_run(s, min_policy()).layout.events)
    if (e.kind == EventKind::policy) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"host_sources_copied(CUDA0)", "fence(CUDA0)",
                                             "host_sources_copied(CUDA1)", "fence(CUDA1)"}));
  for (const Policy& v : ggml_versions()) {
    EXPECT_TRUE(v.hand_written.empty()) << v.name;
    EXPECT_TRUE(prepare_run(s, v).layout.policy_events.empty()) << v.name;
  }
}

TEST(SchedcheckMin, ACustomPolicyBasedOnItRunsItsComputeSplitsAndSavesThatWay) {
  const std::string path = source_path("reports/canonical/two-gpu-pp.json");
  nlohmann::json doc = nlohmann::json::parse(read_file(path));
  doc["policies"] = nlohmann::json::array({{{"name", "min-no-reuse"},
                                            {"base", "schedcheck-min"},
                                            {"knobs", {{"reuse_policy", "no_reuse_under_pp"}}}}});
  const Scenario s = load_scenario_text(doc.dump(), "custom.json");
  const Policy& custom = s.custom_policies.at(0);
  EXPECT_EQ(custom.hand_written, "schedcheck-min");
  EXPECT_EQ(custom.knobs.reuse_policy, ReusePolicy::no_reuse_under_pp);
  // Without graph reuse the driver rebuilds each ubatch's graph; the splits are issued the
  // hand-written way (queue waits 'w', no slot-event records after launches).
  const std::string calls = call_letters(s, custom);
  EXPECT_NE(calls.find('w'), std::string::npos);
  EXPECT_EQ(calls, call_letters(s, custom));  // deterministic
  EXPECT_NE(calls, call_letters(s, *find_builtin_policy("ggml-26040")));

  const Scenario reloaded = load_scenario_text(save_scenario(s).dump(), "saved.json");
  EXPECT_EQ(reloaded.custom_policies.at(0).hand_written, "schedcheck-min");
  EXPECT_EQ(reloaded.custom_policies.at(0).knobs, custom.knobs);
  EXPECT_EQ(call_letters(reloaded, reloaded.custom_policies.at(0)), calls);
}

}  // namespace
}  // namespace schedcheck::testing
