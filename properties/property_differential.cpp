// The differential property (DESIGN.md §8): on generated scenarios, every ggml version's real
// scheduler (bridge/, trees of the ggml bundle) issues exactly the executor operations of the
// model of that version. RapidCheck shrinks a divergent spec; RC_PARAMS sets the case count.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_policy.hpp"
#include "properties/scenario_generators.hpp"
#include "sim/differential.hpp"

namespace schedcheck {
namespace {

TEST(Differential, EveryVersionsRealSchedulerIssuesItsModelsOperations) {
  setenv("SCHEDCHECK_CACHE", SCHEDCHECK_TEST_GGML_CACHE, 0);
  if (!find_bundle())
    GTEST_SKIP() << "no ggml bundle: expected ../shared/upstream/ggml-versions.bundle beside "
                    "the checkout, or SCHEDCHECK_GGML_BUNDLE";
  const bool ok = rc::check("the real scheduler issues the model's operations", [] {
    const ScenarioSpec spec = *gen_scenario_spec();
    const Scenario s = synthesize(spec);
    for (const Policy& v : ggml_versions())
      RC_ASSERT(differential(s, v, real_policy("ggml@" + v.name)).agree());
  });
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace schedcheck
