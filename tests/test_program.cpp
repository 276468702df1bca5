// Program scenarios (scenario/program.hpp, driver/program_driver.hpp): loading, which evaluation
// each step belongs to, the calls each step makes, and per-step expectations on host-blocking
// synchronizations.
#include <gtest/gtest.h>

#include <algorithm>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/sync_expectations.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/program_steps.hpp"

namespace schedcheck::testing {
namespace {

using Kind = ProgramStep::Kind;

const std::string kPeerInputs = "reports/peer-tests/sched-inputs-cuda-host-buffer-16k.json";

// The program without its steps of one kind (reads keep pointing at their fetches).
Scenario without_steps(Scenario s, Kind kind) {
  std::vector<int> new_index;
  std::vector<ProgramStep> kept;
  for (const ProgramStep& p : s.program) {
    new_index.push_back(static_cast<int>(kept.size()));
    if (p.kind != kind) kept.push_back(p);
  }
  for (ProgramStep& p : kept)
    if (p.fetch_step >= 0) p.fetch_step = new_index[static_cast<std::size_t>(p.fetch_step)];
  s.program = std::move(kept);
  s.expectations.clear();
  return s;
}

TEST(Program, StepsBelongToTheEvaluationTheyPrepareOrFetch) {
  const Scenario s = load_scenario_file(source_path("tests/scenarios/valid-program.json"));
  ASSERT_EQ(s.program.size(), 14u);
  EXPECT_EQ(s.program[0].kind, Kind::alloc_graph);
  EXPECT_EQ(s.program[8].kind, Kind::get_output);
  EXPECT_FALSE(s.program[8].async);
  EXPECT_EQ(s.program[8].row, 1u);
  EXPECT_EQ(s.program[5].fetch_step, 3);  // reads what step 3 fetched
  EXPECT_TRUE(s.program[10].reserve);
  const ProgramEvaluations e = program_evaluations(s.program);
  EXPECT_EQ(e.computes, 3);
  EXPECT_EQ(e.evaluations, 3);
  // alloc, set_input, compute 0, get 0, sync, read 0, set_input 1, compute 1, get 1, reset,
  // alloc, set_input 2, compute 2, sync.
  EXPECT_EQ(e.of_step, (std::vector<int>{0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2}));
  EXPECT_EQ(s.total_evaluations(), 3);
}

TEST(Program, InputsWrittenAfterTheLastComputeBelongToAnEvaluationNeverComputed) {
  const Scenario s = load_scenario_file(source_path(kPeerInputs));
  const ProgramEvaluations e = program_evaluations(s.program);
  EXPECT_EQ(e.computes, 4);
  EXPECT_EQ(e.evaluations, 5);  // the overwrite after the last compute writes evaluation 4
  EXPECT_EQ(e.of_step[step_named(s, "overwrite x after A0")], 1);
}

// The peer test's program is clean because ggml_backend_sched_synchronize comes before the
// reads; without it, the blocking get of B's result and the read of A's fetched result race
// with the queued graphs.
TEST(Program, ReadingOutputsWithoutTheSynchronizeRaces) {
  const Scenario s = load_scenario_file(source_path(kPeerInputs));
  const Policy& head = *find_policy(s, "ggml-26040");
  EXPECT_TRUE(explain(replay(s, head)).verdict.is_clean());
  const Scenario unsynced = without_steps(s, Kind::synchronize);
  const ReplayResult r = replay(unsynced, head);
  ASSERT_FALSE(explain(r).verdict.is_clean());
  const bool reads_output =
      std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
        return r.trace.at(static_cast<std::size_t>(f.second_op)).site().call ==
               Call::host_read_output;
      });
  EXPECT_TRUE(reads_output);
}

