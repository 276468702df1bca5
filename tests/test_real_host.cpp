// The host-side parts of the real executor, which need no GPU: the CPU reference values, delay
// plans (targeted, random, carried from another policy, saved and loaded), GPU placement names,
// and `schedcheck real` without a device (exit 3) or with a bad placement (exit 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <tuple>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "real/carried_plan.hpp"
#include "real/delay_plan.hpp"
#include "real/real_run.hpp"
#include "real/reference_values.hpp"
#include "real/value_hash.hpp"
#include "scenario/scenario_error.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

Operation node(Index out, int eval, std::vector<std::pair<LogicalValue, uint64_t>> sources) {
  Operation op;
  op.kind = OpKind::compute;
  for (const auto& [v, size] : sources) {
    Access a;
    a.value = v;
    a.region = Region{0, 0, size};
    op.accesses.push_back(a);
  }
  Access w;
  w.is_write = true;
  w.value = LogicalValue{out, eval, 0};
  w.region = Region{0, 0, 64};
  op.accesses.push_back(w);
  return op;
}

Scenario three_tensors() {
  Scenario s;
  for (const char* n : {"a", "b", "out"}) {
    Tensor t;
    t.name = n;
    t.size = 64;
    s.tensors.push_back(t);
  }
  return s;
}

TEST(ReferenceValues, LeavesDependOnTensorAndEvaluation) {
  const Scenario s = three_tensors();
  ReferenceValues ref(s);
  EXPECT_NE(ref.bytes({0, 0, 0}, 0, 64), ref.bytes({0, 1, 0}, 0, 64));
  EXPECT_NE(ref.bytes({0, 0, 0}, 0, 64), ref.bytes({1, 0, 0}, 0, 64));
  const std::vector<uint8_t> whole = ref.bytes({0, 0, 0}, 0, 64);
  EXPECT_EQ(ref.bytes({0, 0, 0}, 16, 8),
            std::vector<uint8_t>(whole.begin() + 16, whole.begin() + 24));
  EXPECT_EQ(ref.bytes({}, 0, 4), std::vector<uint8_t>(4, values::kPoison));
}

TEST(ReferenceValues, ANodesOutputDependsOnTheValuesItsSourcesMustHave) {
  const Scenario s = three_tensors();
  ReferenceValues ref(s), stale(s);
  ref.note_compute(node(2, 1, {{{0, 1, 0}, 64}, {{1, 1, 0}, 64}}));
  stale.note_compute(node(2, 1, {{{0, 0, 0}, 64}, {{1, 1, 0}, 64}}));  // a source of another ubatch
  EXPECT_NE(ref.bytes({2, 1, 0}, 0, 64), stale.bytes({2, 1, 0}, 0, 64));
  // The same computation gives the same bytes (the GPU kernel uses the same functions).
  ReferenceValues again(s);
  again.note_compute(node(2, 1, {{{0, 1, 0}, 64}, {{1, 1, 0}, 64}}));
  EXPECT_EQ(ref.bytes({2, 1, 0}, 0, 64), again.bytes({2, 1, 0}, 0, 64));
}

TEST(ReferenceValues, EverySourceByteMatters) {
  std::vector<uint8_t> a(64, 1), b(64, 1);
  b[37] = 2;
  const std::vector<NodeSource> sources{{{0, 0, 0}, 0, 64}};
  EXPECT_NE(digest_of({a}, sources), digest_of({b}, sources));
}

TEST(DelayPlan, TargetedPlansHoldTheQueueOfTheFirstAccess) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-26040"));
  const PolicyVerdict v = explain(r);
  ASSERT_FALSE(v.groups.empty());
  const DelayPlan plan = targeted_plan(r, v.groups.front().first);
  ASSERT_EQ(plan.delays.size(), 1u);
  EXPECT_EQ(plan.delays[0].call, v.groups.front().first.first_op);
  EXPECT_TRUE(plan.delays[0].on_queue);
  EXPECT_GE(plan.delays[0].microseconds, 10000);
}

