// The six built-in policies: their knob tables (spec §2.9), the host-call patterns the PR
// threads describe, copy-index rotation, and their verdicts on the canonical scenarios.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "tests/support/builtin_policy.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario canonical(const std::string& name) {
  return load_scenario_file(canonical_path(name));
}

// Host calls of one split in one evaluation, without the letters in `skip`.
std::string split_pattern(const ReplayResult& r, Index split, int eval, std::string_view skip) {
  std::string out;
  for (const HostCall& c : r.calls)
    if (c.site.eval == eval && c.site.role == Role::policy && c.site.split == split &&
        skip.find(c.letter) == std::string_view::npos)
      out += c.letter;
  return out;
}

TEST(PolicyKnobs, TheVersionTableMatchesTheUnifiedForm) {
  const PolicyKnobs& v0 = policy("ggml-v0").knobs;
  EXPECT_EQ(v0.split_start_sync, SyncWhen::never);
  EXPECT_EQ(v0.prelaunch_sync, SyncWhen::never);
  EXPECT_EQ(v0.noev_presync, PresyncNoEvent::always);
  EXPECT_EQ(v0.user_input_copy, UserInputCopy::blocking);
  EXPECT_EQ(v0.record_event, RecordWhen::has_inputs);
  const PolicyKnobs& v1 = policy("ggml-17795").knobs;
  EXPECT_EQ(v1.split_start_sync, SyncWhen::if_no_event);
  EXPECT_EQ(v1.prelaunch_sync, SyncWhen::if_no_event);
  EXPECT_EQ(v1.noev_presync, PresyncNoEvent::never);
  EXPECT_EQ(v1.user_input_copy, UserInputCopy::copy_async);
  EXPECT_TRUE(v1.profile.cuda_host_to_device && v1.profile.hip_host_to_device &&
              v1.profile.musa_host_to_device);
  // V2 and V4 run V0's compute_splits.
  for (const char* same : {"ggml-20463", "ggml-25138"}) {
    const PolicyKnobs& k = policy(same).knobs;
    EXPECT_EQ(k.split_start_sync, v0.split_start_sync) << same;
    EXPECT_EQ(k.noev_presync, v0.noev_presync) << same;
    EXPECT_EQ(k.user_input_copy, v0.user_input_copy) << same;
    EXPECT_FALSE(k.profile.cuda_host_to_device) << same;
  }
  EXPECT_EQ(policy("ggml-20463").knobs.reuse_policy, ReusePolicy::no_reuse_under_pp);
  const PolicyKnobs& v3 = policy("ggml-20793").knobs;
  EXPECT_EQ(v3.split_start_sync, SyncWhen::always);
  EXPECT_EQ(v3.prelaunch_sync, SyncWhen::always);
  EXPECT_EQ(v3.noev_presync, PresyncNoEvent::if_dst_lacks_cpy_async);
  EXPECT_TRUE(v3.profile.cuda_host_to_device);
  EXPECT_FALSE(v3.profile.hip_host_to_device);  // "as a precaution"
  EXPECT_FALSE(v3.profile.musa_host_to_device);
  const PolicyKnobs& v5 = policy("ggml-26040").knobs;
  EXPECT_EQ(v5.record_event, RecordWhen::always);
  EXPECT_TRUE(v5.zero_input_split_waits_prev);
  EXPECT_EQ(v5.profile.max_split_inputs, 0);
}

TEST(PolicyKnobs, EveryKnobRoundTripsThroughItsTextForm) {
  for (const Policy& p : builtin_policies()) {
    PolicyKnobs copy;
    for (const auto& k : describe_knobs(p.knobs))
      EXPECT_FALSE(set_knob(copy, k.name, k.value)) << k.name;
    EXPECT_EQ(copy, p.knobs) << p.name;
  }
  PolicyKnobs k;
  EXPECT_TRUE(set_knob(k, "split_start_sync", "sometimes").has_value());
  EXPECT_TRUE(set_knob(k, "no_such_knob", "true").has_value());
}

TEST(HostCallPattern, SingleGpuV0SynchronizesAroundEveryBlockingCopy) {
  const ReplayResult r = replay(canonical("single-gpu"), policy("ggml-v0"));
  // CUDA0's split: inp_embd (declined async copy: s, s, blocking copy "as") then three user
  // inputs "sas" each: the "sassassasg" family of llama#20793's description.
  const std::string p = split_pattern(r, 1, 0, "");
  EXPECT_TRUE(std::regex_match(p, std::regex("(s+as)+g"))) << p;
  EXPECT_EQ(p, "ssassassassasg");
  EXPECT_EQ(split_pattern(r, 0, 0, ""), "c");  // the CPU split: computed on the host
}

TEST(HostCallPattern, SingleGpuLessSyncVersionsUseSaaasg) {
  for (const char* name : {"ggml-17795", "ggml-20793"}) {
    const ReplayResult r = replay(canonical("single-gpu"), policy(name));
    const std::string p = split_pattern(r, 1, 0, "");
    EXPECT_TRUE(std::regex_match(p, std::regex("sa+sg"))) << name << ": " << p;
  }
}

