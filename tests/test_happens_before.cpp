// Each happens-before rule of spec §9.5: one case where the rule orders two conflicting
// accesses (no finding) and one where its absence leaves a race. Every case is also checked
// against the brute-force oracle (tests/support/oracle_world.hpp).
#include <gtest/gtest.h>

#include "model/scheduler.hpp"
#include "tests/support/oracle_world.hpp"

namespace schedcheck::testing {
namespace {

// Each test's trace is also checked against the brute-force oracle when the world goes away.
using World = OracleCheckedWorld;

// Rule 1: host program order.
TEST(HappensBefore, R1HostProgramOrderOrdersHostAccesses) {
  World w;
  w.host_write(w.view(kBufPinned, 0));
  w.host_read(w.view(kBufPinned, 0));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R1WithoutProgramOrderAQueueReadRacesTheHost) {
  World w;
  w.kernel(kG0, {w.view(kBufPinned, 0)}, {});  // a queue reads host memory
  w.host_write(w.view(kBufPinned, 0));         // no wait: not ordered after the read
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}

// Rule 2: enqueue: the host's prior actions happen before the enqueued item.
TEST(HappensBefore, R2EnqueueOrdersEarlierHostWrites) {
  World w;
  w.host_write(w.view(kBufPinned, 0));
  w.kernel(kG0, {w.view(kBufPinned, 0)}, {});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R2HostWriteAfterEnqueueIsNotOrdered) {
  World w;
  w.host_write(w.view(kBufPinned, 0));
  w.kernel(kG0, {w.view(kBufPinned, 0)}, {});
  w.host_write(w.view(kBufPinned, 1));  // other bytes: fine
  EXPECT_EQ(w.findings(), 0);
  w.host_write(w.view(kBufPinned, 0));  // same bytes, issued after the enqueue
  EXPECT_EQ(w.races(), 1);
}

// Rule 3: FIFO within a queue.
TEST(HappensBefore, R3FifoOrdersItemsOfOneQueue) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 1)});
  w.kernel(kG0, {w.view(kBufG0, 1)}, {});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R3TwoQueuesAreNotOrdered) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 1)});
  w.kernel(kG1, {w.view(kBufG0, 1)}, {});
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 4: synchronize(b).
TEST(HappensBefore, R4SynchronizeOrdersQueueBeforeHost) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
  w.api.synchronize(kG0, w.site(Call::synchronize));
  w.host_read(w.view(kBufPinned, 2));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R4WithoutSynchronizeHostReadRaces) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
  w.host_read(w.view(kBufPinned, 2));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}
TEST(HappensBefore, R4SynchronizeOfTheCpuIsANoOp) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 2)});
  w.api.synchronize(kCpu, w.site(Call::synchronize));
  w.host_read(w.view(kBufPinned, 2));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 5: event_record snapshots the queue at the call; later work is not included.
TEST(HappensBefore, R5RecordAfterTheWriteCoversIt) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 3)});
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
  w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
  w.kernel(kG1, {w.view(kBufG0, 3)}, {});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R5RecordBeforeTheWriteDoesNotCoverIt) {
  World w;
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
  w.kernel(kG0, {}, {w.view(kBufG0, 3)});
  w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
  w.kernel(kG1, {w.view(kBufG0, 3)}, {});
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 6: event_wait uses the state captured at the call; a never-recorded event orders nothing.
TEST(HappensBefore, R6WaitOnRecordedEventOrdersLaterItems) {
  World w;
  w.preset(w.view(kBufG1, 4));
  w.kernel(kG0, {w.view(kBufG1, 4)}, {});
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
  w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
  w.kernel(kG1, {}, {w.view(kBufG1, 4)});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R6WaitOnNeverRecordedEventOrdersNothing) {
  World w;
  w.preset(w.view(kBufG1, 4));
  w.kernel(kG0, {w.view(kBufG1, 4)}, {});
  w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
  w.kernel(kG1, {}, {w.view(kBufG1, 4)});
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}
TEST(HappensBefore, R6WaitIssuedBeforeAReRecordIsNotMovedByIt) {
  World w;
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
  w.api.event_wait(kG1, w.event(kG0), w.site(Call::event_wait));
  w.kernel(kG0, {}, {w.view(kBufG0, 5)});
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));  // too late for the wait
  w.kernel(kG1, {w.view(kBufG0, 5)}, {});
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 7: event_synchronize.
TEST(HappensBefore, R7EventSynchronizeOrdersRecordedWork) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 6)});
  w.api.event_record(w.event(kG0), kG0, w.site(Call::event_record));
  w.api.event_synchronize(w.event(kG0), w.site(Call::event_synchronize));
  w.host_read(w.view(kBufPinned, 6));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R7EventSynchronizeOnNeverRecordedEventReturnsAtOnce) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 6)});
  w.api.event_synchronize(w.event(kG0), w.site(Call::event_synchronize));
  w.host_read(w.view(kBufPinned, 6));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 8: CUDA device-to-device copies run on the source queue; the destination waits for the
