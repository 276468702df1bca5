// Generated scenarios are valid scenarios: they survive the strict loader after a save, and
// every built-in policy can prepare and replay them; the same input gives the same output.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/scenario_generators.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {
namespace {

// The strict loader accepts the synthesized scenario, and saving it again gives the same text.
void check_loads(const Scenario& s) {
  const std::string text = save_scenario(s).dump(2);
  try {
    const Scenario loaded = load_scenario_text(text, "generated");
    RC_ASSERT(save_scenario(loaded).dump(2) == text);
  } catch (const ScenarioError& e) {
    RC_FAIL(std::string("generated scenario rejected: ") + e.what() + "\n" + text);
  }
}

void check_valid(const ScenarioSpec& spec) {
  const Scenario s = synthesize(spec);
  check_loads(s);
  for (const Policy& p : builtin_policies()) {
    const ReplayResult r = replay(s, p);
    RC_ASSERT(r.stats.evaluations == s.total_evaluations());
  }
}

RC_GTEST_PROP(Generation, GeneratedScenariosPassValidation, ()) {
  check_valid(*gen_scenario_spec());
}

RC_GTEST_PROP(Generation, EveryShapeGeneratesValidScenarios, ()) {
  const std::string shape = *rc::gen::elementOf(shape_names());
  RC_TAG(shape);
  check_valid(*gen_shape(shape));
}

RC_GTEST_PROP(Generation, ShrinksOfAGeneratedSpecStayValid, ()) {
  // Removing any split, input, ubatch or GPU (what shrinking does) keeps the scenario valid.
  const ScenarioSpec spec = *gen_scenario_spec();
  for (const ScenarioSpec& smaller : single_removals(spec)) check_loads(synthesize(smaller));
}

RC_GTEST_PROP(Determinism, SameScenarioGivesTheSameTraceAndReport, ()) {
  const ScenarioSpec spec = *gen_scenario_spec();
  const Scenario s = synthesize(spec);
  const Policy& p = *rc::gen::elementOf(builtin_policies());
  const ReplayResult a = replay(s, p), b = replay(s, p);
  RC_ASSERT(call_pattern(a.calls) == call_pattern(b.calls));
  RC_ASSERT(a.trace.size() == b.trace.size());
  const ReportContext ctx{s.name, "generated.json"};
  RC_ASSERT(verdict_json(ctx, explain(a)).dump() == verdict_json(ctx, explain(b)).dump());
  RC_ASSERT(format_text(ctx, explain(a)) == format_text(ctx, explain(b)));
}

}  // namespace
}  // namespace schedcheck