TEST(Program, EachStepKnowsTheCallsItMade) {
  const Scenario s = load_scenario_file(source_path(kPeerInputs));
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  ASSERT_EQ(r.stats.steps.size(), s.program.size());
  EXPECT_EQ(r.stats.evaluations, 4);
  const std::vector<int> per_step = host_syncs_per_step(r);
  // Queuing an evaluation synchronizes before each input copy of the GPU split (three).
  EXPECT_EQ(per_step[step_named(s, "queue A0")], 3);
  EXPECT_EQ(per_step[step_named(s, "overwrite x after A0")], 0);
  // The steps' calls are the run's calls, in order, each call in one step.
  std::size_t next = 0;
  for (const StepCalls& st : r.stats.steps) {
    EXPECT_EQ(st.first, next);
    next = st.end;
  }
  EXPECT_EQ(next, r.calls.size());
}

TEST(Program, AStepBoundNamesTheStepThatBrokeIt) {
  const Scenario s = load_scenario_file(source_path(kPeerInputs));
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  const int queue_a = static_cast<int>(step_named(s, "queue A0"));
  const int overwrite = static_cast<int>(step_named(s, "overwrite x after A0"));
  using K = SyncBound::Kind;
  SyncExpectation e;
  e.steps = {{queue_a, {K::exactly, 3}}, {overwrite, {K::exactly, 0}}};
  EXPECT_TRUE(check_host_syncs(r, e).empty());
  e.steps = {{queue_a, {K::at_most, 2}}, {overwrite, {K::exactly, 0}}};
  const auto misses = check_host_syncs(r, e);
  ASSERT_EQ(misses.size(), 1u);
  EXPECT_EQ(misses[0].scope, SyncCountMiss::Scope::step);
  EXPECT_EQ(to_text(misses[0]),
            "step \"queue A0\" (step " + std::to_string(queue_a) +
                ") issued 3 host-blocking synchronizations, expected at most 2");
}

// llama#27311's prepare_inputs waits for the input ring's slot; under a policy without the ring
// it has nothing to wait for.
TEST(Program, PrepareInputsWithoutAnInputRingMakesNoCall) {
  Scenario s = load_scenario_file(source_path("tests/scenarios/valid-program.json"));
  s.expectations.clear();
  ProgramStep prepare;
  prepare.kind = Kind::prepare_inputs;
  s.program.push_back(prepare);
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  ASSERT_EQ(r.stats.steps.size(), s.program.size());
  EXPECT_EQ(r.stats.steps.back().first, r.stats.steps.back().end);
  EXPECT_TRUE(explain(r).verdict.is_clean());
}

TEST(Program, SavedAndLoadedAgainItIsTheSameProgram) {
  const Scenario s = load_scenario_file(source_path(kPeerInputs));
  const Scenario again = load_scenario_text(save_scenario(s).dump(2), "resaved");
  ASSERT_EQ(again.program.size(), s.program.size());
  for (std::size_t i = 0; i < s.program.size(); ++i) {
    EXPECT_EQ(again.program[i].kind, s.program[i].kind);
    EXPECT_EQ(again.program[i].name, s.program[i].name);
    EXPECT_EQ(again.program[i].tensor, s.program[i].tensor);
    EXPECT_EQ(again.program[i].async, s.program[i].async);
    EXPECT_EQ(again.program[i].fetch_step, s.program[i].fetch_step);
  }
  ASSERT_EQ(again.expectations.size(), s.expectations.size());
  EXPECT_EQ(again.expectations[0].host_syncs.steps, s.expectations[0].host_syncs.steps);
}

// A read of row 0 after fetches of later rows: saved without "row", it would load as a read of
// the latest fetch (found by the scenario fuzzer on the ring peer test).
TEST(Program, AReadOfAnEarlierRowSavesAsThatRow) {
  const Scenario s =
      load_scenario_file(source_path("reports/peer-tests/sched-ring-shared-input.json"));
  const std::string saved = save_scenario(s).dump(1);
  const Scenario again = load_scenario_text(saved, "resaved");
  ASSERT_EQ(again.program.size(), s.program.size());
  for (std::size_t i = 0; i < s.program.size(); ++i)
    EXPECT_EQ(again.program[i].fetch_step, s.program[i].fetch_step) << "step " << i;
  EXPECT_EQ(save_scenario(again).dump(1), saved);
}

}  // namespace
}  // namespace schedcheck::testing
