// Bounded exhaustive mode: the number of scenarios within bounds, computed here independently
// of the enumeration code, and the enumeration visits distinct, valid scenarios.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "driver/scenario_file.hpp"
#include "properties/exhaustive_enumeration.hpp"

namespace schedcheck {
namespace {

// sum over GPU counts g of: (sum over split counts s of (2 (g+1))^s) x U x (PP: 1 or 2) x reuse 2 x
// pinned 2
uint64_t expected_count(int K, int B, int U) {
  uint64_t total = 0;
  for (int g = 1; g <= B - 1; ++g) {
    uint64_t split_lists = 0;
    for (int s = 1; s <= K; ++s) split_lists += static_cast<uint64_t>(std::pow(2 * (g + 1), s));
    total += split_lists * static_cast<uint64_t>(U) * (g >= 2 ? 2 : 1) * 2 * 2;
  }
  return total;
}

TEST(Exhaustive, CountsMatchTheClosedForm) {
  EXPECT_EQ(expected_count(2, 3, 2), 832u);  // the bound documented in docs/checking.md
  for (int K = 1; K <= 3; ++K)
    for (int B = 2; B <= 4; ++B)
      for (int U = 1; U <= 3; ++U)
        EXPECT_EQ(enumerate_specs({K, B, U}, [](const ScenarioSpec&) { return true; }),
                  expected_count(K, B, U))
            << K << " " << B << " " << U;
}

TEST(Exhaustive, VisitsDistinctValidScenarios) {
  std::set<std::string> seen;
  const uint64_t n = enumerate_specs({2, 3, 2}, [&](const ScenarioSpec& spec) {
    const std::string text = save_scenario(synthesize(spec)).dump();
    EXPECT_NO_THROW(load_scenario_text(text, "exhaustive"));
    seen.insert(text);
    return true;
  });
  EXPECT_EQ(seen.size(), n);
}

TEST(Exhaustive, StopsWhenTheVisitorSaysSo) {
  EXPECT_EQ(enumerate_specs({2, 3, 2}, [](const ScenarioSpec&) { return false; }), 1u);
}

}  // namespace
}  // namespace schedcheck
