// Semantics conformance: litmus tests, on a real GPU, of every CUDA behaviour the simulator's
// happens-before rules rely on (spec §6, §9.5). Each asserts the observed outcome; the spin
// delays (50-200 ms) make the outcome deterministic. Skipped cleanly without a CUDA device.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "real/cuda_kernels.hpp"
#include "real/real_run.hpp"

namespace schedcheck {
namespace {

constexpr std::size_t kBytes = 1 << 20;
constexpr unsigned long long kMs = 1000ULL * 1000ULL;

#define CK(call) ASSERT_EQ((call), cudaSuccess) << #call

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_available(&why)) GTEST_SKIP() << why;
    CK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    CK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
    CK(cudaMalloc(&x, kBytes));
    CK(cudaMalloc(&y, kBytes));
    CK(cudaMalloc(&z, kBytes));
    CK(cudaMallocHost(&pinned, kBytes));
    pageable = static_cast<unsigned char*>(std::malloc(kBytes));
    ASSERT_NE(pageable, nullptr);
    CK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    CK(cudaEventCreateWithFlags(&fresh, cudaEventDisableTiming));
  }
  void TearDown() override {
    if (!a) return;
    cudaDeviceSynchronize();
    cudaStreamDestroy(a);
    cudaStreamDestroy(b);
    cudaFree(x);
    cudaFree(y);
    cudaFree(z);
    cudaFreeHost(pinned);
    std::free(pageable);
    cudaEventDestroy(e);
    cudaEventDestroy(fresh);
  }
  // How many bytes of a device buffer equal v.
  std::size_t count_device(const void* p, unsigned char v) {
    std::vector<unsigned char> host(kBytes);
    EXPECT_EQ(cudaMemcpy(host.data(), p, kBytes, cudaMemcpyDeviceToHost), cudaSuccess);
    return count_host(host.data(), v);
  }
  static std::size_t count_host(const unsigned char* p, unsigned char v) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kBytes; ++i) n += p[i] == v;
    return n;
  }
  void spin(cudaStream_t s, unsigned long long ms) {
    ASSERT_EQ(launch_spin(s, ms * kMs), cudaSuccess);
  }
  void fill(void* p, unsigned char v) {
    ASSERT_EQ(cudaMemset(p, v, kBytes), cudaSuccess);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  }

  cudaStream_t a = nullptr, b = nullptr;
  void *x = nullptr, *y = nullptr, *z = nullptr;
  unsigned char* pinned = nullptr;
  unsigned char* pageable = nullptr;
  cudaEvent_t e = nullptr, fresh = nullptr;
};

// Rule 9: a pinned host source is read when the copy executes.
TEST_F(Conformance, PinnedHostToDeviceReadsTheSourceWhenTheCopyExecutes) {
  std::memset(pinned, 1, kBytes);
  spin(a, 50);
  CK(cudaMemcpyAsync(x, pinned, kBytes, cudaMemcpyHostToDevice, a));
  std::memset(pinned, 2, kBytes);  // after the call, before the copy ran
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(x, 2), kBytes);
}

// Rule 9: a pageable host source is captured during the call.
TEST_F(Conformance, PageableHostToDeviceCapturesTheSourceDuringTheCall) {
  std::memset(pageable, 1, kBytes);
  spin(a, 50);
  CK(cudaMemcpyAsync(x, pageable, kBytes, cudaMemcpyHostToDevice, a));
  std::memset(pageable, 2, kBytes);
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(x, 1), kBytes);
}

// Rule 11: device to pinned host is written when the copy executes.
TEST_F(Conformance, DeviceToPinnedHostIsWrittenOnlyWhenTheCopyExecutes) {
  fill(x, 3);
  std::memset(pinned, 0, kBytes);
  spin(a, 50);
  CK(cudaMemcpyAsync(pinned, x, kBytes, cudaMemcpyDeviceToHost, a));
  EXPECT_EQ(count_host(pinned, 3), 0u);  // the host must synchronize before reading
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_host(pinned, 3), kBytes);
}

// Rule 11: device to pageable host returns after completion.
TEST_F(Conformance, DeviceToPageableHostCompletesBeforeTheCallReturns) {
  fill(x, 3);
  std::memset(pageable, 0, kBytes);
  spin(a, 50);
  CK(cudaMemcpyAsync(pageable, x, kBytes, cudaMemcpyDeviceToHost, a));
  EXPECT_EQ(count_host(pageable, 3), kBytes);
}

// Rule 3: work of one stream runs in issue order.
TEST_F(Conformance, OneStreamRunsInIssueOrder) {
  fill(x, 1);
  spin(a, 50);
  CK(cudaMemsetAsync(x, 5, kBytes, a));
  CK(cudaMemcpyAsync(y, x, kBytes, cudaMemcpyDeviceToDevice, a));
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(y, 5), kBytes);
}

// Rule 10: the per-thread default stream (blocking buffer copies) is not ordered with a
// non-blocking backend stream.
TEST_F(Conformance, PerThreadStreamIsNotOrderedWithABackendStream) {
  fill(x, 1);
  spin(a, 100);
  CK(cudaMemcpyAsync(y, x, kBytes, cudaMemcpyDeviceToDevice, a));  // the backend reads x later
  CK(cudaMemsetAsync(x, 2, kBytes, cudaStreamPerThread));          // a blocking copy overwrites x
  CK(cudaStreamSynchronize(cudaStreamPerThread));
  EXPECT_EQ(cudaStreamQuery(a), cudaErrorNotReady);  // the overwrite finished first
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(y, 2), kBytes);  // the reader saw the new data: no ordering
}

