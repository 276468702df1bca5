// Report data and its words: the classification, fix advice, effect, grouping and call patterns
// of findings built by hand over a real trace, and the text sim/report_text gives hand-built
// report pieces (the same sentences `schedcheck replay` prints).
#include <gtest/gtest.h>

#include <functional>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/finding_grouping.hpp"
#include "sim/finding_mechanism.hpp"
#include "sim/host_call_patterns.hpp"
#include "sim/replay.hpp"
#include "sim/report_naming.hpp"
#include "sim/report_text.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

ReplayResult replay_two_gpu_pp(const std::string& policy) {
  return replay(load_scenario_file(canonical_path("two-gpu-pp")), *find_builtin_policy(policy));
}

AgentKind agent_kind(const ReplayResult& r, int entry) {
  return r.run.layout.agents[r.trace[entry].agent].kind;
}

// The first access entry from `from` on that satisfies `wanted`; -1 if none.
int find_entry(const ReplayResult& r, int from,
               const std::function<bool(const TraceEntry&)>& wanted) {
  for (int i = from; i < static_cast<int>(r.trace.size()); ++i)
    if (r.trace[i].kind == TraceKind::access && wanted(r.trace[i])) return i;
  return -1;
}

// A queue's asynchronous copy out of a host buffer (the read H2 is about).
int queued_copy_from_host(const ReplayResult& r, int from) {
  return find_entry(r, from, [&](const TraceEntry& e) {
    return e.op.kind == OpKind::copy && r.run.layout.agents[e.agent].kind == AgentKind::queue &&
           is_host_buffer(r.run.scenario.buffers[e.op.accesses[0].region.buffer].kind);
  });
}

// The first host write into `buffer` after entry `after`; sets `access` to its index.
int host_write_into(const ReplayResult& r, int after, int buffer, int& access) {
  for (int i = after + 1; i < static_cast<int>(r.trace.size()); ++i) {
    if (r.trace[i].kind != TraceKind::access || agent_kind(r, i) != AgentKind::host) continue;
    const auto& accesses = r.trace[i].op.accesses;
    for (access = 0; access < static_cast<int>(accesses.size()); ++access)
      if (accesses[access].is_write && accesses[access].region.buffer == buffer) return i;
  }
  return -1;
}

Finding race(FindingKind kind, const ReplayResult& r, int first_op, int first_access, int second_op,
             int second_access) {
  Finding f;
  f.kind = kind;
  f.first_op = first_op;
  f.first_access = first_access;
  f.first_agent = r.trace[first_op].agent;
  f.second_op = second_op;
  f.second_access = second_access;
  f.second_agent = r.trace[second_op].agent;
  f.buffer = r.trace[first_op].op.accesses[first_access].region.buffer;
  return f;
}

TEST(FindingMechanism, AHostRewriteOfAQueuedCopysPinnedSourceIsH2AndTheHostMustWait) {
  const ReplayResult r = replay_two_gpu_pp("ggml-17795");
  const int copy = queued_copy_from_host(r, 0);
  ASSERT_GE(copy, 0);
  int write_access = -1;
  const int write =
      host_write_into(r, copy, r.trace[copy].op.accesses[0].region.buffer, write_access);
  ASSERT_GE(write, 0);
  const Finding f = race(FindingKind::write_after_read, r, copy, 0, write, write_access);
  EXPECT_EQ(classify_mechanism(r, f), Mechanism::H2);

  const ReportNaming naming(r);
  const FixAdvice advice = advise_fix(naming, f);
  const std::string queue = naming.agent(f.first_agent).name;
  EXPECT_EQ(advice.cheapest_fix.primitive, FixPrimitive::host_event_wait);
  EXPECT_TRUE(advice.cheapest_fix.blocks_host);
  EXPECT_EQ(advice.cheapest_fix.record_on, queue);
  EXPECT_EQ(advice.cheapest_fix.after.call, r.trace[copy].site().call);
  EXPECT_EQ(advice.cheapest_fix.before.call, r.trace[write].site().call);
  ASSERT_TRUE(advice.missing_edge);
  EXPECT_EQ(advice.missing_edge->from.agent, queue);
  EXPECT_EQ(advice.missing_edge->from.trace_index, copy);
  EXPECT_EQ(advice.missing_edge->to.agent, "HOST");
  EXPECT_EQ(advice.missing_edge->to.trace_index, write);
  EXPECT_FALSE(advice.ordering_present.last_sync);
  EXPECT_EQ(to_text(advice.ordering_present), "HOST has no happens-before path from " + queue +
                                                  " at all; the conflicting access is " + queue +
                                                  "@0");

  const Effect effect = effect_of(naming, f);
  EXPECT_EQ(effect.reader, queue);
  EXPECT_TRUE(effect.wrong);
}

