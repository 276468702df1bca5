// The race detector agrees with brute force: on small generated traces (at most kMaxQueueOps =
// 16 queue operations), every execution order the semantics allow is enumerated and executed on
// values (properties/brute_force_oracle), and the detector reports a race or stale read exactly
// when some order yields a value other than the sequential reference or a conflicting pair can be
// reordered. Each reported race must be a reorderable pair, each stale read a wrong read.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "model/policies/registry.hpp"
#include "properties/brute_force_oracle.hpp"
#include "properties/scenario_generators.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

constexpr int kMaxQueueOps = 16;

// Keeps generated specs small enough for exhaustive enumeration (shrinking still works: the
// truncation is a map over the full generator).
ScenarioSpec small(ScenarioSpec spec) {
  if (spec.gpus.size() > 2) spec.gpus.resize(2);
  if (spec.splits.size() > 3) spec.splits.resize(3);
  for (SplitSpec& sp : spec.splits) {
    sp.extra_nodes = 0;
    // erase, not resize(1): GCC 12 -O3 warns falsely (-Warray-bounds) on the resize.
    if (sp.inputs.size() > 1) sp.inputs.erase(sp.inputs.begin() + 1, sp.inputs.end());
  }
  // Two or three ubatches: most races need a second evaluation to conflict with the first.
  spec.ubatches = {spec.ubatches.empty() ? 2 : 2 + spec.ubatches.front() % 2};
  spec.eval_callback = false;
  return spec;
}

int queue_operations(const ReplayResult& r) {
  int n = 0;
  for (const TraceEntry& e : r.trace) {
    const AgentKind k = r.run.layout.agents[e.agent].kind;
    n += (k == AgentKind::queue || k == AgentKind::transfer_queue) &&
         e.kind != TraceKind::wait_queue && e.kind != TraceKind::host_wait_event;
  }
  return n;
}

void check_agreement(const ScenarioSpec& spec, const Policy& policy, int max_queue_ops = kMaxQueueOps) {
  const ReplayResult r = replay(synthesize(spec), policy);
  RC_PRE(queue_operations(r) <= max_queue_ops);

  OracleOptions o;
  o.max_states = 500'000;
  for (Index t = 0; t < static_cast<Index>(r.run.scenario.tensors.size()); ++t)
    if (initialized_before_run(r.run.scenario, t))
      o.initial.push_back({r.run.alloc.tensor_region(t, 0), LogicalValue{t, kInitialEval, 0}});
  const OracleResult q = explore_orders(r.trace, r.run.layout, o);
  RC_TAG(r.findings.empty() ? "clean" : "findings");
  RC_LOG() << policy.name << ": " << describe(q) << "\n";
  RC_ASSERT(q.exhaustive);
  RC_ASSERT(!r.findings.empty() == q.finds_problem());
  for (const Finding& f : r.findings) {
    if (is_race(f.kind)) {
      const bool reorderable =
          std::any_of(q.pairs.begin(), q.pairs.end(), [&](const OraclePair& p) {
            return p.reorderable() && p.first == AccessRef{f.first_op, f.first_access} &&
                   p.second == AccessRef{f.second_op, f.second_access};
          });
      RC_ASSERT(reorderable);
    } else {
      const bool wrong =
          std::any_of(q.mismatches.begin(), q.mismatches.end(), [&](const OracleMismatch& m) {
            return m.read == AccessRef{f.second_op, f.second_access};
          });
      RC_ASSERT(wrong);
    }
  }
}

RC_GTEST_PROP(BruteForce, DetectorAgreesWithEveryExecutionOrder, ()) {
  check_agreement(*rc::gen::map(gen_scenario_spec(), small), *rc::gen::elementOf(builtin_policies()));
}

// Pipeline parallelism on two GPUs with two copy slots: where H1 and H2 live.
ScenarioSpec pipeline(ScenarioSpec spec) {
  spec = small(spec);
  spec.pipeline_parallel = true;
  spec.max_copies = 2;
  if (spec.gpus.size() < 2) spec.gpus.resize(2);
  return spec;
}

RC_GTEST_PROP(BruteForce, DetectorAgreesOnPipelineParallelTraces, ()) {
  // Events add records and waits to every split: racy traces here have 24-31 queue operations.
  check_agreement(*rc::gen::map(gen_shape("layer-split"), pipeline), *rc::gen::elementOf(builtin_policies()), 32);
}

}  // namespace
}  // namespace schedcheck