// Four pipeline stages on two GPUs (agreement case 189): holding CUDA2 also holds CUDA1's copy
// into CUDA2's slot when peer copies are staged, because CUDA2's own copy to CUDA3 goes the same
// way as CUDA0's copy to CUDA1, which CUDA1 waits for. Holding the last stage holds nothing.
TEST(DelayPlan, StagedPeerCopiesOfOneDirectionCanHoldTheSecondAccess) {
  const Scenario s = load_scenario_file(source_path("tests/scenarios/four-gpus-on-two.json"));
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-v0"));
  const auto finding_held_on = [&](const std::string& queue) {
    for (const Finding& f : r.findings)
      if (r.run.layout.agents[f.first_agent].name == queue) return f;
    ADD_FAILURE() << "no finding whose first access is on " << queue;
    return Finding{};
  };
  const Finding on_cuda2 = finding_held_on("CUDA2"), on_cuda3 = finding_held_on("CUDA3");
  const std::vector<int> two_gpus = {0, 1, 0, 1, -1}, four_gpus = {0, 1, 2, 3, -1};
  EXPECT_TRUE(staged_peer_copy_holds_second(r, on_cuda2, two_gpus));
  EXPECT_FALSE(staged_peer_copy_holds_second(r, on_cuda3, two_gpus));
  // On four GPUs no two of the pipeline's copies go the same way.
  EXPECT_FALSE(staged_peer_copy_holds_second(r, on_cuda2, four_gpus));
  EXPECT_FALSE(staged_peer_copy_holds_second(r, on_cuda3, four_gpus));
}

// --delays from:POLICY. ggml-v0 and ggml-17795 both have H1 in two-gpu-pp, at different call
// indices (17795 makes other calls before it): v0's hold, carried, is 17795's own H1 hold.
const Finding& first_of(const PolicyVerdict& v, Mechanism m) {
  for (const FindingGroup& g : v.groups)
    if (g.mechanism == m) return g.first;
  throw std::runtime_error("no finding of that mechanism");
}

TEST(CarriedPlan, HoldsTheSameOperationUnderAnotherPolicy) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult v0 = replay(s, *find_builtin_policy("ggml-v0"));
  const ReplayResult b17795 = replay(s, *find_builtin_policy("ggml-17795"));
  const DelayPlan own = targeted_plan(b17795, first_of(explain(b17795), Mechanism::H1));
  const DelayPlan of_v0 = targeted_plan(v0, first_of(explain(v0), Mechanism::H1));
  ASSERT_NE(own.delays.at(0).call, of_v0.delays.at(0).call);
  const DelayPlan carried = carry_plan(of_v0, v0, b17795);
  ASSERT_EQ(carried.delays.size(), 1u) << carried.name;
  EXPECT_EQ(carried.delays[0].call, own.delays[0].call);
  EXPECT_TRUE(carried.delays[0].on_queue);
  EXPECT_NE(carried.name.find("carried from ggml-v0"), std::string::npos) << carried.name;
  // Onto its own run a plan is unchanged.
  EXPECT_EQ(carry_plan(own, b17795, b17795).delays.at(0).call, own.delays[0].call);
}

// The logical values an operation reads and writes (tensor, evaluation), in order.
std::vector<std::tuple<bool, Index, int>> values_of(const TraceEntry& e) {
  std::vector<std::tuple<bool, Index, int>> out;
  for (const Access& a : e.op.accesses) out.emplace_back(a.is_write, a.value.tensor, a.value.eval);
  std::sort(out.begin(), out.end());
  return out;
}

// ggml-17795's races carried onto ggml-20793, which has none: every hold lands on an operation of
// the same kind with the same values as the one that raced, so the run shows whether 20793's
// synchronization holds.
TEST(CarriedPlan, EveryRaceOfAnOlderVersionHasItsOperationUnderTheFix) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult from = replay(s, *find_builtin_policy("ggml-17795"));
  const ReplayResult to = replay(s, *find_builtin_policy("ggml-20793"));
  const PolicyVerdict v = explain(from);
  ASSERT_FALSE(v.groups.empty());
  for (const FindingGroup& g : v.groups) {
    const DelayPlan own = targeted_plan(from, g.first);
    const DelayPlan carried = carry_plan(own, from, to);
    ASSERT_EQ(carried.delays.size(), 1u) << carried.name;
    const TraceEntry& raced = from.trace.at(own.delays.at(0).call);
    const TraceEntry& held = to.trace.at(carried.delays[0].call);
    EXPECT_EQ(held.op.kind, raced.op.kind) << carried.name;
    EXPECT_EQ(values_of(held), values_of(raced)) << carried.name;
  }
  const auto runs = carried_targeted_plans(from, to, 2);
  EXPECT_EQ(runs.size(), 2 * v.groups.size());
  for (const PlannedRun& r : runs)
    EXPECT_NE(r.finding.find("ggml-17795's"), std::string::npos) << r.finding;
}