// Rule 4: synchronize waits for everything enqueued before it.
TEST_F(Conformance, StreamSynchronizeWaitsForEarlierWork) {
  fill(x, 1);
  spin(a, 50);
  CK(cudaMemsetAsync(x, 8, kBytes, a));
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(x, 8), kBytes);
}

// Rules 5, 6: a wait uses the state the event had when the wait was issued.
TEST_F(Conformance, EventWaitUsesTheRecordStateAtTheCall) {
  fill(x, 1);
  spin(a, 20);
  CK(cudaMemsetAsync(x, 7, kBytes, a));
  CK(cudaEventRecord(e, a));
  CK(cudaStreamWaitEvent(b, e, 0));
  spin(a, 150);
  CK(cudaMemsetAsync(x, 9, kBytes, a));
  CK(cudaEventRecord(e, a));  // re-record after the wait was issued
  CK(cudaMemcpyAsync(y, x, kBytes, cudaMemcpyDeviceToDevice, b));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count_device(y, 7), kBytes);  // ordered after the first record, not the second
  CK(cudaStreamSynchronize(a));
}

// Rule 6: a stream waiting on a never-recorded event does not wait.
TEST_F(Conformance, WaitOnANeverRecordedEventDoesNotWait) {
  fill(x, 1);
  spin(a, 100);
  CK(cudaMemsetAsync(x, 4, kBytes, a));
  CK(cudaStreamWaitEvent(b, fresh, 0));
  CK(cudaMemcpyAsync(y, x, kBytes, cudaMemcpyDeviceToDevice, b));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(cudaStreamQuery(a), cudaErrorNotReady);
  EXPECT_EQ(count_device(y, 1), kBytes);
  CK(cudaStreamSynchronize(a));
}

// Rule 7: event_synchronize on a never-recorded event returns at once.
TEST_F(Conformance, EventSynchronizeOnANeverRecordedEventReturnsAtOnce) {
  spin(a, 100);
  const auto start = std::chrono::steady_clock::now();
  CK(cudaEventSynchronize(fresh));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 20.0);
  EXPECT_EQ(cudaStreamQuery(a), cudaErrorNotReady);
  CK(cudaStreamSynchronize(a));
}

// Rule 7: event_synchronize waits for the most recent record.
TEST_F(Conformance, EventSynchronizeWaitsForTheLatestRecord) {
  CK(cudaEventRecord(e, a));
  spin(a, 100);
  CK(cudaEventRecord(e, a));
  const auto start = std::chrono::steady_clock::now();
  CK(cudaEventSynchronize(e));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(ms, 60.0);
}

// Rule 8: a copy on the source stream followed by record + wait orders later destination work.
TEST_F(Conformance, CopyOnTheSourceStreamThenEventOrdersTheDestination) {
  fill(x, 1);
  spin(a, 50);
  CK(cudaMemsetAsync(x, 6, kBytes, a));
  CK(cudaMemcpyAsync(z, x, kBytes, cudaMemcpyDeviceToDevice, a));  // the slot copy, on the source
  CK(cudaEventRecord(e, a));
  CK(cudaStreamWaitEvent(b, e, 0));
  CK(cudaMemcpyAsync(y, z, kBytes, cudaMemcpyDeviceToDevice, b));  // the destination reads the slot
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count_device(y, 6), kBytes);
}

// Rule 8 / hazard H1: ggml's pattern puts the wait on the destination stream, but the copy runs
// on the source stream: it overwrites a slot the destination has not read yet.
TEST_F(Conformance, TheWaitOnTheDestinationDoesNotOrderACopyOnTheSource) {
  fill(z, 1);
  fill(x, 2);  // before the spin: fill() synchronizes the whole device
  spin(b, 100);
  CK(cudaMemcpyAsync(y, z, kBytes, cudaMemcpyDeviceToDevice, b));  // destination still reads slot z
  CK(cudaEventRecord(e, b));
  CK(cudaStreamWaitEvent(b, e, 0));  // the wait lands on the destination only
  CK(cudaMemcpyAsync(z, x, kBytes, cudaMemcpyDeviceToDevice, a));  // the next copy into the slot
  CK(cudaStreamSynchronize(a));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count_device(y, 2), kBytes);  // the destination read the overwritten slot
}

TEST_F(Conformance, TheSourceWaitingOnTheDestinationOrdersTheCopy) {
  fill(z, 1);
  fill(x, 2);  // before the spin: fill() synchronizes the whole device
  spin(b, 100);
  CK(cudaMemcpyAsync(y, z, kBytes, cudaMemcpyDeviceToDevice, b));
  CK(cudaEventRecord(e, b));
  CK(cudaStreamWaitEvent(a, e, 0));  // the cheapest fix schedcheck proposes for H1
  CK(cudaMemcpyAsync(z, x, kBytes, cudaMemcpyDeviceToDevice, a));
  CK(cudaStreamSynchronize(a));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count_device(y, 1), kBytes);
}

// Rule 2: work enqueued after host writes sees them.
TEST_F(Conformance, EnqueuedWorkSeesEarlierHostWrites) {
  std::memset(pinned, 3, kBytes);
  CK(cudaMemcpyAsync(x, pinned, kBytes, cudaMemcpyHostToDevice, a));
  CK(cudaStreamSynchronize(a));
  EXPECT_EQ(count_device(x, 3), kBytes);
}

}  // namespace
}  // namespace schedcheck