// copy, but the copy does not wait for the destination's earlier work.
TEST(HappensBefore, R8DestinationWorkAfterTheCopyIsOrdered) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 7)});
  ASSERT_TRUE(w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                     w.site(Call::cpy_tensor_async)));
  w.kernel(kG1, {w.view(kBufG1, 7)}, {});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R8CopyOnSourceQueueIsNotOrderedAfterDestinationReads) {
  World w;
  w.kernel(kG1, {w.view(kBufG1, 7)}, {});  // destination still reads the slot
  w.kernel(kG0, {}, {w.view(kBufG0, 7)});
  ASSERT_TRUE(w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                     w.site(Call::cpy_tensor_async)));
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}
TEST(HappensBefore, R8EventWaitOnTheDestinationDoesNotOrderTheCopy) {
  World w;  // ggml's pattern: the wait is placed on the destination queue, the copy runs on the
              // source
  w.kernel(kG1, {w.view(kBufG1, 7)}, {});
  w.api.event_record(w.event(kG1), kG1, w.site(Call::event_record));
  w.api.event_wait(kG1, w.event(kG1), w.site(Call::event_wait));
  ASSERT_TRUE(w.api.cpy_tensor_async(kG0, kG1, w.view(kBufG0, 7), w.view(kBufG1, 7),
                                     w.site(Call::cpy_tensor_async)));
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}
TEST(HappensBefore, R8VulkanSameDeviceCopyRunsOnTheDestinationQueue) {
  World w("ggml-26040");
  // Same physical device is required for Vulkan copies: copy VK -> VK within one backend's memory.
  w.kernel(kVk, {w.view(kBufVk, 8)}, {});
  ASSERT_TRUE(w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), w.view(kBufVk, 8),
                                     w.site(Call::cpy_tensor_async)));
  EXPECT_EQ(w.races(), 0);  // FIFO on the destination queue orders it after the read
}

TEST(HappensBefore, R8VulkanSameDeviceCopyOfWrittenBytesIsClean) {
  World w("ggml-26040");
  w.preset(w.view(kBufVk, 8));
  w.preset(w.view(kBufVk, 9));
  w.kernel(kVk, {w.view(kBufVk, 8)}, {});
  TensorView dst = w.view(kBufVk, 8);
  dst.expected = w.view(kBufVk, 9).expected;
  ASSERT_TRUE(w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), dst,
                                     w.site(Call::cpy_tensor_async)));
  EXPECT_EQ(w.findings(), 0);
}

