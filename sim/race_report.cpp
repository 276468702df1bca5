#include "sim/race_report.hpp"

#include "sim/finding_grouping.hpp"
#include "sim/finding_mechanism.hpp"
#include "sim/report_naming.hpp"

namespace schedcheck {
namespace {

// The first few host reads a wrong value reaches show what it breaks; more add only length.
constexpr std::size_t kCorruptedReadsShown = 3;

FindingGroup explain_group(const ReportNaming& naming, FindingOccurrences occurrences) {
  const Finding& f = occurrences.first;
  FindingGroup g;
  g.mechanism = classify_mechanism(naming.replay(), f);
  g.buffer = naming.buffer(f.buffer);
  g.begin = f.begin;
  g.end = f.end;
  g.first_access = naming.access_description(f.first_op, f.first_access, f.first_agent);
  g.second_access = naming.access_description(f.second_op, f.second_access, f.second_agent);
  FixAdvice advice = advise_fix(naming, f);
  g.ordering_present = std::move(advice.ordering_present);
  g.missing_edge = std::move(advice.missing_edge);
  g.cheapest_fix = std::move(advice.cheapest_fix);
  g.effect = effect_of(naming, f);
  g.corrupts = corrupted_reads(naming, f, kCorruptedReadsShown);
  g.first = std::move(occurrences.first);
  g.evals = std::move(occurrences.evals);
  return g;
}

}  // namespace

PolicyVerdict explain(const ReplayResult& r) {
  PolicyVerdict v;
  v.policy = r.run.policy.name;
  v.commit = r.run.policy.commit;
  v.reference = r.run.policy.reference;
  v.evaluations = r.stats.evaluations;
  v.reused_graphs = r.stats.reused_graphs;
  v.operations = r.trace.size();
  v.accesses = r.accesses;
  v.n_copies = r.run.layout.n_copies;
  v.pipeline_parallel = r.run.layout.pipeline_parallel;
  const ReportNaming naming(r);
  for (FindingOccurrences& occurrences : group_findings(r))
    v.groups.push_back(explain_group(naming, std::move(occurrences)));
  v.verdict = verdict_of(r.findings);
  v.host_calls = first_evaluation_patterns(r);
  return v;
}

}  // namespace schedcheck
