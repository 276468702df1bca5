// A program's writes of user inputs (issue 17, item 1): inputs the program places in its own
// memory (device or host), writes of part of an input, and asynchronous writes whose source is
// pinned or pageable host memory.
#include <gtest/gtest.h>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "model/input_values.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/program_steps.hpp"
#include "tests/support/run_command.hpp"

namespace schedcheck::testing {
namespace {

const std::string kDir = "reports/input-writes/";

Scenario load(const std::string& name) {
  return load_report(kDir + name);
}

TEST(InputWrites, RefillingThePinnedSourceOfAnAsynchronousWriteRacesWithTheCopy) {
  const Scenario s = load("input-async-from-pinned-source.json");
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.kind, FindingKind::write_after_read);
  EXPECT_EQ(f.buffer, s.find_buffer("staging"));
  EXPECT_EQ(r.trace.at(static_cast<std::size_t>(f.first_op)).op.kind, OpKind::copy);
  EXPECT_EQ(r.trace.at(static_cast<std::size_t>(f.second_op)).op.kind, OpKind::host_write);
  EXPECT_EQ(explain(r).groups.at(0).mechanism, Mechanism::H2);
  // The report names the refill as the host's write into its staging buffer.
  const auto cli =
      run_schedcheck("replay " + source_path(kDir + "input-async-from-pinned-source.json") +
                     " --policy ggml-26040");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.out.find("host fills staging with the bytes it writes into x"), std::string::npos)
      << cli.out;
}

TEST(InputWrites, APageableSourceIsReadBeforeTheAsynchronousWriteReturns) {
  Scenario s = load("input-async-from-pinned-source.json");
  const Index staging = s.find_buffer("staging");
  ASSERT_NE(staging, kNone);
  s.buffers[static_cast<std::size_t>(staging)].kind = BufferKind::pageable_host;
  EXPECT_TRUE(replay(s, *find_policy(s, "ggml-26040")).findings.empty());
}

// ggml_backend_tensor_set_async on a backend without the member synchronizes it, then does the
// blocking set: the refill can no longer overtake the queued graph.
TEST(InputWrites, AnAsynchronousWriteWithoutTheMemberSynchronizesTheBackendFirst) {
  Scenario s = load("input-async-from-pinned-source.json");
  CapabilityOverride no_async;
  no_async.field = "set_get_async";
  no_async.boolean = false;
  s.backends[0].overrides.push_back(no_async);
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  EXPECT_TRUE(r.findings.empty());
  // Without that synchronize the blocking set would race with the queued graph's read of x.
  EXPECT_FALSE(replay(load("input-partial-write-device-race.json"), *find_policy(s, "ggml-26040"))
                   .findings.empty());
}

TEST(InputWrites, TheNewStepFieldsAndPlacedInputsSurviveASave) {
  const Scenario s = load("input-async-from-pinned-source.json");
  const Scenario again = load_scenario_text(save_scenario(s).dump(), "saved.json");
  ASSERT_EQ(again.program.size(), s.program.size());
  const ProgramStep& first = again.program[0];
  EXPECT_TRUE(first.async);
  EXPECT_EQ(again.buffers[static_cast<std::size_t>(first.buffer)].name, "staging");
  const Tensor& x = again.tensors[static_cast<std::size_t>(first.tensor)];
  EXPECT_EQ(again.buffers[static_cast<std::size_t>(x.buffer)].name, "CUDA0_inputs");
  EXPECT_EQ(x.offset, std::optional<uint64_t>{0});
  const Scenario part = load("input-partial-write-device-race.json");
  const Scenario part_again = load_scenario_text(save_scenario(part).dump(), "saved.json");
  const ProgramStep& rewrite = part_again.program[step_named(part_again, "part")];
  EXPECT_EQ(rewrite.offset, 1024u);
  EXPECT_EQ(rewrite.size, 1024u);
  EXPECT_FALSE(rewrite.async);
}

TEST(InputWrites, ABlockingRewriteOfPartOfADeviceInputRacesOnlyOnItsBytes) {
  const Scenario s = load("input-partial-write-device-race.json");
  const ReplayResult r = replay(s, *find_policy(s, "ggml-26040"));
  ASSERT_EQ(r.findings.size(), 1u);
  const Finding& f = r.findings[0];
  EXPECT_EQ(f.buffer, s.find_buffer("CUDA0_inputs"));
  EXPECT_EQ(f.begin, 1024u);
  EXPECT_EQ(f.end, 2048u);
  EXPECT_EQ(r.trace.at(static_cast<std::size_t>(f.first_op)).op.kind, OpKind::compute);
  // With the synchronize before it, the rewrite is ordered.
  const Scenario synced = load("input-partial-write-device-synchronized.json");
  EXPECT_TRUE(replay(synced, *find_policy(synced, "ggml-26040")).findings.empty());
}

