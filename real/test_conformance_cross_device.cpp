// Semantics conformance across two physical GPUs (spec §6; issue: several physical GPUs): a
// cross-device event wait, peer copies (which run on the stream they are issued on), and the
// H1 slot overwrite when the destination GPU's wait does not order a copy issued on the source
// GPU. Each runs with peer access enabled and disabled (the driver stages peer copies through
// the host then). Skipped cleanly with fewer than two GPUs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <iostream>
#include <vector>

#include "real/cuda_kernels.hpp"
#include "real/real_run.hpp"

namespace schedcheck {
namespace {

constexpr std::size_t kBytes = 1 << 20;
constexpr unsigned long long kMs = 1000ULL * 1000ULL;

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

#define CK(call) ASSERT_EQ((call), cudaSuccess) << #call

// GPU 0 runs stream `a` with buffer x0; GPU 1 runs stream `b` with buffers y1 and z1 (the slot).
class CrossDevice : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_available(&why)) GTEST_SKIP() << why;
    if (cuda_device_count() < 2)
      GTEST_SKIP() << "needs two GPUs, this machine has " << cuda_device_count();
    set_peer_access(GetParam());
    if (IsSkipped() || HasFatalFailure()) return;
    CK(cudaSetDevice(0));
    CK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    CK(cudaEventCreateWithFlags(&on0, cudaEventDisableTiming));
    CK(cudaMalloc(&x0, kBytes));
    CK(cudaSetDevice(1));
    CK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
    CK(cudaEventCreateWithFlags(&on1, cudaEventDisableTiming));
    CK(cudaMalloc(&y1, kBytes));
    CK(cudaMalloc(&z1, kBytes));
  }
  void TearDown() override {
    if (!a) return;
    for (int d : {0, 1}) {
      cudaSetDevice(d);
      cudaDeviceSynchronize();
    }
    cudaStreamDestroy(a);
    cudaStreamDestroy(b);
    cudaEventDestroy(on0);
    cudaEventDestroy(on1);
    cudaFree(x0);
    cudaFree(y1);
    cudaFree(z1);
  }
  void set_peer_access(bool on) {
    for (int from : {0, 1}) {
      const int to = 1 - from;
      int can = 0;
      CK(cudaDeviceCanAccessPeer(&can, from, to));
      if (on && !can) GTEST_SKIP() << "GPU " << from << " cannot access GPU " << to;
      CK(cudaSetDevice(from));
      const cudaError_t e =
          on ? cudaDeviceEnablePeerAccess(to, 0) : cudaDeviceDisablePeerAccess(to);
      if (e == cudaErrorPeerAccessAlreadyEnabled || e == cudaErrorPeerAccessNotEnabled)
        cudaGetLastError();
      else
        CK(e);
    }
  }
  // Fills on the device that owns p, then waits for both devices.
  void fill(int device, void* p, unsigned char v) {
    CK(cudaSetDevice(device));
    CK(cudaMemset(p, v, kBytes));
    for (int d : {0, 1}) {
      CK(cudaSetDevice(d));
      CK(cudaDeviceSynchronize());
    }
  }
  void spin(int device, cudaStream_t s, unsigned long long ms) {
    CK(cudaSetDevice(device));
    ASSERT_EQ(launch_spin(s, ms * kMs), cudaSuccess);
  }
  // The H1 set-up: slot z1 (1) is read into y1 by GPU 1 after a spin, then on1 is recorded;
  // x0 (2) is what the next copy into the slot brings.
  void slot_still_read_on_gpu1() {
    fill(1, z1, 1);
    fill(0, x0, 2);
    spin(1, b, 100);
    CK(cudaSetDevice(1));
    CK(cudaMemcpyAsync(y1, z1, kBytes, cudaMemcpyDeviceToDevice, b));
    CK(cudaEventRecord(on1, b));
  }
  std::size_t count(int device, const void* p, unsigned char v) {
    std::vector<unsigned char> host(kBytes);
    EXPECT_EQ(cudaSetDevice(device), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(host.data(), p, kBytes, cudaMemcpyDeviceToHost), cudaSuccess);
    std::size_t n = 0;
    for (unsigned char c : host) n += c == v;
    return n;
  }

  // What is queued on GPU 0's stream `a` behind its 100 ms spin before an unrelated peer copy is
  // issued on another stream.
  enum class Earlier { nothing, opposite_direction, same_direction };
  // The unrelated copy: GPU 1 -> GPU 0 on GPU 1's stream, or (same_direction) GPU 0 -> GPU 1 on a
  // second stream of GPU 0, as ggml's pipeline issues the copies of two stages. Returns how long
  // that copy's stream takes to finish it.
  double unrelated_peer_copy_ms(Earlier earlier) {
    void* w0 = nullptr;
    cudaStream_t c = nullptr;
    EXPECT_EQ(cudaSetDevice(0), cudaSuccess);
    EXPECT_EQ(cudaMalloc(&w0, kBytes), cudaSuccess);
    EXPECT_EQ(cudaStreamCreateWithFlags(&c, cudaStreamNonBlocking), cudaSuccess);
    spin(0, a, 100);
    if (earlier != Earlier::nothing) {
      EXPECT_EQ(cudaMemcpyPeerAsync(y1, 1, x0, 0, kBytes, a), cudaSuccess);
    }
    const bool same = earlier == Earlier::same_direction;
    cudaStream_t unrelated = same ? c : b;
    EXPECT_EQ(cudaSetDevice(same ? 0 : 1), cudaSuccess);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(same ? cudaMemcpyPeerAsync(z1, 1, w0, 0, kBytes, c)
                   : cudaMemcpyPeerAsync(w0, 0, z1, 1, kBytes, b),
              cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(unrelated), cudaSuccess);
    const double ms = elapsed_ms(start);
    EXPECT_EQ(cudaSetDevice(0), cudaSuccess);
    EXPECT_EQ(cudaStreamSynchronize(a), cudaSuccess);
    cudaStreamDestroy(c);
    cudaFree(w0);
    std::cout << "probe: " << (same ? "GPU 0 -> GPU 1" : "GPU 1 -> GPU 0")
              << " peer copy done after " << ms << " ms; GPU 0's other stream spins 100 ms before "
              << (earlier == Earlier::nothing ? "nothing" : "a GPU 0 -> GPU 1 peer copy")
              << " (peer access " << (GetParam() ? "on" : "off") << ")\n";
    return ms;
  }

  // Issues a GPU 0 -> GPU 1 peer copy on stream `a` (busy: the caller queued a spin or a wait)
  // and returns how long the call kept the host; then checks the copy brought x0's bytes (1).
  double host_ms_to_issue_peer_copy_on_a(const char* busy_with) {
    EXPECT_EQ(cudaSetDevice(0), cudaSuccess);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(cudaMemcpyPeerAsync(y1, 1, x0, 0, kBytes, a), cudaSuccess);
    const double ms = elapsed_ms(start);
    std::cout << "probe: peer copy issued behind " << busy_with << " returned after " << ms
              << " ms (peer access " << (GetParam() ? "on" : "off") << ")\n";
    EXPECT_EQ(cudaStreamSynchronize(a), cudaSuccess);
    EXPECT_EQ(count(1, y1, 1), kBytes);
    return ms;
  }

  cudaStream_t a = nullptr, b = nullptr;
  cudaEvent_t on0 = nullptr, on1 = nullptr;
  void *x0 = nullptr, *y1 = nullptr, *z1 = nullptr;
};

