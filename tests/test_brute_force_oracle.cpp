// The brute-force oracle against the vector-clock engine on every happens-before rule's ordered
// and racy case (random call sequences: test_brute_force_random.cpp): the engine finds a race or
// stale read exactly when some execution order reorders a conflicting pair or makes a read see a
// wrong value.
#include "properties/brute_force_oracle.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "model/scheduler.hpp"
#include "tests/support/oracle_world.hpp"

namespace schedcheck::testing {
namespace {

// ---- The cases of test_happens_before.cpp, one call sequence each. ----

struct HbCase {
  const char* name;
  const char* policy;
  bool ordered;  // the engine reports nothing
  std::function<void(OracleWorld&)> build;
};

std::vector<HbCase> hb_cases() {
  using W = OracleWorld;
  return {
      {"R1HostProgramOrder", "ggml-17795", true,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 0));
         w.host_read(w.view(kBufPinned, 0));
       }},
      {"R1QueueReadRacesTheHost", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {w.view(kBufPinned, 0)}, {});
         w.host_write(w.view(kBufPinned, 0));
       }},
      {"R2EnqueueOrdersEarlierHostWrites", "ggml-17795", true,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 0));
         w.kernel(kG0, {w.view(kBufPinned, 0)}, {});
       }},
      {"R2HostWriteAfterEnqueue", "ggml-17795", false,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 0));
         w.kernel(kG0, {w.view(kBufPinned, 0)}, {});
         w.host_write(w.view(kBufPinned, 1));
         w.host_write(w.view(kBufPinned, 0));
       }},
      {"R3FifoOrdersOneQueue", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 1)});
         w.kernel(kG0, {w.view(kBufG0, 1)}, {});
       }},
      {"R3TwoQueuesAreNotOrdered", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 1)});
         w.kernel(kG1, {w.view(kBufG0, 1)}, {});
       }},
      {"R4SynchronizeOrdersQueueBeforeHost", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
         w.api.synchronize(kG0, w.site(Call::synchronize));
         w.host_read(w.view(kBufPinned, 2));
       }},
      {"R4WithoutSynchronize", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
         w.host_read(w.view(kBufPinned, 2));
       }},
      {"R4SynchronizeOfTheCpuIsANoOp", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
         w.api.synchronize(kCpu, w.site(Call::synchronize));
         w.host_read(w.view(kBufPinned, 2));
       }},
      {"R5RecordAfterTheWriteCoversIt", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 3)});
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
         w.kernel(kG1, {w.view(kBufG0, 3)}, {});
       }},
      {"R5RecordBeforeTheWrite", "ggml-17795", false,
       [](W& w) {
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.kernel(kG0, {}, {w.view(kBufG0, 3)});
         w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
         w.kernel(kG1, {w.view(kBufG0, 3)}, {});
       }},
      {"R6WaitOnRecordedEvent", "ggml-17795", true,
       [](W& w) {
         w.preset(w.view(kBufG1, 4));
         w.kernel(kG0, {w.view(kBufG1, 4)}, {});
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
         w.kernel(kG1, {}, {w.view(kBufG1, 4)});
       }},
      {"R6WaitOnNeverRecordedEvent", "ggml-17795", false,
       [](W& w) {
         w.preset(w.view(kBufG1, 4));
         w.kernel(kG0, {w.view(kBufG1, 4)}, {});
         w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
         w.kernel(kG1, {}, {w.view(kBufG1, 4)});
       }},
      {"R6WaitIssuedBeforeAReRecord", "ggml-17795", false,
       [](W& w) {
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
         w.kernel(kG0, {}, {w.view(kBufG0, 5)});
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.kernel(kG1, {w.view(kBufG0, 5)}, {});
       }},
      {"R7EventSynchronize", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 6)});
         w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
         w.api.event_synchronize(w.event(kG0), w.site(Call::event_synchronize));
         w.host_read(w.view(kBufPinned, 6));
       }},
      {"R7EventSynchronizeNeverRecorded", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 6)});
         w.api.event_synchronize(w.event(kG0), w.site(Call::event_synchronize));
         w.host_read(w.view(kBufPinned, 6));
       }},
      {"R8DestinationWorkAfterTheCopy", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 7)});
         w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                w.site(Call::cpy_tensor_async));
         w.kernel(kG1, {w.view(kBufG1, 7)}, {});
       }},
      {"R8CopyNotOrderedAfterDestinationReads", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG1, {w.view(kBufG1, 7)}, {});
         w.kernel(kG0, {}, {w.view(kBufG0, 7)});
         w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                w.site(Call::cpy_tensor_async));
       }},
      {"R8EventWaitOnTheDestination", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG1, {w.view(kBufG1, 7)}, {});
         w.api.event_record(w.event(kG1), kG1, w.site(Call::event_record));
         w.api.event_wait(kG1, w.event(kG1), w.site(Call::event_wait));
         w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                w.site(Call::cpy_tensor_async));
       }},
      // The HB test checks races only: the copied slot 9 was never written (a stale read).
      {"R8VulkanSameDeviceCopy", "ggml-26040", false,
       [](W& w) {
         w.kernel(kVk, {w.view(kBufVk, 8)}, {});
         w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), w.view(kBufVk, 8),
                                w.site(Call::cpy_tensor_async));
       }},
      {"R8VulkanSameDeviceCopyPreset", "ggml-26040", true,
       [](W& w) {
         w.preset(w.view(kBufVk, 8));
         w.preset(w.view(kBufVk, 9));
         w.kernel(kVk, {w.view(kBufVk, 8)}, {});
         TensorView dst = w.view(kBufVk, 8);
         dst.expected = w.view(kBufVk, 9).expected;
         w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), dst, w.site(Call::cpy_tensor_async));
       }},
      {"R9PinnedSourceOverwritten", "ggml-17795", false,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 10));
         w.api.cpy_tensor_async(kCpu, kG0, w.view(kBufPinned, 10), w.view(kBufG0, 10),
                                w.site(Call::cpy_tensor_async));
         w.host_write(w.view(kBufPinned, 10));
       }},
      {"R9PageableSourceCapturedAtTheCall", "ggml-17795", true,
       [](W& w) {
         w.host_write(w.view(kBufPageable, 10));
         w.api.cpy_tensor_async(kCpu, kG0, w.view(kBufPageable, 10), w.view(kBufG0, 10),
                                w.site(Call::cpy_tensor_async));
         w.host_write(w.view(kBufPageable, 10));
       }},
      {"R10BlockingCopyOrderedWithTheHost", "ggml-17795", true,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 11));
         w.api.tensor_copy(w.view(kBufPinned, 11), w.view(kBufG0, 11), w.site(Call::tensor_copy));
         w.host_write(w.view(kBufPinned, 11));
       }},
      // The HB test checks that the copy's write races the read; the read also sees bytes
      // never written, a stale read in the engine.
      {"R10BlockingCopyNotOrderedWithTheQueue", "ggml-17795", false,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 11));
         w.kernel(kG0, {w.view(kBufG0, 11)}, {});
         w.api.tensor_copy(w.view(kBufPinned, 11), w.view(kBufG0, 11), w.site(Call::tensor_copy));
       }},
      {"R11PageableDestinationBlocks", "ggml-17795", true,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 12)});
         w.api.get_tensor_async(kG0, w.view(kBufG0, 12), w.view(kBufPageable, 12),
                                w.site(Call::get_tensor_async));
         w.host_read(w.view(kBufPageable, 12));
       }},
      {"R11PinnedDestinationNeedsASynchronize", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufG0, 12)});
         w.api.get_tensor_async(kG0, w.view(kBufG0, 12), w.view(kBufPinned, 12),
                                w.site(Call::get_tensor_async));
         w.host_read(w.view(kBufPinned, 12));
       }},
      {"R12VulkanPageableTransfers", "ggml-17795", true,
       [](W& w) {
         w.kernel(kVk, {}, {w.view(kBufVk, 13)});
         w.api.get_tensor_async(kVk, w.view(kBufVk, 13), w.view(kBufPageable, 13),
                                w.site(Call::get_tensor_async));
         w.host_read(w.view(kBufPageable, 13));
         w.host_write(w.view(kBufPageable, 14));
         w.api.set_tensor_async(kVk, w.view(kBufPageable, 14), w.view(kBufVk, 14),
                                w.site(Call::set_tensor_async));
         w.host_write(w.view(kBufPageable, 14));
       }},
      {"R12VulkanPinnedTransfersAreQueued", "ggml-17795", false,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 14));
         w.api.set_tensor_async(kVk, w.view(kBufPinned, 14), w.view(kBufVk, 14),
                                w.site(Call::set_tensor_async));
         w.host_write(w.view(kBufPinned, 14));
       }},
      {"R13MetalSetAsyncCapturesAtTheCall", "ggml-17795", true,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 15));
         w.api.set_tensor_async(kMtl, w.view(kBufPinned, 15), w.view(kBufMtl, 15),
                                w.site(Call::set_tensor_async));
         w.host_write(w.view(kBufPinned, 15));
       }},
      {"R13CudaSetAsyncFromPinned", "ggml-17795", false,
       [](W& w) {
         w.host_write(w.view(kBufPinned, 15));
         w.api.set_tensor_async(kG0, w.view(kBufPinned, 15), w.view(kBufG0, 15),
                                w.site(Call::set_tensor_async));
         w.host_write(w.view(kBufPinned, 15));
       }},
      {"R14CpuSplitCompletesAtTheCall", "ggml-17795", true,
       [](W& w) {
         w.kernel(kCpu, {}, {w.view(kBufHostCompute, 16)});
         w.kernel(kG0, {w.view(kBufHostCompute, 16)}, {});
         w.api.synchronize(kG0, w.site(Call::synchronize));
         w.kernel(kCpu, {}, {w.view(kBufHostCompute, 16)});
       }},
      {"R14AsyncSplitDoesNotComplete", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG1, {}, {w.view(kBufHostCompute, 16)});
         w.kernel(kCpu, {w.view(kBufHostCompute, 16)}, {});
       }},
      {"R15SchedSynchronize", "ggml-17795", true,
       [](W& w) {
         Scheduler sched(w.run, w.api);
         w.kernel(kG0, {}, {w.view(kBufPinned, 17)});
         w.kernel(kG1, {}, {w.view(kBufPinned, 18)});
         w.kernel(kVk, {}, {w.view(kBufPinned, 19)});
         sched.synchronize(w.site(Call::sched_synchronize));
         w.host_read(w.view(kBufPinned, 17));
         w.host_read(w.view(kBufPinned, 18));
         w.host_read(w.view(kBufPinned, 19));
       }},
      {"R15SynchronizingOneBackend", "ggml-17795", false,
       [](W& w) {
         w.kernel(kG0, {}, {w.view(kBufPinned, 17)});
         w.kernel(kG1, {}, {w.view(kBufPinned, 18)});
         w.api.synchronize(kG0, w.site(Call::synchronize));
         w.host_read(w.view(kBufPinned, 17));
         w.host_read(w.view(kBufPinned, 18));
       }},
  };
}