TEST(FixAdvice, AQueueThatMustFollowTheHostGetsTheIssueOrder) {
  const ReplayResult r = replay_two_gpu_pp("ggml-17795");
  int write_access = -1;
  const int write = host_write_into(
      r, -1, r.trace[queued_copy_from_host(r, 0)].op.accesses[0].region.buffer, write_access);
  ASSERT_GE(write, 0);
  const int copy = queued_copy_from_host(r, write + 1);
  ASSERT_GE(copy, 0);
  const Finding f = race(FindingKind::read_after_write, r, write, write_access, copy, 0);
  const ReportNaming naming(r);
  const Fix fix = advise_fix(naming, f).cheapest_fix;
  EXPECT_EQ(fix.primitive, FixPrimitive::issue_order);
  EXPECT_FALSE(fix.blocks_host);
  EXPECT_EQ(to_text(fix),
            "issue " + to_text(naming.step(copy)) + " only after " + to_text(naming.step(write)));
  const Effect effect = effect_of(naming, f);
  EXPECT_FALSE(effect.wrong);  // the reader sees the previous contents
  EXPECT_EQ(effect.reader, naming.agent(f.second_agent).name);
}

TEST(FindingMechanism, AQueuedGraphReadingACopySlotNothingWroteIsAStaleSlot) {
  const ReplayResult r = replay_two_gpu_pp("ggml-20793");
  int read_access = -1;
  const int graph = find_entry(r, 0, [&](const TraceEntry& e) {
    if (e.op.kind != OpKind::compute || r.run.layout.agents[e.agent].kind != AgentKind::queue)
      return false;
    for (read_access = 0; read_access < static_cast<int>(e.op.accesses.size()); ++read_access)
      if (!e.op.accesses[read_access].is_write && e.op.accesses[read_access].copy != kNone)
        return true;
    return false;
  });
  ASSERT_GE(graph, 0);
  Finding f;
  f.kind = FindingKind::stale_read;
  f.second_op = graph;
  f.second_access = read_access;
  f.second_agent = r.trace[graph].agent;
  f.buffer = r.trace[graph].op.accesses[read_access].region.buffer;
  EXPECT_EQ(classify_mechanism(r, f), Mechanism::stale_slot);

  const ReportNaming naming(r);
  const FixAdvice advice = advise_fix(naming, f);
  EXPECT_EQ(advice.ordering_present.kind, PresentOrdering::Kind::never_written);
  EXPECT_FALSE(advice.missing_edge);
  EXPECT_EQ(advice.cheapest_fix.primitive, FixPrimitive::fill_read_slot);
  EXPECT_FALSE(naming.access_description(f.first_op, f.first_access, f.first_agent).exists());
  EXPECT_EQ(to_text(effect_of(naming, f)),
            "reads uninitialized memory where the graph prescribes "
            "uninitialized memory");
}

TEST(FindingGrouping, OccurrencesInOtherEvaluationsJoinTheFirstOnesGroup) {
  ReplayResult r = replay_two_gpu_pp("ggml-26040");
  ASSERT_EQ(group_findings(r).size(), 1u);
  EXPECT_EQ(group_findings(r)[0].evals, (std::vector<int>{4, 5}));
  r.findings.push_back(r.findings.front());
  EXPECT_EQ(group_findings(r)[0].evals, (std::vector<int>{4, 5, 4}));
  Finding other_kind = r.findings.front();
  other_kind.kind = FindingKind::write_after_write;
  r.findings.push_back(other_kind);
  const std::vector<FindingOccurrences> groups = group_findings(r);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].first.kind, FindingKind::write_after_write);
}

TEST(HostCallPatterns, OnePatternPerSplitOfTheFirstEvaluation) {
  const ReplayResult r = replay_two_gpu_pp("ggml-v0");
  const HostCallPatterns patterns = first_evaluation_patterns(r);
  ASSERT_EQ(patterns.splits.size(), r.run.plan.splits.size());
  std::string whole, per_split;
  for (const HostCall& c : r.calls) {
    if (c.site.eval != 0) continue;
    whole += c.letter;
    if (c.site.role == Role::policy && c.site.split == 1) per_split += c.letter;
  }
  EXPECT_EQ(patterns.whole, whole);
  EXPECT_EQ(to_text(patterns.splits[1]), "CUDA0:" + per_split);
}

TEST(ReportText, NamesOfTensorsValuesAndPlaces) {
  EXPECT_EQ(to_text(TensorName{}), "?");
  EXPECT_EQ(to_text(TensorName{TensorName::Form::tensor, "inp_embd", 0}), "inp_embd");
  EXPECT_EQ(to_text(TensorName{TensorName::Form::tensor_in_slot, "inp_pos", 1}),
            "inp_pos (slot 1)");
  EXPECT_EQ(to_text(TensorName{TensorName::Form::copy_slot, "CUDA0#inp_pos", 2}),
            "CUDA0#inp_pos#2");
  EXPECT_EQ(to_text(ValueName{}), "uninitialized memory");
  EXPECT_EQ(to_text(ValueName{ValueName::Form::initial, "kv", 0, 0}), "the initial contents of kv");
  EXPECT_EQ(to_text(ValueName{ValueName::Form::computed, "l_out-0", 1, 2}),
            "l_out-0 of batch 1 ubatch 2");
  EXPECT_EQ(to_text(CallPlace{3, 1, 2, -1, ""}), "batch 1 ubatch 2");
  EXPECT_EQ(to_text(CallPlace{3, 1, 2, 1, "CUDA0"}), "batch 1 ubatch 2 split 1 (CUDA0)");
  EXPECT_EQ(to_text(BufferName{"CUDA_Host_compute", BufferKind::pinned_host}),
            "CUDA_Host_compute (pinned_host)");
}

