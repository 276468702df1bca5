// Buffer lifetimes in program scenarios (issue 17, item 2): a buffer freed while queued work still
// reads it, another allocated in its memory and uploaded into. The simulator treats the two
// buffers as one memory, so the upload races with the pending read unless something orders them.
#include <gtest/gtest.h>

#include <algorithm>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "scenario/scenario_error.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/sync_expectations.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/program_steps.hpp"

namespace schedcheck::testing {
namespace {

const std::string kDir = "reports/buffer-lifetimes/";

Scenario load(const std::string& name) {
  return load_report(kDir + name);
}

// Whether some race pairs the upload into the reused memory with an earlier read of the freed
// buffer by an operation of the given kind.
bool upload_races_with(const ReplayResult& r, OpKind reader) {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
    const TraceEntry& first = r.trace.at(static_cast<std::size_t>(f.first_op));
    const TraceEntry& second = r.trace.at(static_cast<std::size_t>(f.second_op));
    return second.site().call == Call::tensor_set && first.op.kind == reader;
  });
}

TEST(BufferLifetimes, AnUploadIntoFreedMemoryRacesWithTheGraphStillReadingIt) {
  const Scenario s = load("free-read-weights-vulkan.json");
  for (const char* policy : {"ggml-v0", "ggml-26040", "schedcheck-min"}) {
    const ReplayResult r = replay(s, *find_policy(s, policy));
    EXPECT_FALSE(explain(r).verdict.is_clean()) << policy;
    EXPECT_TRUE(upload_races_with(r, OpKind::compute)) << policy;
    // Vulkan's free releases the memory at once: it waits for nothing.
    EXPECT_EQ(host_syncs_per_step(r)[step_named(s, "free")], 0) << policy;
  }
}

TEST(BufferLifetimes, TheSynchronizeBeforeTheFreeOrdersTheUpload) {
  const Scenario s = load("free-read-weights-vulkan-synchronized.json");
  for (const char* policy : {"ggml-v0", "ggml-26040", "schedcheck-min"})
    EXPECT_TRUE(explain(replay(s, *find_policy(s, policy))).verdict.is_clean()) << policy;
}

// Without the shared memory the same calls are clean: the race is the reuse, not the upload.
TEST(BufferLifetimes, TheRaceNeedsTheMemoryToBeReused) {
  Scenario s = load("free-read-weights-vulkan.json");
  for (Buffer& b : s.buffers) b.reuses = kNone;
  EXPECT_TRUE(explain(replay(s, *find_policy(s, "ggml-26040"))).verdict.is_clean());
}

// The host waits the free makes inside (the backend's, not the scheduler's: advise never counts
// them as removable).
int waits_inside_free(const ReplayResult& r) {
  return static_cast<int>(std::count_if(r.trace.begin(), r.trace.end(), [](const TraceEntry& e) {
    return e.kind == TraceKind::wait_queue && e.site().call == Call::buffer_free;
  }));
}

TEST(BufferLifetimes, CudaFreeWaitsForTheCopyThatStillReadsTheWeights) {
  const Scenario s = load("free-copied-weights-cuda.json");
  for (const char* policy : {"ggml-v0", "ggml-20793", "ggml-26040", "schedcheck-min"}) {
    const ReplayResult r = replay(s, *find_policy(s, policy));
    EXPECT_TRUE(explain(r).verdict.is_clean()) << policy;
    EXPECT_GE(waits_inside_free(r), 1) << policy;
    EXPECT_EQ(host_syncs_per_step(r)[step_named(s, "free")], 0) << policy;
  }
}

TEST(BufferLifetimes, AFreeThatDoesNotWaitLetsTheUploadRaceWithTheCopy) {
  const Scenario s = load("free-copied-weights-no-device-wait.json");
  for (const char* policy : {"ggml-v0", "ggml-26040", "schedcheck-min"}) {
    const ReplayResult r = replay(s, *find_policy(s, policy));
    EXPECT_EQ(waits_inside_free(r), 0) << policy;
    EXPECT_FALSE(explain(r).verdict.is_clean()) << policy;
    EXPECT_TRUE(upload_races_with(r, OpKind::copy)) << policy;
  }
  // #17795 synchronizes CUDA1 before it launches the split, and CUDA1 waited for the copy.
  EXPECT_TRUE(explain(replay(s, *find_policy(s, "ggml-17795"))).verdict.is_clean());
  const Scenario synced = load("free-copied-weights-no-device-wait-synchronized.json");
  for (const char* policy : {"ggml-v0", "ggml-26040", "schedcheck-min"})
    EXPECT_TRUE(explain(replay(synced, *find_policy(synced, policy))).verdict.is_clean()) << policy;
}

// The weights uploaded into reused memory are the upload's, not the ones the run started with:
// a graph that read them without an upload would read nothing written.
TEST(BufferLifetimes, ReusedBuffersHoldNothingUntilUploaded) {
  const Scenario s = load("free-read-weights-vulkan.json");
  Index w_a = kNone, w_b = kNone;
  for (Index t = 0; t < static_cast<Index>(s.tensors.size()); ++t) {
    if (s.tensors[t].name == "w_a") w_a = t;
    if (s.tensors[t].name == "w_b") w_b = t;
  }
  ASSERT_NE(w_b, kNone);
  EXPECT_TRUE(initialized_before_run(s, w_a));
  EXPECT_FALSE(initialized_before_run(s, w_b));
}

TEST(BufferLifetimes, SavedAndLoadedAgainTheLifetimesAreTheSame) {
  const Scenario s = load_scenario_file(source_path(kDir + "free-read-weights-vulkan.json"));
  const Scenario again = load_scenario_text(save_scenario(s).dump(2), "resaved");
  ASSERT_EQ(again.buffers.size(), s.buffers.size());
  for (std::size_t b = 0; b < s.buffers.size(); ++b)
    EXPECT_EQ(again.buffers[b].reuses, s.buffers[b].reuses);
  ASSERT_EQ(again.program.size(), s.program.size());
  for (std::size_t i = 0; i < s.program.size(); ++i) {
    EXPECT_EQ(again.program[i].kind, s.program[i].kind);
    EXPECT_EQ(again.program[i].buffer, s.program[i].buffer);
    EXPECT_EQ(again.program[i].tensor, s.program[i].tensor);
  }
}

}  // namespace
}  // namespace schedcheck::testing
