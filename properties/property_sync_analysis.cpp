// The required-sync analysis on generated scenarios (docs/required-syncs.md): its verdicts hold
// when checked by replays of their own, removal is monotone (what makes one greedy pass give a
// minimal set), and "individually redundant" differs from "jointly removable" exactly where the
// minimal set says so. schedcheck-min is clean on every generated scenario.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/scenario_generators.hpp"
#include "properties/scenario_spec.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {
namespace {

// At most 4 splits and 3 ubatches: the analysis replays the run twice per synchronization.
ScenarioSpec moderate(ScenarioSpec spec) {
  if (spec.splits.size() > 4) spec.splits.resize(4);
  if (spec.ubatches.size() > 2) spec.ubatches.resize(2);
  for (int& u : spec.ubatches) u = std::min(u, 3);
  return spec;
}

std::size_t findings(const Scenario& s, const Policy& p, const std::vector<int>& removed) {
  return replay(s, p, removed).findings.size();
}

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

RC_GTEST_PROP(SyncAnalysisProperties, VerdictsHoldAndJointRemovalMatchesTheMinimalSet, ()) {
  const Scenario s = synthesize(*rc::gen::map(gen_scenario_spec(), moderate));
  const Policy& p = *rc::gen::elementOf(builtin_policies());
  const SyncAnalysis a = analyze_syncs(s, p);
  const std::size_t base = static_cast<std::size_t>(a.baseline_findings);

  std::vector<int> necessary, redundant;
  for (const SyncVerdict& v : a.syncs) {
    const std::size_t without = findings(s, p, {v.call.sync_id});
    if (v.necessary) {
      RC_ASSERT(without > base);
      RC_ASSERT(!v.new_finding.empty());
      necessary.push_back(v.call.sync_id);
    } else {
      RC_ASSERT(without == base);
      redundant.push_back(v.call.sync_id);
    }
  }
  // Every necessary sync is in the minimal set; removing all the others keeps the baseline;
  // putting back none of them can be spared.
  for (int id : necessary) RC_ASSERT(contains(a.minimal_set, id));
  std::vector<int> dropped;
  for (const SyncVerdict& v : a.syncs)
    if (!contains(a.minimal_set, v.call.sync_id)) dropped.push_back(v.call.sync_id);
  RC_ASSERT(findings(s, p, dropped) == base);
  for (int keep : a.minimal_set) {
    std::vector<int> more = dropped;
    more.push_back(keep);
    RC_ASSERT(findings(s, p, more) > base);
  }
  // All individually redundant syncs are jointly removable exactly when the minimal set is
  // the necessary ones alone.
  const bool jointly_removable = findings(s, p, redundant) == base;
  RC_TAG(jointly_removable ? "redundant jointly removable" : "redundant not jointly removable");
  RC_ASSERT(jointly_removable == (a.minimal_set.size() == necessary.size()));
}

RC_GTEST_PROP(SyncAnalysisProperties, RemovingMoreSyncsNeverRemovesAFinding, ()) {
  const Scenario s = synthesize(*rc::gen::map(gen_scenario_spec(), moderate));
  const Policy& p = *rc::gen::elementOf(builtin_policies());
  const ReplayResult full = replay(s, p);
  std::vector<int> ids;
  for (const HostCall& c : full.calls)
    if (c.sync_id >= 0) ids.push_back(c.sync_id);
  RC_PRE(!ids.empty());
  const auto subset =
      *rc::gen::container<std::vector<bool>>(ids.size(), rc::gen::arbitrary<bool>());
  const auto extra = *rc::gen::container<std::vector<bool>>(ids.size(), rc::gen::arbitrary<bool>());
  std::vector<int> a, b;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (subset[i]) a.push_back(ids[i]);
    if (subset[i] || extra[i]) b.push_back(ids[i]);
  }
  const ReplayResult ra = replay(s, p, a), rb = replay(s, p, b);
  RC_ASSERT(rb.findings.size() >= ra.findings.size());
  // The numbering does not move: the syncs left are the full run's minus the removed ones.
  std::vector<int> left;
  for (const HostCall& c : rb.calls)
    if (c.sync_id >= 0) left.push_back(c.sync_id);
  std::vector<int> expected;
  for (int id : ids)
    if (!contains(b, id)) expected.push_back(id);
  RC_ASSERT(left == expected);
}

RC_GTEST_PROP(SchedcheckMinProperties, CleanOnEveryGeneratedScenario, ()) {
  const ScenarioSpec spec = *gen_scenario_spec();
  RC_ASSERT(finding_mechanisms(spec, *find_builtin_policy("schedcheck-min")).empty());
}

}  // namespace
}  // namespace schedcheck