class OracleOnHbCases : public ::testing::TestWithParam<HbCase> {};

TEST_P(OracleOnHbCases, AgreesWithTheEngine) {
  const HbCase& c = GetParam();
  OracleWorld w(c.policy);
  c.build(w);
  ASSERT_EQ(w.findings() == 0, c.ordered) << findings_text(w.engine.findings());
  const OracleResult r = w.explore();
  EXPECT_EQ(disagreement(w, r), "");
  EXPECT_TRUE(r.exhaustive);
  EXPECT_GE(r.complete_orders, 1u);
  if (c.ordered) {
    EXPECT_FALSE(r.value_mismatch) << describe(r);
    EXPECT_EQ(r.mismatching_orders, 0u);
    for (const OraclePair& p : r.pairs)
      EXPECT_NE(p.first_before_second, p.second_before_first)
          << "pair " << p.first.op << "." << p.first.access << " / " << p.second.op << "."
          << p.second.access;
  }
  // Collapsing steps that touch no memory must not change what is found.
  const OracleResult full = w.explore(1'000'000, false);
  EXPECT_EQ(full.value_mismatch, r.value_mismatch);
  EXPECT_EQ(full.reorderable_conflict, r.reorderable_conflict);
  ASSERT_EQ(full.pairs.size(), r.pairs.size());
  for (std::size_t i = 0; i < r.pairs.size(); ++i) {
    EXPECT_EQ(full.pairs[i].first_before_second, r.pairs[i].first_before_second);
    EXPECT_EQ(full.pairs[i].second_before_first, r.pairs[i].second_before_first);
  }
  EXPECT_EQ(full.mismatches.size(), r.mismatches.size());
  EXPECT_GE(full.states_explored, r.states_explored);
  std::printf("  %-40s entries %2zu  states %4zu (uncollapsed %5zu)  orders %3llu (%llu)\n", c.name,
              w.engine.trace().size(), r.states_explored, full.states_explored,
              static_cast<unsigned long long>(r.complete_orders),
              static_cast<unsigned long long>(full.complete_orders));
}

INSTANTIATE_TEST_SUITE_P(HappensBeforeRules, OracleOnHbCases, ::testing::ValuesIn(hb_cases()),
                         [](const ::testing::TestParamInfo<HbCase>& param) {
                           return std::string(param.param.name);
                         });

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