TEST(HostCallPattern, TwoGpu17795IsAaagPlusEventCalls) {
  const ReplayResult r = replay(canonical("two-gpu-pp"), policy("ggml-17795"));
  for (Index split : {1, 2}) {
    const std::string p = split_pattern(r, split, 0, "ewr");
    EXPECT_TRUE(std::regex_match(p, std::regex("a+g"))) << "split " << split << ": " << p;
    EXPECT_NE(split_pattern(r, split, 0, "").find('e'),
              std::string::npos);  // event_synchronize per user input
    EXPECT_NE(split_pattern(r, split, 0, "").find('r'), std::string::npos);  // record after launch
  }
}

TEST(HostCallPattern, TwoGpu20793IsSaaasgPlusEventCalls) {
  const ReplayResult r = replay(canonical("two-gpu-pp"), policy("ggml-20793"));
  for (Index split : {1, 2}) {
    const std::string p = split_pattern(r, split, 0, "ewr");
    EXPECT_TRUE(std::regex_match(p, std::regex("sa+sg"))) << "split " << split << ": " << p;
  }
}

TEST(Verdicts, SingleGpuIsRaceFreeUnderEveryPolicy) {
  const Scenario s = canonical("single-gpu");
  for (const Policy& p : builtin_policies()) {
    const PolicyVerdict v = explain(replay(s, p));
    EXPECT_EQ(v.verdict, Verdict::clean()) << p.name;
  }
}

TEST(Verdicts, TwoGpu17795ReportsThePinnedHostToDeviceRace) {
  const PolicyVerdict v = explain(replay(canonical("two-gpu-pp"), policy("ggml-17795")));
  EXPECT_EQ(v.verdict, Verdict::races());
  bool h2 = false;
  for (const auto& g : v.groups)
    if (g.mechanism == Mechanism::H2 && g.first.kind == FindingKind::write_after_read) {
      h2 = true;
      EXPECT_EQ(g.second_access.agent, "HOST");
      const auto* copy = std::get_if<CopyOperation>(&g.first_access.operation);
      ASSERT_NE(copy, nullptr);
      EXPECT_TRUE(copy->source_on_host);
      EXPECT_FALSE(copy->destination_on_host);
      EXPECT_TRUE(g.cheapest_fix.blocks_host);
    }
  EXPECT_TRUE(h2);
}

TEST(Verdicts, TwoGpuH1NeedsADeviceSideWaitOnTheSourceQueue) {
  const PolicyVerdict v = explain(replay(canonical("two-gpu-pp"), policy("ggml-26040")));
  ASSERT_EQ(v.groups.size(), 1u);
  const FindingGroup& g = v.groups[0];
  EXPECT_EQ(g.mechanism, Mechanism::H1);
  EXPECT_EQ(g.first_access.agent, "CUDA1");
  EXPECT_EQ(g.second_access.agent, "CUDA0");
  EXPECT_FALSE(g.cheapest_fix.blocks_host);
  EXPECT_EQ(g.cheapest_fix.primitive, FixPrimitive::device_event_wait);
  EXPECT_EQ(g.cheapest_fix.wait_on, "CUDA0");
  EXPECT_FALSE(g.cheapest_fix.wait_on_transfer_queue);
  // Slots rotate through 4 copies: the first evaluation that reuses slot 0 is the 5th.
  EXPECT_EQ(g.evals, (std::vector<int>{4, 5}));
  // CUDA1's first-ubatch read is the one that would see ubatch 4's activation: its logits.
  EXPECT_TRUE(std::any_of(g.corrupts.begin(), g.corrupts.end(), [](const CorruptedRead& read) {
    return read.reader == CorruptedRead::Reader::application_output &&
           read.value.tensor == "result_output" && read.value.batch == 0 &&
           read.value.ubatch == 0;
  }));
}

TEST(CopyIndex, RotatesWithoutReuseAndStaysWithReuse) {
  Scenario s = canonical("two-gpu-pp");
  auto slots = [](const ReplayResult& r) {
    std::vector<int> out;
    for (const HostCall& c : r.calls)
      if (c.letter == 'g' && c.site.split == 1) out.push_back(c.site.slot);
    return out;
  };
  EXPECT_EQ(slots(replay(s, policy("ggml-v0"))), (std::vector<int>{0, 1, 2, 3, 0, 1}));
  s.driver.graph_reuse = true;
  EXPECT_EQ(slots(replay(s, policy("ggml-v0"))), (std::vector<int>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(explain(replay(s, policy("ggml-v0"))).reused_graphs, 5);
  // llama#20463 disables reuse under pipeline parallelism: rotation continues.
  EXPECT_EQ(slots(replay(s, policy("ggml-20463"))), (std::vector<int>{0, 1, 2, 3, 0, 1}));
}

TEST(CopyIndex, ResetWhileAllocatedMakesTheGraphReadAStaleSlot) {
  // llama#13814 (B2): sched_synchronize resets the copy index even while a graph is allocated.
  Scenario s = canonical("two-gpu-pp");
  s.driver.sync_before_compute = {1};
  Policy bug = policy("ggml-v0");
  bug.name = "ggml-13814";
  bug.knobs.copy_advance = CopyAdvance::after_compute;
  bug.knobs.sync_copy_reset = SyncCopyReset::always;
  const PolicyVerdict v = explain(replay(s, bug));
  bool stale_slot = false;
  for (const auto& g : v.groups) stale_slot |= g.mechanism == Mechanism::stale_slot;
  EXPECT_TRUE(stale_slot) << v.verdict;
  EXPECT_EQ(explain(replay(s, policy("ggml-20793"))).verdict, Verdict::clean());
}

}  // namespace
}  // namespace schedcheck::testing
