// The brute-force oracle against the vector-clock engine: on every happens-before rule's ordered
// and racy case, and on random call sequences, the engine finds a race or stale read exactly when
// some execution order reorders a conflicting pair or makes a read see a wrong value.
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
#include "tests/support/hb_fixture.hpp"

namespace schedcheck::testing {
namespace {

// HbWorld remembering its presets, so that the oracle starts from the engine's memory.
struct OracleWorld : HbWorld {
  using HbWorld::HbWorld;
  void preset(const TensorView& v) {
    HbWorld::preset(v);
    initial.push_back({v.region, v.expected});
  }
  OracleResult explore(std::size_t max_states = 1'000'000, bool collapse = true) const {
    OracleOptions o;
    o.max_states = max_states;
    o.initial = initial;
    o.collapse_invisible = collapse;
    return explore_orders(engine.trace(), run.layout, o);
  }
  std::vector<InitialContent> initial;
};

std::string dump(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout) {
  std::ostringstream out;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceEntry& e = trace[i];
    out << "  [" << i << "] " << layout.agents[e.agent].name << ": ";
    switch (e.kind) {
      case TraceKind::access:
        out << "access" << (e.op.reads_at_call ? " (reads at call)" : "");
        for (const Access& a : e.op.accesses)
          out << (a.is_write ? " W" : " R") << " b" << a.region.buffer << "[" << a.region.offset
              << "," << a.region.end() << ")=" << a.value.tensor << "/" << a.value.eval;
        break;
      case TraceKind::wait_queue:
        out << "wait for " << layout.agents[e.target].name;
        break;
      case TraceKind::record:
        out << "record " << layout.events[e.event].name;
        break;
      case TraceKind::wait_event:
        out << "wait " << layout.events[e.event].name << (e.effective ? "" : " (never recorded)");
        break;
      case TraceKind::host_wait_event:
        out << "event_synchronize " << layout.events[e.event].name;
        break;
    }
    out << "\n";
  }
  return out.str();
}

std::string findings_text(const std::vector<Finding>& findings) {
  std::ostringstream out;
  for (const Finding& f : findings)
    out << "  " << to_string(f.kind) << ": entry " << f.first_op << "." << f.first_access
        << " vs entry " << f.second_op << "." << f.second_access << " bytes [" << f.begin << ","
        << f.end << ") of buffer " << f.buffer << "\n";
  return out.str();
}

// Checks the oracle against the engine on the world's trace; returns "" when they agree.
std::string disagreement(const OracleWorld& w, const OracleResult& r) {
  std::ostringstream out;
  const auto& findings = w.engine.findings();
  if (!r.exhaustive) out << "oracle not exhaustive\n";
  if (findings.empty() != !r.finds_problem())
    out << "engine " << (findings.empty() ? "finds nothing" : "reports findings") << ", oracle "
        << (r.finds_problem() ? "finds a problem" : "finds none") << "\n";
  // Pair by pair: every race is a reorderable pair, every stale read a wrong read.
  std::set<std::tuple<int, int, int, int>> reorderable;
  for (const OraclePair& p : r.pairs)
    if (p.reorderable())
      reorderable.insert({p.first.op, p.first.access, p.second.op, p.second.access});
  std::set<AccessRef> wrong;
  for (const OracleMismatch& m : r.mismatches) wrong.insert(m.read);
  for (const Finding& f : findings) {
    if (is_race(f.kind) &&
        !reorderable.contains({f.first_op, f.first_access, f.second_op, f.second_access}))
      out << "race " << f.first_op << "." << f.first_access << " vs " << f.second_op << "."
          << f.second_access << " is not reorderable in the oracle\n";
    if (!is_race(f.kind) && !wrong.contains(AccessRef{f.second_op, f.second_access}))
      out << "stale read " << f.second_op << "." << f.second_access
          << " never reads a wrong value in the oracle\n";
  }
  if (out.str().empty()) return "";
  return out.str() + "trace:\n" + dump(w.engine.trace(), w.run.layout) + "engine:\n" +
         findings_text(findings) + "oracle: " + describe(r);
}

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

// ---- Random call sequences on the fixture world. ----

// Generates calls on an OracleWorld, tracking the value each 32-byte unit holds in issue order so
// that reads expect what a sequential run would give (and sometimes, on purpose, something else).
class RandomProgram {
 public:
  // copy_units: the largest copy, in 32-byte units. Copies of one unit never see two values.
  RandomProgram(OracleWorld& w, uint32_t seed, int copy_units)
      : w_(w), rng_(seed), copy_units_(copy_units) {}

  void run(int calls) {
    for (int u = 0; u < 4; ++u)
      if (pick(3) == 0) {
        const Index b = pick_buffer(false);
        TensorView v = view(b, u, 1, true);
        w_.preset(v);
        store(v.region, v.expected);
      }
    for (int i = 0; i < calls; ++i) call();
  }

