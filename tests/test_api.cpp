// The embedding API (api/checker.hpp) and the typed verdict it returns.
#include <gtest/gtest.h>

#include <stdexcept>

#include "api/checker.hpp"
#include "scenario/scenario_error.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

TEST(Verdict, TextFormsRoundTripAndNothingElseParses) {
  for (const Verdict v : {Verdict::clean(), Verdict::races(), Verdict::stale_reads(),
                          Verdict::races_and_stale_reads()})
    EXPECT_EQ(parse_verdict(to_string(v)), v) << v;
  EXPECT_EQ(to_string(Verdict::races_and_stale_reads()), "race+stale");
  EXPECT_FALSE(parse_verdict("RACE"));
  EXPECT_FALSE(parse_verdict("stale+race"));
  EXPECT_FALSE(parse_verdict(""));
}

TEST(Verdict, CombiningKeepsEveryKindOfFinding) {
  EXPECT_EQ(Verdict::clean() | Verdict::clean(), Verdict::clean());
  EXPECT_EQ(Verdict::clean() | Verdict::races(), Verdict::races());
  EXPECT_EQ(Verdict::races() | Verdict::stale_reads(), Verdict::races_and_stale_reads());
  Verdict v;
  v |= Verdict::stale_reads();
  EXPECT_TRUE(v.stale);
  EXPECT_FALSE(v.race);
  EXPECT_FALSE(v.is_clean());
}

TEST(Api, CheckGivesEveryCorpusExpectationOfTheCanonicalTwoGpuScenario) {
  const Scenario s = load_scenario(canonical_path("two-gpu-pp"));
  ASSERT_FALSE(s.expectations.empty());
  for (const Expectation& e : s.expectations) {
    const CheckResult r = check(s, e.policy);
    EXPECT_EQ(r.verdict, e.verdict) << e.policy;
    for (const Mechanism m : e.mechanisms) EXPECT_TRUE(r.has_mechanism(m)) << e.policy << m;
  }
  const CheckResult removed = check(s, "ggml-17795");
  EXPECT_TRUE(removed.has_mechanism(Mechanism::H2));
  EXPECT_EQ(removed.mechanisms.size(), removed.details.groups.size());
  EXPECT_NE(removed.report().find("== two-gpu-pp under ggml-17795"), std::string::npos);
  EXPECT_TRUE(check(s, "ggml-20793").verdict.is_clean());
}

TEST(Api, AnUnknownPolicyIsRejectedNamingTheKnownOnes) {
  const Scenario s = load_scenario(canonical_path("single-gpu"));
  try {
    check(s, "ggml-99999");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown policy \"ggml-99999\""), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ggml-20793"), std::string::npos) << e.what();
  }
  const auto names = policy_names(s);
  EXPECT_NE(std::find(names.begin(), names.end(), "schedcheck-min"), names.end());
}

TEST(Api, ABadFileIsAScenarioErrorNamingIt) {
  EXPECT_THROW(load_scenario("/nonexistent/x.json"), ScenarioError);
}

}  // namespace
}  // namespace schedcheck::testing