// Rule 7 across devices: GPU 1's stream waits on an event recorded on GPU 0.
TEST_P(CrossDevice, AWaitOnAnotherGpusEventOrdersLaterWork) {
  fill(0, x0, 1);
  spin(0, a, 100);
  CK(cudaMemsetAsync(x0, 6, kBytes, a));
  CK(cudaEventRecord(on0, a));
  CK(cudaSetDevice(1));
  CK(cudaStreamWaitEvent(b, on0, 0));
  CK(cudaMemcpyPeerAsync(y1, 1, x0, 0, kBytes, b));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count(1, y1, 6), kBytes);
}

// Without the wait the destination GPU does not wait for the source GPU's work.
TEST_P(CrossDevice, WithoutTheWaitTheOtherGpuReadsEarly) {
  fill(0, x0, 1);
  spin(0, a, 100);
  CK(cudaMemsetAsync(x0, 6, kBytes, a));
  CK(cudaSetDevice(1));
  CK(cudaMemcpyPeerAsync(y1, 1, x0, 0, kBytes, b));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count(1, y1, 1), kBytes);
}

// Rule 8 across devices: a peer copy issued on the source GPU's stream runs in that stream's
// order; recording an event after it and waiting on the destination orders the destination.
TEST_P(CrossDevice, APeerCopyOnTheSourceStreamThenEventOrdersTheDestination) {
  fill(0, x0, 1);
  fill(1, z1, 2);
  spin(0, a, 100);
  CK(cudaSetDevice(0));
  CK(cudaMemsetAsync(x0, 6, kBytes, a));
  CK(cudaMemcpyPeerAsync(z1, 1, x0, 0, kBytes, a));  // the slot copy, on the source GPU
  CK(cudaEventRecord(on0, a));
  CK(cudaSetDevice(1));
  CK(cudaStreamWaitEvent(b, on0, 0));
  CK(cudaMemcpyAsync(y1, z1, kBytes, cudaMemcpyDeviceToDevice, b));  // the destination reads it
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count(1, y1, 6), kBytes);
}