TEST(CarriedPlan, ADelayOnNoOperationIsLeftOutAndSaidSo) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult v0 = replay(s, *find_builtin_policy("ggml-v0"));
  const ReplayResult b20793 = replay(s, *find_builtin_policy("ggml-20793"));
  int not_access = -1;
  for (int i = 0; i < static_cast<int>(v0.trace.size()) && not_access < 0; ++i)
    if (v0.trace[i].kind != TraceKind::access) not_access = i;
  ASSERT_GE(not_access, 0);
  DelayPlan plan;
  plan.name = "mine";
  plan.delays = {{not_access, true, 100, ""}, {static_cast<int>(v0.trace.size()), true, 100, ""}};
  const DelayPlan carried = carry_plan(plan, v0, b20793);
  EXPECT_TRUE(carried.delays.empty());
  EXPECT_NE(carried.name.find("2 of 2 delays left out"), std::string::npos) << carried.name;
  EXPECT_NE(carried.name.find("is not an operation"), std::string::npos) << carried.name;
}

// B1: ggml-17795 copies the CPU's output to CUDA0 on CUDA0's queue, ggml-20463 with a blocking
// copy on the per-thread stream, which no hold lets anything overtake.
TEST(CarriedPlan, AHoldOnACopyTheOtherMakesBlockingIsLeftOutAndSaidSo) {
  const Scenario s = load_scenario_file(source_path("reports/bugs/B1-cpu-to-cuda-async-copy.json"));
  const auto runs = carried_targeted_plans(replay(s, *find_builtin_policy("ggml-17795")),
                                           replay(s, *find_builtin_policy("ggml-20463")), 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].plan.delays.empty());
  EXPECT_NE(runs[0].plan.name.find("performed by CUDA per-thread stream (device 0), which nothing "
                                   "overtakes"),
            std::string::npos)
      << runs[0].plan.name;
}

TEST(DelayPlan, RandomPlansAreSeededAndSavedPlansLoadBack) {
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-v0"));
  const DelayPlan a = random_plan(r, 7), b = random_plan(r, 7), c = random_plan(r, 8);
  EXPECT_EQ(delay_plan_json(a).dump(), delay_plan_json(b).dump());
  EXPECT_NE(delay_plan_json(a).dump(), delay_plan_json(c).dump());
  const auto dir = scratch_dir("plans");
  std::ofstream(dir / "p.json") << delay_plan_json(a).dump(2);
  EXPECT_EQ(delay_plan_json(load_delay_plan((dir / "p.json").string())).dump(),
            delay_plan_json(a).dump());
  std::filesystem::remove_all(dir);
}

