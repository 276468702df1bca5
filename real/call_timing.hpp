// When each executor call of a GPU run ran, for timelines of `schedcheck real` (timeline/):
// a call on a stream between two timing events recorded around it on that stream; a host call
// (and a blocking copy, which the host waits for) by the host clock. Every GPU's clock is
// anchored to the host's by an event recorded on it after a device-wide synchronize, so all
// spans share one axis (to within the synchronize's few microseconds).
#pragma once

#include <cuda_runtime.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "real/real_run.hpp"

namespace schedcheck {

class CallTimer {
 public:
  // gpus: the CUDA devices the run uses. Synchronizes them.
  explicit CallTimer(const std::vector<int>& gpus);
  ~CallTimer();
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;

  void host_begin(int call);
  void host_end(int call);
  // On `stream` of `gpu` (the current device): a timing event before and after the call's work.
  cudaError_t device_begin(int call, cudaStream_t stream, int gpu);
  cudaError_t device_end(int call, cudaStream_t stream);

  // After every stream of the run finished: one span per call (none for a call not timed).
  std::vector<std::optional<MeasuredCall>> spans(int calls) const;

 private:
  struct DeviceMark {
    int gpu = 0;
    cudaEvent_t begin = nullptr, end = nullptr;
  };
  int64_t host_now() const;
  int64_t device_ns(int gpu, cudaEvent_t e) const;

  std::chrono::steady_clock::time_point origin_;
  std::vector<std::pair<int, cudaEvent_t>> anchors_;  // gpu -> its origin event
  std::vector<std::optional<std::pair<int64_t, int64_t>>> host_;
  std::vector<std::optional<DeviceMark>> device_;
};

// A host call's span while it is in scope (nothing without a timer).
class HostSpan {
 public:
  HostSpan(CallTimer* timer, int call) : timer_(timer), call_(call) {
    if (timer_) timer_->host_begin(call_);
  }
  ~HostSpan() {
    if (timer_) timer_->host_end(call_);
  }
  HostSpan(const HostSpan&) = delete;
  HostSpan& operator=(const HostSpan&) = delete;

 private:
  CallTimer* timer_;
  int call_;
};

}  // namespace schedcheck