// H1 across two GPUs: ggml's wait lands on the destination GPU's stream, but the next copy into
// the slot is issued on the source GPU's stream and overwrites the slot before it is read.
TEST_P(CrossDevice, TheDestinationsWaitDoesNotOrderAPeerCopyOnTheSource) {
  slot_still_read_on_gpu1();
  CK(cudaStreamWaitEvent(b, on1, 0));  // the wait orders only the destination
  CK(cudaSetDevice(0));
  CK(cudaMemcpyPeerAsync(z1, 1, x0, 0, kBytes, a));  // the next copy into the slot
  CK(cudaStreamSynchronize(a));
  CK(cudaSetDevice(1));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count(1, y1, 2), kBytes);  // the destination read the overwritten slot
}

// The fix schedcheck proposes for H1: the source GPU's stream waits on the destination's event.
TEST_P(CrossDevice, TheSourceWaitingOnTheDestinationOrdersThePeerCopy) {
  slot_still_read_on_gpu1();
  CK(cudaSetDevice(0));
  CK(cudaStreamWaitEvent(a, on1, 0));
  CK(cudaMemcpyPeerAsync(z1, 1, x0, 0, kBytes, a));
  CK(cudaStreamSynchronize(a));
  CK(cudaSetDevice(1));
  CK(cudaStreamSynchronize(b));
  EXPECT_EQ(count(1, y1, 1), kBytes);
  EXPECT_EQ(count(1, z1, 2), kBytes);
}

// Rule 8's premise across devices: a peer copy is a queue operation, so issuing it returns to
// the host at once even while its stream is busy (with peer access off the driver stages it
// through host memory). The host time of the call is printed for docs/gpu-runs.md.
TEST_P(CrossDevice, APeerCopyOnABusyStreamDoesNotBlockTheHost) {
  fill(0, x0, 1);
  spin(0, a, 100);
  EXPECT_LT(host_ms_to_issue_peer_copy_on_a("a 100 ms spin of its stream"), 50);
}

// The same when the stream is busy only because it waits on another GPU's event.
TEST_P(CrossDevice, APeerCopyBehindACrossDeviceWaitDoesNotBlockTheHost) {
  fill(0, x0, 1);
  spin(1, b, 100);
  CK(cudaEventRecord(on1, b));
  CK(cudaSetDevice(0));
  CK(cudaStreamWaitEvent(a, on1, 0));
  EXPECT_LT(host_ms_to_issue_peer_copy_on_a("a wait on a 100 ms spin of the other GPU"), 50);
}

// A busy stream on the destination GPU does not hold a peer copy, staged or not.
TEST_P(CrossDevice, APeerCopyDoesNotWaitForTheDestinationGpusStreams) {
  EXPECT_LT(unrelated_peer_copy_ms(Earlier::nothing), 50);
}

// Nor does a peer copy in the other direction that waits on a busy stream.
TEST_P(CrossDevice, PeerCopiesInOppositeDirectionsAreIndependent) {
  EXPECT_LT(unrelated_peer_copy_ms(Earlier::opposite_direction), 50);
}

// Not in CUDA's documented semantics, measured (docs/agreement.md): without peer access the
// driver stages peer copies through host memory, and those of one direction run one at a time in
// issue order, across streams: an unrelated later copy waits for an earlier one held on a busy
// stream. This only adds ordering (the model leaves it out and stays sound), but it can keep a
// targeted delay from showing a race; the agreement check counts those apart
// (staged_peer_copy_holds_second in real/delay_plan.hpp).
TEST_P(CrossDevice, WithoutPeerAccessPeerCopiesOfOneDirectionRunInIssueOrder) {
  const double ms = unrelated_peer_copy_ms(Earlier::same_direction);
  if (GetParam()) {
    EXPECT_LT(ms, 50);
  } else {
    EXPECT_GT(ms, 50);
  }
}

INSTANTIATE_TEST_SUITE_P(PeerAccess, CrossDevice, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "PeerAccessOn" : "PeerAccessOff";
                         });

}  // namespace
}  // namespace schedcheck