// Vulkan before fda28915 (audit finding F3): event_wait ends the command context without
// submitting it, so a copy recorded there never runs; a graph launch submits it.
TEST(HappensBefore, VulkanEventWaitBeforeFda28915DropsTheRecordedCopy) {
  World w("ggml-v0", /*event_wait_drops_recorded=*/true);
  w.preset(w.view(kBufVk, 9));
  ASSERT_TRUE(w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), w.view(kBufVk, 8),
                                     w.site(Call::cpy_tensor_async)));
  w.api.event_wait(kVk, w.event(kVk), w.site(Call::event_wait));
  TensorView copied = w.view(kBufVk, 8);
  copied.expected = w.view(kBufVk, 9).expected;
  w.kernel(kVk, {copied}, {});
  EXPECT_TRUE(w.has(FindingKind::stale_read));  // the graph reads bytes the copy never wrote
}
TEST(HappensBefore, VulkanGraphLaunchSubmitsTheRecordedCopy) {
  World w("ggml-v0", /*event_wait_drops_recorded=*/true);
  w.preset(w.view(kBufVk, 9));
  ASSERT_TRUE(w.api.cpy_tensor_async(kVk, kVk, w.view(kBufVk, 9), w.view(kBufVk, 8),
                                     w.site(Call::cpy_tensor_async)));
  TensorView copied = w.view(kBufVk, 8);
  copied.expected = w.view(kBufVk, 9).expected;
  w.kernel(kVk, {copied}, {});
  w.api.event_wait(kVk, w.event(kVk), w.site(Call::event_wait));  // nothing left to drop
  EXPECT_EQ(w.findings(), 0);
}

// Rule 9: host-to-device copies on the destination queue: a pinned source is read when the
// copy executes, a pageable source during the call.
TEST(HappensBefore, R9PinnedSourceOverwrittenAfterTheCallRaces) {
  World w;  // ggml-17795: CUDA accepts host sources
  w.host_write(w.view(kBufPinned, 10));
  ASSERT_TRUE(w.api.cpy_tensor_async(kCpu, kG0, w.view(kBufPinned, 10), w.view(kBufG0, 10),
                                     w.site(Call::cpy_tensor_async)));
  w.host_write(w.view(kBufPinned, 10));
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}
TEST(HappensBefore, R9PageableSourceIsCapturedAtTheCall) {
  World w;
  w.host_write(w.view(kBufPageable, 10));
  ASSERT_TRUE(w.api.cpy_tensor_async(kCpu, kG0, w.view(kBufPageable, 10), w.view(kBufG0, 10),
                                     w.site(Call::cpy_tensor_async)));
  w.host_write(w.view(kBufPageable, 10));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R9HostSourcesAreDeclinedWithoutCopyFromHost) {
  World w("ggml-v0");
  EXPECT_FALSE(w.api.cpy_tensor_async(kCpu, kG0, w.view(kBufPinned, 10), w.view(kBufG0, 10),
                                      w.site(Call::cpy_tensor_async)));
}

// Rule 10: blocking copies run on the per-thread stream: ordered with the host, not with queues.
TEST(HappensBefore, R10BlockingCopyIsOrderedWithTheHost) {
  World w;
  w.host_write(w.view(kBufPinned, 11));
  w.api.tensor_copy(w.view(kBufPinned, 11), w.view(kBufG0, 11), w.site(Call::tensor_copy));
  w.host_write(w.view(kBufPinned, 11));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R10BlockingCopyIsNotOrderedWithTheBackendQueue) {
  World w;
  w.host_write(w.view(kBufPinned, 11));
  w.kernel(kG0, {w.view(kBufG0, 11)}, {});  // the queue still reads the destination
  w.api.tensor_copy(w.view(kBufPinned, 11), w.view(kBufG0, 11), w.site(Call::tensor_copy));
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}

// Rule 11: get_tensor_async to pinned memory is queued; to pageable memory (CUDA) it blocks.
TEST(HappensBefore, R11PageableDestinationBlocksTheHost) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 12)});
  w.api.get_tensor_async(kG0, w.view(kBufG0, 12), w.view(kBufPageable, 12),
                         w.site(Call::get_tensor_async));
  w.host_read(w.view(kBufPageable, 12));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R11PinnedDestinationNeedsASynchronize) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufG0, 12)});
  w.api.get_tensor_async(kG0, w.view(kBufG0, 12), w.view(kBufPinned, 12),
                         w.site(Call::get_tensor_async));
  w.host_read(w.view(kBufPinned, 12));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 12: Vulkan set/get async with non-pinned host memory complete before returning.