TEST(ReportText, OperationsAndTraceSteps) {
  CopyOperation copy;
  copy.source_on_host = true;
  copy.source = {TensorName::Form::tensor, "inp_embd", 0};
  copy.destination = {TensorName::Form::copy_slot, "CUDA0#inp_embd", 0};
  copy.host_timing = CopyOperation::HostTiming::source_captured_at_call;
  EXPECT_EQ(to_text(OperationDescription{copy}),
            "async copy host->device inp_embd -> CUDA0#inp_embd#0 (source captured at the call)");
  EXPECT_EQ(to_text(OperationDescription{GraphRun{0, true, "inp_embd", "inp_embd"}}),
            "CPU-side graph of split 0 (nodes inp_embd..inp_embd)");
  EXPECT_EQ(to_text(OperationDescription{HostAccess{HostAccess::Kind::expert_ids_read, {}, {}}}),
            "host reads the expert ids it fetched");
  TraceStep wait{TraceKind::wait_event, "CUDA0",      "ev[CUDA0][1]",
                 Call::event_wait,      std::nullopt, CallPlace{0, 0, 0, 1, "CUDA0"}};
  EXPECT_EQ(to_text(wait), "event_wait(CUDA0, ev[CUDA0][1]) at batch 0 ubatch 0 split 1 (CUDA0)");
}

TraceStep access_step(Call call, int split, const std::string& backend) {
  return {
      TraceKind::access, "", "", call, OperationDescription{}, CallPlace{0, 0, 1, split, backend}};
}

TEST(ReportText, FixesEdgesAndEffects) {
  Fix fix;
  fix.primitive = FixPrimitive::device_event_wait;
  fix.record_on = "Vulkan0";
  fix.wait_on = "Vulkan1";
  fix.wait_on_transfer_queue = true;
  fix.after = access_step(Call::graph_compute, 1, "Vulkan0");
  fix.before = access_step(Call::cpy_tensor_async, 2, "Vulkan1");
  EXPECT_EQ(to_text(fix),
            "device-side, no host wait: event_record(e, Vulkan0) right after graph_compute_async "
            "at batch 0 ubatch 1 split 1 (Vulkan0), then event_wait(Vulkan1 transfer queue, e) "
            "before cpy_tensor_async at batch 0 ubatch 1 split 2 (Vulkan1)");
  EXPECT_EQ(to_text(std::optional<MissingEdge>{}),
            "none: the read must target the copy/slot this evaluation wrote");
  EXPECT_EQ(to_text(std::optional<MissingEdge>{MissingEdge{
                {"CUDA1", 24, Call::graph_compute}, {"CUDA0", 123, Call::cpy_tensor_async}}}),
            "CUDA1 #24 (graph_compute_async) -> CUDA0 #123 (cpy_tensor_async)");
  const ValueName earlier{ValueName::Form::computed, "x", 0, 0};
  const ValueName later{ValueName::Form::computed, "x", 0, 1};
  EXPECT_EQ(to_text(Effect{FindingKind::write_after_write, "", later, earlier, std::nullopt}),
            "if the writes complete in the other order, the bytes keep x of batch 0 ubatch 1 "
            "instead of x of batch 0 ubatch 0");
  EXPECT_EQ(to_text(Effect{FindingKind::read_after_write, "HOST", std::nullopt, earlier, std::nullopt}),
            "if the read runs first, HOST reads the previous contents instead of x of batch 0 "
            "ubatch 0");
}

TEST(ReportText, CorruptedReadsAndMechanisms) {
  EXPECT_EQ(to_text(std::vector<CorruptedRead>{}),
            "no host-visible read in this run depends on the wrong value");
  CorruptedRead output{CorruptedRead::Reader::application_output,
                       {ValueName::Form::computed, "result_output", 0, 1},
                       {},
                       158};
  CorruptedRead host{CorruptedRead::Reader::host, {}, {TensorName::Form::tensor, "x", 0}, 160};
  EXPECT_EQ(to_text(std::vector<CorruptedRead>{output, host}),
            "the application reads a corrupted result_output of batch 0 ubatch 1 after "
            "synchronizing (trace #158); the host reads corrupted x (trace #160)");
  EXPECT_EQ(mechanism_line(Mechanism::other), "unordered conflicting accesses");
  EXPECT_EQ(mechanism_line(Mechanism::H4),
            "host reads asynchronously copied outputs before synchronizing");
}

}  // namespace
}  // namespace schedcheck::testing
