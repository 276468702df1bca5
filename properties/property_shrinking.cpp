// Counterexamples that `schedcheck check` reports are 1-minimal: removing any split, any input
// of a split, any ubatch or batch, or any backend makes their finding disappear.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"

namespace schedcheck {
namespace {

const std::vector<Policy>& racy_policies() {
  static const std::vector<Policy> racy = [] {
    std::vector<Policy> out;
    for (const Policy& p : builtin_policies())
      if (p.name != "ggml-20793") out.push_back(p);
    return out;
  }();
  return racy;
}

RC_GTEST_PROP(Shrinking, ReportedCounterexamplesAreOneMinimal, ()) {
  const Policy& policy = *rc::gen::elementOf(racy_policies());
  SearchOptions o;
  o.seed = *rc::gen::inRange<uint64_t>(1, 1000000);
  o.cases = 60;
  o.first_only = true;
  const PolicySearch r = search_policy(policy, o);
  RC_PRE(!r.found.empty());
  const Counterexample& c = r.found.front();
  RC_TAG(policy.name, c.mechanism);
  // Minimal with respect to what shrinking kept: the variant, or (max_variants 1) the mechanism.
  const auto has = [&](const ScenarioSpec& spec) {
    const auto v = finding_variants(spec, policy);
    return std::any_of(v.begin(), v.end(), [&](const FindingVariant& shown) {
      return c.variant_kept ? shown == c.variant : shown.mechanism == c.mechanism;
    });
  };
  RC_ASSERT(has(c.shrunk));
  for (const ScenarioSpec& smaller : single_removals(c.shrunk)) RC_ASSERT(!has(smaller));
}

TEST(Shrinking, Policy17795Seed1ShrinksThePinnedHostToDeviceRaceToAtMost3x3x2) {
  SearchOptions o;  // the defaults of `schedcheck check`
  const PolicySearch r = search_policy(*find_builtin_policy("ggml-17795"), o);
  auto h2 = std::find_if(r.found.begin(), r.found.end(),
                         [](const Counterexample& c) { return c.mechanism == Mechanism::H2; });
  ASSERT_NE(h2, r.found.end());
  EXPECT_LE(h2->size.splits, 3);
  EXPECT_LE(h2->size.backends, 3);
  EXPECT_LE(h2->size.ubatches, 2);
  EXPECT_EQ(h2->verdict.verdict, Verdict::races());
}

TEST(Search, JobsDoNotChangeTheResult) {
  SearchOptions one, two;
  one.seed = two.seed = 7;
  two.jobs = 2;
  for (const char* name : {"ggml-v0", "ggml-26040"}) {
    const Policy& p = *find_builtin_policy(name);
    const PolicySearch a = search_policy(p, one), b = search_policy(p, two);
    ASSERT_EQ(a.found.size(), b.found.size()) << name;
    for (std::size_t i = 0; i < a.found.size(); ++i) {
      EXPECT_EQ(a.found[i].case_index, b.found[i].case_index);
      EXPECT_EQ(a.found[i].shrunk, b.found[i].shrunk);
    }
  }
}

TEST(Search, ShardsPartitionTheCases) {
  SearchOptions all;
  all.cases = 90;
  int total = 0;
  for (int shard = 0; shard < 3; ++shard) {
    SearchOptions o = all;
    o.shard_index = shard;
    o.shard_count = 3;
    total += search_policy(*find_builtin_policy("ggml-20793"), o).cases_run;
  }
  EXPECT_EQ(total, 90);
}

}  // namespace
}  // namespace schedcheck