TEST(HappensBefore, R12VulkanPageableTransfersCompleteBeforeReturn) {
  World w;
  w.kernel(kVk, {}, {w.view(kBufVk, 13)});
  w.api.get_tensor_async(kVk, w.view(kBufVk, 13), w.view(kBufPageable, 13),
                         w.site(Call::get_tensor_async));
  w.host_read(w.view(kBufPageable, 13));
  w.host_write(w.view(kBufPageable, 14));
  w.api.set_tensor_async(kVk, w.view(kBufPageable, 14), w.view(kBufVk, 14),
                         w.site(Call::set_tensor_async));
  w.host_write(w.view(kBufPageable, 14));
  EXPECT_EQ(w.findings(), 0);
}
// The host writes pinned memory, uploads it with set_tensor_async, and writes it again: whether
// the upload read it first depends on the backend (rules 12 and 13).
void upload_then_overwrite(World& w, Index backend, Index device_buffer, int slot) {
  w.host_write(w.view(kBufPinned, slot));
  w.api.set_tensor_async(backend, w.view(kBufPinned, slot), w.view(device_buffer, slot),
                         w.site(Call::set_tensor_async));
  w.host_write(w.view(kBufPinned, slot));
}

TEST(HappensBefore, R12VulkanPinnedTransfersAreQueued) {
  World w;
  upload_then_overwrite(w, kVk, kBufVk, 14);
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}

// Rule 13: Metal set_tensor_async copies the source bytes at the call.
TEST(HappensBefore, R13MetalSetAsyncCapturesTheSourceAtTheCall) {
  World w;
  upload_then_overwrite(w, kMtl, kBufMtl, 15);
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R13CudaSetAsyncFromPinnedMemoryDoesNot) {
  World w;
  upload_then_overwrite(w, kG0, kBufG0, 15);
  EXPECT_TRUE(w.has(FindingKind::write_after_read));
}

// Rule 14: a CPU split executes on the host at the call.
TEST(HappensBefore, R14CpuSplitCompletesBeforeTheHostGoesOn) {
  World w;
  w.kernel(kCpu, {}, {w.view(kBufHostCompute, 16)});
  w.kernel(kG0, {w.view(kBufHostCompute, 16)}, {});
  w.api.synchronize(kG0, w.site(Call::synchronize));
  w.kernel(kCpu, {}, {w.view(kBufHostCompute, 16)});
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R14AnAsyncSplitDoesNotCompleteAtTheCall) {
  World w;
  w.kernel(kG1, {}, {w.view(kBufHostCompute, 16)});  // a GPU graph writing host memory
  w.kernel(kCpu, {w.view(kBufHostCompute, 16)}, {});
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// Rule 15: sched_synchronize synchronizes every backend.
TEST(HappensBefore, R15SchedSynchronizeWaitsForEveryBackend) {
  World w;
  Scheduler sched(w.run, w.api);
  w.kernel(kG0, {}, {w.view(kBufPinned, 17)});
  w.kernel(kG1, {}, {w.view(kBufPinned, 18)});
  w.kernel(kVk, {}, {w.view(kBufPinned, 19)});
  sched.synchronize(w.site(Call::sched_synchronize));
  w.host_read(w.view(kBufPinned, 17));
  w.host_read(w.view(kBufPinned, 18));
  w.host_read(w.view(kBufPinned, 19));
  EXPECT_EQ(w.findings(), 0);
}
TEST(HappensBefore, R15SynchronizingOneBackendLeavesTheOthers) {
  World w;
  w.kernel(kG0, {}, {w.view(kBufPinned, 17)});
  w.kernel(kG1, {}, {w.view(kBufPinned, 18)});
  w.api.synchronize(kG0, w.site(Call::synchronize));
  w.host_read(w.view(kBufPinned, 17));
  EXPECT_EQ(w.findings(), 0);
  w.host_read(w.view(kBufPinned, 18));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

}  // namespace
}  // namespace schedcheck::testing