TEST(DelayPlan, MalformedPlansNameTheJsonPath) {
  auto error = [](const std::string& text) {
    try {
      delay_plan_from_json(nlohmann::json::parse(text), "plan.json");
    } catch (const ScenarioError& e) {
      return e.json_path();
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(R"({"delays": []})"), "/schema");
  EXPECT_EQ(
      error(R"({"schema": "schedcheck-delays/1", "delays": [{"call": -1, "microseconds": 5}]})"),
      "/delays/0/call");
  EXPECT_EQ(
      error(
          R"({"schema": "schedcheck-delays/1", "delays": [{"call": 1, "microseconds": 5, "on": "gpu"}]})"),
      "/delays/0/on");
  EXPECT_EQ(
      error(
          R"({"schema": "schedcheck-delays/1", "delays": [{"call": 1, "microseconds": 99999999}]})"),
      "/delays/0/microseconds");
  EXPECT_EQ(error(R"({"schema": "schedcheck-delays/1", "delays": [], "x": 1})"), "/x");
}

TEST(RealCommand, WithoutACudaDeviceItExitsThreeAndSaysWhy) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a CUDA device is present";
  CommandResult r = run_schedcheck("real '" + canonical_path("single-gpu") + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no CUDA device"), std::string::npos) << r.err;
}

// Bad input is exit 2 whether or not a device is present: everything is checked before one is
// needed.
TEST(RealCommand, AMalformedDelayPlanIsBadInputOnAnyMachine) {
  const auto dir = scratch_dir("bad-plan");
  const auto plan = dir / "plan.json";
  std::ofstream(plan) << R"({"schema": "schedcheck-delays/1", "delays": [{"call": 1}]})";
  CommandResult r = run_schedcheck("real '" + canonical_path("single-gpu") + "' --delays '" +
                                   plan.string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(plan.string() + ": /delays/0/microseconds"), std::string::npos) << r.err;
}

// --save-plan writes the first policy's first plan before a device is needed, and never over an
// existing file.
TEST(RealCommand, SavePlanWritesANewFileOnlyAndItLoadsBack) {
  const auto dir = scratch_dir("save-plan");
  const auto plan = dir / "plan.json";
  std::filesystem::remove(plan);
  const std::string command = "real '" + canonical_path("two-gpu-pp") +
                              "' --policy all --save-plan '" + plan.string() + "'";
  CommandResult first = run_schedcheck(command);
  EXPECT_TRUE(first.exit_code == 0 || first.exit_code == 1 || first.exit_code == 3) << first.err;
  const DelayPlan saved = load_delay_plan(plan.string());
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const ReplayResult v0 = replay(s, *find_builtin_policy("ggml-v0"));  // the first policy
  EXPECT_EQ(saved.name, targeted_plan(v0, explain(v0).groups.front().first).name);

  std::ofstream(plan) << "mine";
  CommandResult again = run_schedcheck(command);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("exists; not overwritten"), std::string::npos) << again.err;
  EXPECT_EQ(read_all(plan), "mine");
}

// --delays from:POLICY is checked before a device is needed: an unknown policy, or one with no
// race to carry, is bad input; a good one saves the carried plan.
TEST(RealCommand, DelaysFromAnotherPolicyAreCheckedAndSaved) {
  const std::string real = "real '" + canonical_path("two-gpu-pp") + "' --policy ggml-20793";
  CommandResult unknown = run_schedcheck(real + " --delays from:nope");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--delays from:nope: unknown policy"), std::string::npos)
      << unknown.err;
  CommandResult clean = run_schedcheck(real + " --delays from:ggml-20793");
  EXPECT_EQ(clean.exit_code, 2);
  EXPECT_NE(clean.err.find("ggml-20793 predicts no race in this scenario"), std::string::npos)
      << clean.err;
  const auto dir = scratch_dir("carried-plan");
  const auto plan = dir / "plan.json";
  std::filesystem::remove(plan);
  CommandResult saved =
      run_schedcheck(real + " --delays from:ggml-17795 --save-plan '" + plan.string() + "'");
  EXPECT_TRUE(saved.exit_code == 0 || saved.exit_code == 3) << saved.err;
  EXPECT_NE(load_delay_plan(plan.string()).name.find("carried from ggml-17795"), std::string::npos);
  // from:all: every policy's races; single-gpu has none under any.
  CommandResult none = run_schedcheck("real '" + canonical_path("single-gpu") +
                                      "' --policy ggml-20793 --delays from:all");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no policy of the scenario predicts a race"), std::string::npos)
      << none.err;
  std::filesystem::remove(plan);
  CommandResult all =
      run_schedcheck(real + " --delays from:all --save-plan '" + plan.string() + "'");
  EXPECT_TRUE(all.exit_code == 0 || all.exit_code == 3) << all.err;
  EXPECT_NE(load_delay_plan(plan.string()).name.find("carried from ggml-v0"), std::string::npos);
}

// A scenario with real shapes is meant for ggml's own backends: through the executor, say what
// a run costs (with or without a device).
TEST(RealCommand, ShapedScenariosThroughTheExecutorGetANote) {
  CommandResult shaped = run_schedcheck("real '" + canonical_path("llama-pp") +
                                        "' --policy ggml-20793 --delays none --runs 1");
  EXPECT_NE(shaped.err.find("gives the graph's real shapes"), std::string::npos) << shaped.err;
  CommandResult plain = run_schedcheck("real '" + canonical_path("two-gpu-pp") +
                                       "' --policy ggml-20793 --delays none --runs 1");
  EXPECT_EQ(plain.err.find("real shapes"), std::string::npos) << plain.err;
}