 private:
  static constexpr uint64_t kUnit = 32;
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  Index pick_buffer(bool host_only) {
    static constexpr Index host[] = {kBufHostCompute, kBufPinned, kBufPageable};
    static constexpr Index all[] = {kBufG0,          kBufG1,     kBufVk,      kBufMtl,
                                    kBufHostCompute, kBufPinned, kBufPageable};
    return host_only ? host[pick(3)] : all[pick(7)];
  }
  static Index device_buffer(Index backend) { return backend == kCpu ? kBufHostCompute : backend; }

  LogicalValue at(Index buffer, uint64_t unit) const {
    auto it = values_.find({buffer, unit});
    return it == values_.end() ? LogicalValue{} : it->second;
  }
  void store(const Region& r, const LogicalValue& v) {
    for (uint64_t u = r.offset / kUnit; u < r.end() / kUnit; ++u) values_[{r.buffer, u}] = v;
  }
  // A read expects the value of its first unit (a wrong expectation one time in twelve).
  TensorView view(Index buffer, int unit, int units, bool write) {
    TensorView v;
    v.region = Region{buffer, static_cast<uint64_t>(unit) * kUnit, units * kUnit};
    v.tensor = unit;
    if (write)
      v.expected = LogicalValue{unit, next_eval_++, 0};
    else
      v.expected = pick(12) == 0 ? LogicalValue{99, 0, 0} : at(buffer, unit);
    return v;
  }
  TensorView any_view(Index buffer, bool write) {
    return view(buffer, pick(4), 1 + pick(2), write);
  }
  // A copy's destination receives its source's units as they are in issue order.
  void copy_values(const TensorView& src, const TensorView& dst) {
    std::vector<LogicalValue> vals;
    for (uint64_t u = src.region.offset / kUnit; u < src.region.end() / kUnit; ++u)
      vals.push_back(at(src.region.buffer, u));
    for (std::size_t k = 0; k < vals.size(); ++k)
      values_[{dst.region.buffer, dst.region.offset / kUnit + k}] = vals[k];
  }
  Index pick_backend() { return static_cast<Index>(pick(5)); }
  EventId pick_event() {
    const Index b = static_cast<Index>(pick(4));
    const auto& evs = w_.run.layout.sched_events[b];
    return evs.empty() ? -1 : evs[pick(static_cast<int>(evs.size()))];
  }

  void call() {
    switch (pick(11)) {
      case 0:
      case 1: {  // a graph on some backend
        const Index b = pick_backend();
        Operation op;
        op.kind = OpKind::compute;
        op.site = w_.site();
        std::vector<TensorView> writes;
        for (int k = pick(3); k > 0; --k) {
          TensorView r = any_view(pick_buffer(false), false);
          op.accesses.push_back({false, r.region, r.expected, r.tensor, kNone, 0, 0, -1});
        }
        for (int k = pick(3); k > 0; --k) {
          TensorView x = any_view(pick_buffer(false), true);
          op.accesses.push_back({true, x.region, x.expected, x.tensor, kNone, 0, 0, -1});
          writes.push_back(x);
        }
        w_.api.graph_compute_async(b, op);
        for (const auto& x : writes) store(x.region, x.expected);
        break;
      }
      case 2: {
        TensorView v = any_view(pick_buffer(true), true);
        w_.host_write(v);
        store(v.region, v.expected);
        break;
      }
      case 3:
        w_.host_read(any_view(pick_buffer(true), false));
        break;
      case 4:
        w_.api.synchronize(pick_backend(), w_.site(Call::synchronize));
        break;
      case 5:
        if (EventId e = pick_event(); e >= 0) {
          const Index b = w_.run.layout.events[e].backend;
          if (w_.run.layout.queue_of[b] >= 0)
            w_.api.event_record(e, b, w_.site(Call::event_record));
        }
        break;
      case 6:
        if (EventId e = pick_event(); e >= 0) {
          const Index b = static_cast<Index>(pick(4));
          if (w_.run.layout.caps[b].async_queue) w_.api.event_wait(b, e, w_.site(Call::event_wait));
        }
        break;
      case 7:
        if (EventId e = pick_event(); e >= 0)
          w_.api.event_synchronize(e, w_.site(Call::event_synchronize));
        break;
      case 8: {  // the scheduler's asynchronous copy, or its blocking fallback
        const Index bs = pick_backend();
        const Index bd = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(device_buffer(bs), pick(3), units, false);
        if (bs == kCpu && pick(2) == 0) src = view(pick_buffer(true), pick(3), units, false);
        TensorView dst = view(device_buffer(bd), pick(3), units, true);
        if (src.region == dst.region) break;
        w_.api.tensor_copy_async(bs, bd, src, dst, w_.site(Call::tensor_copy_async));
        copy_values(src, dst);
        break;
      }
      case 9: {  // set_tensor_async from host memory
        const Index b = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(pick_buffer(true), pick(3), units, false);
        TensorView dst = view(device_buffer(b), pick(3), units, true);
        w_.api.set_tensor_async(b, src, dst, w_.site(Call::set_tensor_async));
        copy_values(src, dst);
        break;
      }
      case 10: {  // get_tensor_async into host memory
        const Index b = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(device_buffer(b), pick(3), units, false);
        TensorView dst = view(pick_buffer(true), pick(3), units, true);
        w_.api.get_tensor_async(b, src, dst, w_.site(Call::get_tensor_async));
        copy_values(src, dst);
        break;
      }
    }
  }

