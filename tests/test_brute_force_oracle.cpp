// Properties of the brute-force oracle itself. It is compared with the vector-clock engine on
// every happens-before rule case (test_happens_before.cpp, through OracleCheckedWorld) and on
// random call sequences (test_brute_force_random.cpp): the engine finds a race or stale read
// exactly when some execution order reorders a conflicting pair or makes a read see a wrong
// value.
#include "properties/brute_force_oracle.hpp"

#include <gtest/gtest.h>

#include "tests/support/oracle_world.hpp"

namespace schedcheck::testing {
namespace {

// ---- Specific properties of the oracle. ----

TEST(BruteForceOracle, RaceOfTwoEqualWritesIsReorderableButChangesNoValue) {
  OracleWorld w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 0)});
  w.kernel(kG1, {}, {w.view(kBufPinned, 0)});  // the same logical value, unordered
  w.api.synchronize(kG0, w.site(Call::synchronize));
  w.api.synchronize(kG1, w.site(Call::synchronize));
  w.host_read(w.view(kBufPinned, 0));
  ASSERT_TRUE(w.has(FindingKind::write_after_write));
  const OracleResult r = w.explore();
  EXPECT_TRUE(r.reorderable_conflict);
  EXPECT_FALSE(r.value_mismatch);
  EXPECT_EQ(r.mismatching_orders, 0u);
  ASSERT_NE(r.first_reorderable(), nullptr);
  EXPECT_EQ(r.first_reorderable()->first, (AccessRef{0, 0}));
  EXPECT_EQ(r.first_reorderable()->second, (AccessRef{1, 0}));
  EXPECT_EQ(disagreement(w, r), "");
}

TEST(BruteForceOracle, OrderedReadOfNeverWrittenBytesIsWrongInEveryOrder) {
  OracleWorld w;
  w.kernel(kG0, {}, {w.view(kBufG0, 1)});  // unrelated concurrent work: several orders
  w.kernel(kG1, {}, {w.view(kBufG1, 2)});
  w.host_read(w.view(kBufPinned, 3));  // nobody wrote it
  ASSERT_TRUE(w.has(FindingKind::stale_read));
  ASSERT_EQ(w.races(), 0);
  const OracleResult r = w.explore();
  EXPECT_TRUE(r.value_mismatch);
  EXPECT_FALSE(r.reorderable_conflict);
  EXPECT_GT(r.complete_orders, 1u);
  EXPECT_EQ(r.mismatching_orders, r.complete_orders);
  ASSERT_NE(r.first_mismatch(), nullptr);
  EXPECT_EQ(r.first_mismatch()->read, (AccessRef{2, 0}));
  EXPECT_EQ(r.first_mismatch()->seen.tensor, kNone);
  EXPECT_EQ(r.first_mismatch()->expected.tensor, 3);
  EXPECT_EQ(disagreement(w, r), "");
}

TEST(BruteForceOracle, ReadOfPartlyWrittenBytesIsWrong) {
  OracleWorld w;
  TensorView half = w.view(kBufPinned, 0);
  half.region.size = 32;
  w.host_write(half);
  w.host_read(w.view(kBufPinned, 0));  // bytes [32, 64) were never written
  const OracleResult r = w.explore();
  EXPECT_TRUE(r.value_mismatch);
  ASSERT_NE(r.first_mismatch(), nullptr);
  EXPECT_EQ(r.first_mismatch()->begin, 32u);
  EXPECT_EQ(r.first_mismatch()->end, 64u);
  EXPECT_EQ(disagreement(w, r), "");
}

TEST(BruteForceOracle, CopiesCarryTheValueTheirReadSaw) {
  OracleWorld w;
  w.kernel(kG0, {}, {w.view(kBufG0, 7)});
  // Blocking copy on the per-thread stream: not ordered after the kernel that writes its source.
  TensorView dst = w.view(kBufPinned, 7);
  w.api.tensor_copy(w.view(kBufG0, 7), dst, w.site(Call::tensor_copy));
  w.host_read(dst);  // ordered after the copy, but it may carry the unwritten source
  const OracleResult r = w.explore();
  EXPECT_TRUE(r.reorderable_conflict);
  EXPECT_EQ(r.mismatches.size(), 2u);  // the copy's read and the host read of its result
  EXPECT_GT(r.mismatching_orders, 0u);
  EXPECT_LT(r.mismatching_orders, r.complete_orders);
  EXPECT_EQ(disagreement(w, r), "");
}

TEST(BruteForceOracle, InitialContentsAreVisibleToReads) {
  OracleWorld w;
  w.preset(w.view(kBufG0, 2));
  w.kernel(kG0, {w.view(kBufG0, 2)}, {});
  EXPECT_FALSE(w.explore().finds_problem());
  OracleWorld bare;
  bare.kernel(kG0, {bare.view(kBufG0, 2)}, {});
  EXPECT_TRUE(bare.explore().value_mismatch);
}

TEST(BruteForceOracle, TinyBudgetIsNotExhaustive) {
  OracleWorld w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 0)});
  w.kernel(kG1, {}, {w.view(kBufPinned, 1)});
  w.kernel(kVk, {}, {w.view(kBufPinned, 2)});
  w.host_read(w.view(kBufPinned, 0));
  const OracleResult small = w.explore(3);
  EXPECT_FALSE(small.exhaustive);
  EXPECT_LE(small.states_explored, 3u);
  const OracleResult all = w.explore();
  EXPECT_TRUE(all.exhaustive);
  EXPECT_GT(all.states_explored, 3u);
  EXPECT_TRUE(all.reorderable_conflict);
}

TEST(BruteForceOracle, EmptyTraceHasOneOrder) {
  OracleWorld w;
  const OracleResult r = w.explore();
  EXPECT_TRUE(r.exhaustive);
  EXPECT_EQ(r.complete_orders, 1u);
  EXPECT_EQ(r.states_explored, 1u);
  EXPECT_FALSE(r.finds_problem());
}

}  // namespace
}  // namespace schedcheck::testing