// real --timeline: refused before any device is needed when it cannot be written as asked.
TEST(RealCommand, TimelineNeedsOnePolicyANewFileAndTheExecutor) {
  const auto dir = scratch_dir("real-timeline");
  const auto out = dir / "run.html";
  std::filesystem::remove(out);
  const std::string real = "real '" + canonical_path("two-gpu-pp") + "'";
  CommandResult all = run_schedcheck(real + " --timeline '" + out.string() + "'");
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_NE(all.err.find("give --policy NAME"), std::string::npos) << all.err;
  std::ofstream(out) << "mine";
  CommandResult exists =
      run_schedcheck(real + " --policy ggml-17795 --timeline '" + out.string() + "'");
  EXPECT_EQ(exists.exit_code, 2);
  EXPECT_NE(exists.err.find("the file exists"), std::string::npos) << exists.err;
  EXPECT_EQ(read_all(out), "mine");
  CommandResult backends =
      run_schedcheck(real + " --policy ggml@ggml-head --backend ggml-cuda --timeline '" +
                     (dir / "other.html").string() + "'");
  EXPECT_EQ(backends.exit_code, 2);
  EXPECT_NE(backends.err.find("--timeline needs --backend executor"), std::string::npos)
      << backends.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "other.html"));
}

// On a GPU: every call of the run carries its measured span, and the page is laid out by time.
TEST(RealCommand, TimelineOfAGpuRunPlacesTheCallsByTheirMeasuredTimes) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  const Scenario s = load_scenario_file(canonical_path("two-gpu-pp"));
  const Policy& policy = *find_builtin_policy("ggml-17795");
  const RealRunResult r = run_on_gpu(s, policy, DelayPlan{}, gpu_placement_from_env(), true);
  const ReplayResult sim = replay(s, policy);
  ASSERT_EQ(r.call_times.size(), sim.trace.size());
  for (std::size_t i = 0; i < r.call_times.size(); ++i) {
    ASSERT_TRUE(r.call_times[i].has_value()) << "call " << i;
    EXPECT_LE(r.call_times[i]->start_ns, r.call_times[i]->end_ns) << "call " << i;
    const AgentKind k = sim.run.layout.agents[sim.trace[i].agent].kind;
    const bool queue = k == AgentKind::queue || k == AgentKind::transfer_queue;
    EXPECT_EQ(r.call_times[i]->on_device, queue) << "call " << i;
  }
  const auto dir = scratch_dir("real-timeline-gpu");
  const auto out = dir / "run.html";
  std::filesystem::remove(out);
  CommandResult cmd =
      run_schedcheck("real '" + canonical_path("two-gpu-pp") +
                     "' --policy ggml-17795 --delays none --timeline '" + out.string() + "'");
  EXPECT_EQ(cmd.exit_code, 0) << cmd.err;
  const std::string page = read_all(out);
  EXPECT_NE(page.find("across: time since the first start"), std::string::npos)
      << "the axis is measured time";
}

TEST(GpuPlacement, NamesParseAndAnythingElseIsRejected) {
  EXPECT_TRUE(parse_gpu_placement("physical").physical);
  EXPECT_TRUE(parse_gpu_placement("physical").peer_access);
  EXPECT_TRUE(parse_gpu_placement("physical-no-peer").physical);
  EXPECT_FALSE(parse_gpu_placement("physical-no-peer").peer_access);
  EXPECT_FALSE(parse_gpu_placement("virtual").physical);
  EXPECT_THROW(parse_gpu_placement("Physical"), std::invalid_argument);
  EXPECT_THROW(parse_gpu_placement(""), std::invalid_argument);
}

TEST(RealCommand, AnUnknownPlacementIsBadInput) {
  expect_bad_input(
      run_schedcheck("real '" + canonical_path("two-gpu-pp") + "' --placement sideways"),
      "--placement");
}

TEST(RealCommand, AnUnknownPlacementInTheEnvironmentIsBadInputForRealAndCheck) {
  ::setenv("SCHEDCHECK_GPU_PLACEMENT", "sideways", 1);  // the child process inherits it
  for (const std::string& command :
       {"real '" + canonical_path("two-gpu-pp") + "'", std::string("check --real --cases 1")}) {
    expect_bad_input(run_schedcheck(command), "SCHEDCHECK_GPU_PLACEMENT: expected physical",
                     command);
  }
  ::unsetenv("SCHEDCHECK_GPU_PLACEMENT");
}

}  // namespace
}  // namespace schedcheck::testing
