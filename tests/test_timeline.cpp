// The timeline of a replay as data (timeline/timeline_builder): a lane per agent, a box per
// trace entry in a layering consistent with happens-before, event and synchronize edges, each
// finding's accesses highlighted with its missing edge, nothing highlighted in a clean run, and
// long traces cut to the evaluations with findings.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "sim/race_report.hpp"
#include "sim/vector_clock.hpp"
#include "tests/support/builtin_policy.hpp"
#include "tests/support/paths.hpp"
#include "timeline/timeline_builder.hpp"

namespace schedcheck::testing {
namespace {

struct Built {
  ReplayResult replay;
  PolicyVerdict verdict;
  Timeline timeline;
};

Built build(const std::string& file, const Policy& p, const TimelineOptions& options = {}) {
  Built b;
  const Scenario s = load_scenario_file(file);
  b.replay = replay(s, p);
  b.verdict = explain(b.replay);
  b.timeline = build_timeline(b.replay, b.verdict, {s.name, file}, options);
  return b;
}

Built two_gpu_pp(const std::string& policy_name, const TimelineOptions& options = {}) {
  return build(canonical_path("two-gpu-pp"), policy(policy_name), options);
}

std::size_t count_edges(const Timeline& t, EdgeKind kind, int from, int to) {
  return std::count_if(t.edges.begin(), t.edges.end(), [&](const Edge& e) {
    return e.kind == kind && e.from == from && e.to == to;
  });
}

TEST(TimelineBuilder, HasALanePerAgentNamedAsTheReportNamesItAndABoxPerTraceEntry) {
  const Built b = two_gpu_pp("ggml-17795");
  const ExecutionLayout& layout = b.replay.run.layout;
  ASSERT_EQ(b.timeline.lanes.size(), layout.agents.size());
  for (std::size_t i = 0; i < layout.agents.size(); ++i) {
    EXPECT_EQ(b.timeline.lanes[i].name, layout.agents[i].name);
    EXPECT_EQ(b.timeline.lanes[i].kind, layout.agents[i].kind);
  }
  EXPECT_EQ(b.timeline.lanes[0].name, "HOST");
  std::set<std::string> names;
  for (const Lane& l : b.timeline.lanes) names.insert(l.name);
  EXPECT_TRUE(names.contains("CUDA0") && names.contains("CUDA1"));
  EXPECT_TRUE(names.contains("CUDA per-thread stream (device 0)"));
  ASSERT_EQ(b.timeline.boxes.size(), b.replay.trace.size());
  for (std::size_t i = 0; i < b.replay.trace.size(); ++i) {
    const Box& box = b.timeline.boxes[i];
    EXPECT_EQ(box.trace_index, static_cast<int>(i));
    EXPECT_EQ(box.lane, b.replay.trace[i].agent);
    EXPECT_FALSE(box.label.empty());
    EXPECT_NE(box.details.find("trace #" + std::to_string(i)), std::string::npos) << box.details;
  }
  EXPECT_TRUE(b.timeline.notes.empty());
  EXPECT_EQ(b.timeline.header_lines[0],
            "== two-gpu-pp under ggml-17795 (ggml 4b496bb9, llama#17795) ==");
}

TEST(TimelineBuilder, LabelsAreShortAndTheHoverGivesTheAccessesAsTheReportDoes) {
  const Built b = two_gpu_pp("ggml-17795");
  const FindingGroup& h2 = b.verdict.groups[0];  // CUDA0's copy out of pinned host memory
  const Box& copy = b.timeline.boxes[h2.first_access.trace_index];
  EXPECT_EQ(copy.label, "cpy");
  EXPECT_EQ(copy.kind, BoxKind::copy);
  EXPECT_EQ(copy.sublabel, "u0 s1 #0");
  for (const char* part :
       {"CUDA0 @1 at batch 0 ubatch 0 split 1 (CUDA0): async copy host->device inp_embd -> "
        "CUDA0#inp_embd#0",
        "cpy_tensor_async (input)", "reads inp_embd: CUDA_Host_compute (pinned_host) [8960, 13056)",
        "writes CUDA0#inp_embd#0: CUDA0_compute (device)",
        "finding [1]: the 'first' access of WRITE-AFTER-READ race [H2]"})
    EXPECT_NE(copy.details.find(part), std::string::npos) << part << "\n" << copy.details;
  std::set<std::string> labels;
  for (const Box& box : b.timeline.boxes) labels.insert(box.label);
  for (const char* l : {"graph", "cpy", "inputs", "sync", "read out"})
    EXPECT_TRUE(labels.contains(l)) << l;
  EXPECT_TRUE(std::any_of(labels.begin(), labels.end(),
                          [](const std::string& l) { return l.starts_with("rec e"); }));
  EXPECT_TRUE(std::any_of(labels.begin(), labels.end(),
                          [](const std::string& l) { return l.starts_with("wait e"); }));
}

TEST(TimelineBuilder, EachFindingsAccessesAreHighlightedWithItsMissingEdgeAndNothingElse) {
  const Built b = two_gpu_pp("ggml-17795");
  ASSERT_EQ(b.timeline.findings.size(), b.verdict.groups.size());
  ASSERT_EQ(b.timeline.findings.size(), 7u);
  std::set<int> accesses;
  for (std::size_t i = 0; i < b.verdict.groups.size(); ++i) {
    const FindingGroup& g = b.verdict.groups[i];
    const int number = static_cast<int>(i) + 1;
    EXPECT_TRUE(b.timeline.findings[i].race);
    EXPECT_TRUE(b.timeline.findings[i].drawn);
    EXPECT_TRUE(b.timeline.findings[i].title.starts_with("[" + std::to_string(number) + "] "));
    for (const AccessDescription* d : {&g.first_access, &g.second_access}) {
      ASSERT_TRUE(d->exists());
      const Box& box = b.timeline.boxes[d->trace_index];
      EXPECT_EQ(box.highlight, Highlight::race);
      EXPECT_NE(std::find(box.findings.begin(), box.findings.end(), number), box.findings.end());
      accesses.insert(d->trace_index);
    }
    ASSERT_TRUE(g.missing_edge);
    const int from = g.missing_edge->from.trace_index, to = g.missing_edge->to.trace_index;
    EXPECT_EQ(count_edges(b.timeline, EdgeKind::missing, from, to), 1u) << number;
  }
  for (const Box& box : b.timeline.boxes)
    EXPECT_EQ(box.highlight != Highlight::none, accesses.contains(box.trace_index))
        << box.trace_index;
}

TEST(TimelineBuilder, EventEdgesGoFromTheRecordAWaitUsedToTheWait) {
  const Built b = two_gpu_pp("ggml-17795");
  const auto& trace = b.replay.trace;
  int effective_waits = 0, ineffective_waits = 0, host_waits = 0;
  for (int i = 0; i < static_cast<int>(trace.size()); ++i) {
    const TraceEntry& e = trace[i];
    if (e.kind != TraceKind::wait_event && e.kind != TraceKind::host_wait_event) continue;
    int record = -1;  // the last record of the event before the wait (a re-record overwrites)
    for (int j = 0; j < i; ++j)
      if (trace[j].kind == TraceKind::record && trace[j].event == e.event) record = j;
    std::size_t into = 0;
    for (const Edge& edge : b.timeline.edges) into += edge.kind == EdgeKind::event && edge.to == i;
    if (!e.effective) {
      ++ineffective_waits;
      EXPECT_FALSE(b.timeline.boxes[i].effective);
      EXPECT_EQ(into, 0u) << i;
      continue;
    }
    ++effective_waits;
    host_waits += e.kind == TraceKind::host_wait_event;
    ASSERT_GE(record, 0) << i;
    EXPECT_EQ(into, 1u) << i;
    EXPECT_EQ(count_edges(b.timeline, EdgeKind::event, record, i), 1u) << i;
  }
  EXPECT_GT(effective_waits, 0);
  EXPECT_GT(ineffective_waits, 0);  // the first ubatches wait on events nothing recorded yet
  EXPECT_GT(host_waits, 0);
  for (const Box& box : b.timeline.boxes) {
    if (box.kind != BoxKind::event_wait) {
      EXPECT_TRUE(box.effective) << box.trace_index;
    }
  }
}

TEST(TimelineBuilder, SynchronizeEdgesGoFromTheQueuesLastWorkToTheHostsWait) {
  const Built b = two_gpu_pp("ggml-20793");  // synchronizes at every split
  const auto& trace = b.replay.trace;
  int syncs = 0;
  for (int i = 0; i < static_cast<int>(trace.size()); ++i) {
    if (trace[i].kind != TraceKind::wait_queue) continue;
    int last = -1;
    for (int j = 0; j < i; ++j)
      if (trace[j].agent == trace[i].target) last = j;
    if (last < 0) continue;
    ++syncs;
    EXPECT_EQ(count_edges(b.timeline, EdgeKind::synchronize, last, i), 1u) << i;
  }
  EXPECT_GT(syncs, 10);
}

TEST(TimelineBuilder, ACleanRunHasNoHighlightNoMissingEdgeAndNoFinding) {
  const Built b = two_gpu_pp("ggml-20793");
  EXPECT_TRUE(b.verdict.verdict.is_clean());
  EXPECT_TRUE(b.timeline.clean());
  EXPECT_EQ(b.timeline.verdict, "clean");
  for (const Box& box : b.timeline.boxes) {
    EXPECT_EQ(box.highlight, Highlight::none);
    EXPECT_TRUE(box.findings.empty());
  }
  for (const Edge& e : b.timeline.edges) EXPECT_NE(e.kind, EdgeKind::missing);
}

TEST(TimelineBuilder, AStaleReadHighlightsTheReadAndTheWriteItSaw) {
  const std::string file = source_path("reports/bugs/B2-copy-index-reset-user-sync.json");
  const Scenario s = load_scenario_file(file);     // find_policy points into it: keep it alive
  const Policy* p = find_policy(s, "ggml-13814");  // the file's own
  ASSERT_NE(p, nullptr);
  const Built b = build(file, *p);
  int stale = 0;
  for (std::size_t i = 0; i < b.verdict.groups.size(); ++i) {
    const FindingGroup& g = b.verdict.groups[i];
    if (is_race(g.first.kind)) continue;
    ++stale;
    EXPECT_FALSE(b.timeline.findings[i].race);
    const Box& read = b.timeline.boxes[g.second_access.trace_index];
    EXPECT_NE(read.highlight, Highlight::none);  // stale, or race when it also races
    if (g.first_access.exists()) {
      EXPECT_NE(b.timeline.boxes[g.first_access.trace_index].highlight, Highlight::none);
    }
  }
  ASSERT_GT(stale, 0);
  EXPECT_TRUE(std::any_of(b.timeline.boxes.begin(), b.timeline.boxes.end(),
                          [](const Box& box) { return box.highlight == Highlight::stale; }));
}

// The vector clock of every trace entry, recomputed from the trace by the rules of
// sim/semantics_engine.cpp (checked against the epochs it recorded).
std::vector<VectorClock> clocks_of(const ReplayResult& r) {
  const auto& agents = r.run.layout.agents;
  std::vector<VectorClock> clock(agents.size(), VectorClock(agents.size()));
  std::vector<VectorClock> snapshot(r.run.layout.events.size(), VectorClock(agents.size()));
  std::vector<VectorClock> at;
  VectorClock& host = clock[kHostAgent];
  for (const TraceEntry& e : r.trace) {
    VectorClock& own = clock[e.agent];
    switch (e.kind) {
      case TraceKind::access:
        if (e.agent == kHostAgent) {
          host.tick(kHostAgent);
        } else if (agents[e.agent].kind == AgentKind::blocking_stream) {
          own.join(host);
          own.tick(e.agent);
          host.join(own);
        } else {
          if (e.op.reads_at_call) host.tick(kHostAgent);
          own.join(host);
          own.tick(e.agent);
        }
        break;
      case TraceKind::wait_queue:
        host.join(clock[e.target]);
        break;
      case TraceKind::record:
        own.join(host);
        own.tick(e.agent);
        snapshot[e.event] = own;
        break;
      case TraceKind::wait_event:
        own.join(host);
        if (e.effective) own.join(snapshot[e.event]);
        break;
      case TraceKind::host_wait_event:
        if (e.effective) host.join(snapshot[e.event]);
        break;
    }
    at.push_back(clock[e.agent]);
  }
  return at;
}

// For every scenario of the corpus under every policy: an entry that happens before another
// (by the engine's clocks) is in an earlier column, and every ordering edge points right.
TEST(TimelineBuilder, TheLayeringIsConsistentWithHappensBeforeOverTheWholeCorpus) {
  int runs = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(source_path("reports"))) {
    if (f.path().extension() != ".json") continue;
    const Scenario s = load_scenario_file(f.path().string());
    if (s.has_meta_backend()) continue;  // a real tree's meta backend: not the model's
    for (const Policy& p : policies_for(s)) {
      const Built b = build(f.path().string(), p);
      const std::vector<VectorClock> clocks = clocks_of(b.replay);
      const auto& trace = b.replay.trace;
      const auto& boxes = b.timeline.boxes;
      for (std::size_t i = 0; i < trace.size(); ++i)
        ASSERT_EQ(clocks[i][trace[i].agent], trace[i].epoch)
            << f.path() << " " << p.name << " #" << i;
      for (std::size_t j = 0; j < trace.size(); ++j) {
        const bool ticks = trace[j].kind == TraceKind::access || trace[j].kind == TraceKind::record;
        if (!ticks) continue;
        for (std::size_t i = j + 1; i < trace.size(); ++i)
          if (clocks[i].knows(trace[j].agent, trace[j].epoch)) {
            ASSERT_LT(boxes[j].column, boxes[i].column)
                << f.path() << " " << p.name << ": #" << j << " happens before #" << i;
          }
      }
      for (const Edge& e : b.timeline.edges)
        if (e.kind != EdgeKind::missing) {
          EXPECT_LT(boxes[e.from].column, boxes[e.to].column);
        }
      ++runs;
    }
  }
  EXPECT_GT(runs, 100);
}

TEST(TimelineBuilder, ALongTraceKeepsTheEvaluationsWithFindingsAndSaysSo) {
  TimelineOptions options;
  options.max_boxes = 20;
  const Built full = two_gpu_pp("ggml-17795");
  const Built cut = two_gpu_pp("ggml-17795", options);
  std::set<int> with_findings;
  for (const Box& box : full.timeline.boxes)
    if (box.highlight != Highlight::none) with_findings.insert(box.eval);
  ASSERT_LT(with_findings.size(), 6u);
  std::size_t expected = 0;
  for (const Box& box : full.timeline.boxes) expected += with_findings.contains(box.eval);
  ASSERT_EQ(cut.timeline.boxes.size(), expected);
  ASSERT_EQ(cut.timeline.notes.size(), 1u);
  EXPECT_NE(cut.timeline.notes[0].find(std::to_string(expected) + " of the " +
                                       std::to_string(full.timeline.boxes.size())),
            std::string::npos)
      << cut.timeline.notes[0];
  std::set<int> columns;
  for (const Box& box : cut.timeline.boxes) {
    EXPECT_TRUE(with_findings.contains(box.eval));
    columns.insert(box.column);
    for (int before : box.after) EXPECT_LT(cut.timeline.boxes[before].column, box.column);
  }
  EXPECT_EQ(*columns.rbegin(), static_cast<int>(columns.size()) - 1);  // no empty column
  for (const TimelineFinding& f : cut.timeline.findings) EXPECT_TRUE(f.drawn);
  std::size_t missing = 0;
  for (const Edge& e : cut.timeline.edges) {
    ASSERT_LT(static_cast<std::size_t>(e.from), cut.timeline.boxes.size());
    ASSERT_LT(static_cast<std::size_t>(e.to), cut.timeline.boxes.size());
    missing += e.kind == EdgeKind::missing;
  }
  EXPECT_EQ(missing, 7u);
}

TEST(TimelineBuilder, MeasuredSpansAreCarriedByTheirBoxesAndMustMatchTheTrace) {
  const Built plain = two_gpu_pp("ggml-17795");
  EXPECT_FALSE(plain.timeline.measured());
  TimelineOptions options;
  options.measured.resize(plain.replay.trace.size());
  options.measured[3] = MeasuredSpan{1000, 2500};
  const Built measured = two_gpu_pp("ggml-17795", options);
  EXPECT_TRUE(measured.timeline.measured());
  ASSERT_TRUE(measured.timeline.boxes[3].measured);
  EXPECT_EQ(measured.timeline.boxes[3].measured->end_ns, 2500);
  EXPECT_FALSE(measured.timeline.boxes[4].measured);
  options.measured.pop_back();
  EXPECT_THROW(two_gpu_pp("ggml-17795", options), std::invalid_argument);
}

}  // namespace
}  // namespace schedcheck::testing