TEST(InputWrites, BytesNotRewrittenKeepWhatTheHostLastWroteThere) {
  // The second evaluation writes only the first half: clean, it reads what the bytes hold.
  Scenario s = load("input-partial-write.json");
  EXPECT_TRUE(replay(s, *find_policy(s, "ggml-26040")).findings.empty());
  // Writing nothing before the second compute: it reads the first evaluation's input, which is
  // what the input holds.
  const int dropped = step_named(s, "first half");
  s.program.erase(s.program.begin() + dropped);
  for (ProgramStep& step : s.program)
    if (step.fetch_step > dropped) --step.fetch_step;
  EXPECT_TRUE(replay(s, *find_policy(s, "ggml-26040")).findings.empty());
}

TEST(InputWrites, AViewOfAPartlyRewrittenInputHasOnePartPerWriter) {
  InputValues values;
  TensorView v;
  v.tensor = 3;
  v.region = Region{0, 100, 4096};
  v.expected = LogicalValue{3, 1, 0};
  TensorView untouched = v;
  values.add_parts(untouched, 0);
  EXPECT_TRUE(untouched.parts.empty());  // never written: the view's own expectation
  values.record(3, 0, 0, 4096, 0);
  values.record(3, 0, 1024, 1024, 1);
  values.add_parts(v, 0);
  ASSERT_EQ(v.parts.size(), 3u);
  EXPECT_EQ(v.parts[0].expected.eval, 0);
  EXPECT_EQ(v.parts[1].offset, 1024u);
  EXPECT_EQ(v.parts[1].size, 1024u);
  EXPECT_EQ(v.parts[1].expected.eval, 1);
  EXPECT_EQ(v.parts[2].expected.eval, 0);
  // Another slot is other memory; a sub-view sees only its own bytes.
  TensorView other = v;
  other.parts.clear();
  values.add_parts(other, 1);
  EXPECT_TRUE(other.parts.empty());
  TensorView inner = sub_view(v, 1024, 512);
  values.add_parts(inner, 0);
  EXPECT_TRUE(inner.parts.empty());
  EXPECT_EQ(inner.expected.eval, 1);
  // A sub-view that starts inside one range and ends inside the next.
  TensorView straddle = sub_view(v, 512, 1024);
  values.add_parts(straddle, 0);
  ASSERT_EQ(straddle.parts.size(), 2u);
  EXPECT_EQ(straddle.parts[0].size, 512u);
  EXPECT_EQ(straddle.parts[0].expected.eval, 0);
  EXPECT_EQ(straddle.parts[1].offset, 512u);
  EXPECT_EQ(straddle.parts[1].expected.eval, 1);
}

TEST(InputWrites, LaterWritesReplaceWhatTheyCoverAndKeepTheRest) {
  InputValues values;
  TensorView v;
  v.tensor = 0;
  v.region = Region{0, 0, 400};
  auto evals = [&] {
    TensorView w = v;
    values.add_parts(w, 0);
    std::vector<std::pair<uint64_t, int>> out;  // (offset, eval) of each part
    if (w.parts.empty()) return std::vector<std::pair<uint64_t, int>>{{0, w.expected.eval}};
    for (const ViewPart& p : w.parts) out.emplace_back(p.offset, p.expected.eval);
    return out;
  };
  values.record(0, 0, 0, 100, 1);
  values.record(0, 0, 100, 100, 2);  // adjacent, exactly at the boundary
  values.record(0, 0, 200, 200, 3);
  using P = std::vector<std::pair<uint64_t, int>>;
  EXPECT_EQ(evals(), (P{{0, 1}, {100, 2}, {200, 3}}));
  values.record(0, 0, 50, 200, 4);  // straddles two earlier ranges, inside a third
  EXPECT_EQ(evals(), (P{{0, 1}, {50, 4}, {250, 3}}));
  values.record(0, 0, 0, 400, 5);  // covers them all: one value again
  EXPECT_EQ(evals(), (P{{0, 5}}));
  // Bytes never written keep the view's own expectation.
  InputValues gaps;
  gaps.record(0, 0, 100, 100, 7);
  TensorView g = v;
  g.expected = LogicalValue{0, 9, 0};
  gaps.add_parts(g, 0);
  ASSERT_EQ(g.parts.size(), 3u);
  EXPECT_EQ(g.parts[0].expected.eval, 9);
  EXPECT_EQ(g.parts[1].expected.eval, 7);
  EXPECT_EQ(g.parts[2].expected.eval, 9);
}

}  // namespace
}  // namespace schedcheck::testing
