// A program's set_backend (model/node_assignment.hpp): every node assignment the program reaches
// is an epoch of the run with its own splits, copies and places; an allocation of another epoch
// re-reserves after synchronizing every backend, as ggml's alloc_splits does when it sees
// backend_ids_changed. The same programs through the real trees: test_real_ggml.cpp (corpus).
#include <gtest/gtest.h>

#include <algorithm>

#include "bridge/policy_catalog.hpp"
#include "model/node_assignment.hpp"
#include "model/prepared_run.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/report_text.hpp"
#include "sim/sync_expectations.hpp"
#include "tests/support/program_steps.hpp"

namespace schedcheck::testing {
namespace {

using Kind = ProgramStep::Kind;

const std::string kMoved = "reports/backend-changes/set-backend-re-reserve.json";
const std::string kUnchanged = "reports/backend-changes/set-backend-unchanged.json";

const Policy& head(const Scenario& s) {
  return *find_policy(s, "ggml-26040");
}

// Every split input of every epoch reads through a copy of its own source onto its backend.
void expect_copies_agree(const PreparedRun& run, int epoch) {
  const PreparedRun& e = run.epoch(epoch);
  for (const Split& split : e.plan.splits)
    for (const SplitInput& in : split.inputs) {
      ASSERT_GE(in.copy, 0);
      const CopyTensor& c = run.plan.copies.at(static_cast<std::size_t>(in.copy));
      EXPECT_EQ(c.source, in.source) << "epoch " << epoch;
      EXPECT_EQ(c.backend, split.backend) << "epoch " << epoch;
      EXPECT_FALSE(e.alloc.copy_slots.at(static_cast<std::size_t>(in.copy)).empty());
    }
}

TEST(NodeAssignments, EachAssignmentTheProgramReachesIsAnEpochWithItsOwnSplits) {
  const Scenario s = load_report(kMoved);
  const PreparedRun run = prepare_run(s, head(s));
  ASSERT_EQ(run.assignments.size(), 2u);
  ASSERT_EQ(run.epochs.size(), 1u);
  EXPECT_EQ(run.assignment_epoch, (std::vector<int>{0, 1}));
  // embd and out on CUDA0: one split; embd moved to the CPU: a CPU split, then CUDA0's.
  EXPECT_EQ(run.plan.splits.size(), 1u);
  ASSERT_EQ(run.epoch(1).plan.splits.size(), 2u);
  EXPECT_EQ(run.epoch(1).plan.splits[0].backend, s.cpu_backend());
  // One list of copies, both epoch 1's (inp is placed on CUDA0, where epoch 0 reads it):
  // CPU#inp and CUDA0#embd mean the same in both epochs.
  EXPECT_EQ(run.plan.copies.size(), 2u);
  EXPECT_EQ(run.epoch(1).plan.copies.size(), run.plan.copies.size());
  expect_copies_agree(run, 0);
  expect_copies_agree(run, 1);
  for (std::size_t b = 0; b < s.buffers.size(); ++b)
    EXPECT_EQ(run.alloc.buffer_size[b], run.epoch(1).alloc.buffer_size[b]);
}

TEST(NodeAssignments, AnAssignmentThatChangesNothingIsNoEpoch) {
  const Scenario s = load_report(kUnchanged);
  const PreparedRun run = prepare_run(s, head(s));
  EXPECT_EQ(run.assignments.size(), 1u);
  EXPECT_TRUE(run.epochs.empty());
}

TEST(NodeAssignments, AnotherAssignmentReReservesAfterSynchronizingEveryBackend) {
  for (const std::string& file : {kMoved, kUnchanged}) {
    const Scenario s = load_report(file);
    const ReplayResult r = replay(s, head(s));
    const std::size_t realloc = step_named(s, "realloc");
    const StepCalls& calls = r.stats.steps.at(realloc);
    int syncs = 0;
    for (std::size_t c = calls.first; c < calls.end; ++c)
      if (r.calls[c].sync_id >= 0 && r.calls[c].site.step == "alloc_splits re-reserve") ++syncs;
    // CUDA0's: the CPU backend has no synchronize member (a no-op, not recorded).
    EXPECT_EQ(syncs, file == kMoved ? 1 : 0) << file;
  }
}

// With the re-reserve's synchronization the input rewrite after it waits for the first
// evaluation's queued read of the input; without it (an assignment that changes nothing) it
// does not.
TEST(NodeAssignments, TheReReserveOrdersTheNextInputWriteAfterQueuedCopies) {
  const Scenario moved = load_report(kMoved);
  EXPECT_TRUE(explain(replay(moved, head(moved))).verdict.is_clean());
  const Scenario unchanged = load_report(kUnchanged);
  const ReplayResult r = replay(unchanged, head(unchanged));
  ASSERT_FALSE(explain(r).verdict.is_clean());
  const bool raced_by_overwrite =
      std::any_of(r.findings.begin(), r.findings.end(),
                  [&](const Finding& f) { return program_own_write(unchanged, r, f); });
  EXPECT_TRUE(raced_by_overwrite);
}

TEST(NodeAssignments, GoingBackToTheFirstAssignmentReReservesAgain) {
  Scenario s = load_report(kMoved);
  const Index embd = s.program[step_named(s, "assign")].tensor;
  auto step = [](Kind k) {
    ProgramStep p;
    p.kind = k;
    return p;
  };
  ProgramStep back = s.program[step_named(s, "assign")];
  back.name = "back";
  back.backend = s.nodes[static_cast<std::size_t>(s.tensors[embd].producer)].backend;
  ProgramStep alloc = step(Kind::alloc_graph);
  alloc.name = "realloc again";
  s.program.push_back(step(Kind::reset));
  s.program.push_back(back);
  s.program.push_back(alloc);
  s.program.push_back(s.program[step_named(s, "overwrite")]);
  s.program.back().name = "";
  s.program.push_back(step(Kind::compute));
  s.program.push_back(step(Kind::synchronize));
  const Scenario again = load_scenario_text(save_scenario(s).dump(2), "back-and-forth");
  const PreparedRun run = prepare_run(again, head(again));
  EXPECT_EQ(run.assignments.size(), 2u);  // the table of the scenario is reached again
  EXPECT_EQ(run.epochs.size(), 1u);
  const ReplayResult r = replay(again, head(again));
  const std::vector<int> per_step = host_syncs_per_step(r);
  EXPECT_EQ(per_step[step_named(again, "realloc again")], per_step[step_named(again, "realloc")]);
  EXPECT_GT(per_step[step_named(again, "realloc again")], 0);
  EXPECT_TRUE(explain(r).verdict.is_clean());
}

TEST(NodeAssignments, SetBackendSurvivesASave) {
  const Scenario s = load_report(kMoved);
  const Scenario again = load_scenario_text(save_scenario(s).dump(2), "resaved");
  const std::size_t assign = step_named(s, "assign");
  EXPECT_EQ(again.program[assign].kind, Kind::set_backend);
  EXPECT_EQ(again.program[assign].tensor, s.program[assign].tensor);
  EXPECT_EQ(again.program[assign].backend, s.cpu_backend());
}

TEST(NodeAssignments, APlaceOfALaterAssignmentSaysWhichAssignment) {
  CallPlace place{1, 0, 1, 0, "CPU", 1};
  EXPECT_EQ(to_text(place), "batch 0 ubatch 1 split 0 (CPU) of node assignment 1");
  place.assignment_epoch = 0;
  EXPECT_EQ(to_text(place), "batch 0 ubatch 1 split 0 (CPU)");
}

}  // namespace
}  // namespace schedcheck::testing