  OracleWorld& w_;
  std::mt19937 rng_;
  int copy_units_;
  std::map<std::pair<Index, uint64_t>, LogicalValue> values_;
  int next_eval_ = 1;
};

// Returns the number of sequences on which the engine and the oracle disagree.
int compare_on_random_sequences(int sequences, int copy_units) {
  const char* policies[] = {"ggml-v0",    "ggml-17795", "ggml-20463",
                            "ggml-20793", "ggml-25138", "ggml-26040"};
  int with_findings = 0;
  int disagreements = 0;
  std::size_t max_states = 0;
  for (uint32_t seed = 1; seed <= static_cast<uint32_t>(sequences); ++seed) {
    OracleWorld w(policies[seed % 6]);
    RandomProgram(w, seed, copy_units).run(4 + static_cast<int>(seed % 12));
    const OracleResult r = w.explore();
    max_states = std::max(max_states, r.states_explored);
    with_findings += w.findings() > 0;
    const std::string d = disagreement(w, r);
    if (!d.empty() && ++disagreements <= 3)
      ADD_FAILURE() << "seed " << seed << " policy " << policies[seed % 6] << ":\n" << d;
  }
  // Both outcomes must be well represented for the comparison to mean anything.
  EXPECT_GT(with_findings, sequences / 5);
  EXPECT_LT(with_findings, sequences * 9 / 10);
  std::printf("  %d random sequences: %d with findings, at most %zu states\n", sequences,
              with_findings, max_states);
  return disagreements;
}

TEST(BruteForceOracle, AgreesWithTheEngineOnRandomCallSequences) {
  EXPECT_EQ(compare_on_random_sequences(3000, 1), 0);
}

// ---- A copy of a partly written source (regression of a fixed engine defect). ----
// The engine once wrote, into each destination shadow cell, the value carried at the cell's
// first byte; it now splits the destination at the boundaries of what the copy's read saw.

TEST(BruteForceOracle, CopyOfAPartlyWrittenSourceCarriesEachPartsValue) {
  OracleWorld w;
  TensorView half = w.view(kBufPinned, 0);
  half.region.size = 32;
  w.host_write(half);  // bytes [0, 32) hold tensor 0; [32, 64) were never written
  w.api.tensor_copy(w.view(kBufPinned, 0), w.view(kBufPageable, 0), w.site(Call::tensor_copy));
  TensorView tail = w.view(kBufPageable, 0);
  tail.region = Region{kBufPageable, 32, 32};
  tail.expected = LogicalValue{};  // the copy put the unwritten bytes there
  w.host_read(tail);
  const OracleResult r = w.explore();
  ASSERT_EQ(r.mismatches.size(), 1u);  // only the copy's own read
  EXPECT_EQ(r.mismatches[0].read, (AccessRef{1, 0}));
  EXPECT_EQ(r.mismatches[0].begin, 32u);
}

TEST(BruteForceOracle, EngineCopyOfAPartlyWrittenSourceCarriesEachPartsValue) {
  OracleWorld w;
  TensorView half = w.view(kBufPinned, 0);
  half.region.size = 32;
  w.host_write(half);
  w.api.tensor_copy(w.view(kBufPinned, 0), w.view(kBufPageable, 0), w.site(Call::tensor_copy));
  TensorView tail = w.view(kBufPageable, 0);
  tail.region = Region{kBufPageable, 32, 32};
  tail.expected = LogicalValue{};
  w.host_read(tail);
  // The engine must not report a stale read at entry 2 (tensor 0 written over [32, 64)).
  EXPECT_EQ(disagreement(w, w.explore()), "");
}

TEST(BruteForceOracle, AgreesWithTheEngineOnRandomCallSequencesWithWideCopies) {
  EXPECT_EQ(compare_on_random_sequences(3000, 2), 0);
}

}  // namespace
}  // namespace schedcheck::testing
