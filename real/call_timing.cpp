#include "real/call_timing.hpp"

#include <stdexcept>
#include <string>

namespace schedcheck {
namespace {

void need(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

template <typename T>
T& slot(std::vector<std::optional<T>>& v, int call) {
  if (static_cast<std::size_t>(call) >= v.size()) v.resize(static_cast<std::size_t>(call) + 1);
  auto& s = v[static_cast<std::size_t>(call)];
  if (!s) s.emplace();
  return *s;
}

}  // namespace

CallTimer::CallTimer(const std::vector<int>& gpus) {
  int previous = 0;
  need(cudaGetDevice(&previous), "cudaGetDevice");
  for (int gpu : gpus) {
    need(cudaSetDevice(gpu), "cudaSetDevice");
    need(cudaDeviceSynchronize(), "cudaDeviceSynchronize (timing origin)");
  }
  // The anchors are recorded back to back on idle devices, then the host clock is read once
  // they completed: each anchor is within a few microseconds of the host origin.
  for (int gpu : gpus) {
    need(cudaSetDevice(gpu), "cudaSetDevice");
    cudaEvent_t e = nullptr;
    need(cudaEventCreate(&e), "cudaEventCreate (timing origin)");
    need(cudaEventRecord(e, nullptr), "cudaEventRecord (timing origin)");
    anchors_.emplace_back(gpu, e);
  }
  for (auto& [gpu, e] : anchors_)
    need(cudaEventSynchronize(e), "cudaEventSynchronize (timing origin)");
  origin_ = std::chrono::steady_clock::now();
  need(cudaSetDevice(previous), "cudaSetDevice");
}

CallTimer::~CallTimer() {
  for (auto& [gpu, e] : anchors_) cudaEventDestroy(e);
  for (const auto& m : device_)
    if (m) {
      cudaEventDestroy(m->begin);
      cudaEventDestroy(m->end);
    }
}

int64_t CallTimer::host_now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              origin_)
      .count();
}

void CallTimer::host_begin(int call) {
  auto& s = slot(host_, call);
  s.first = s.second = host_now();
}

void CallTimer::host_end(int call) {
  slot(host_, call).second = host_now();
}

cudaError_t CallTimer::device_begin(int call, cudaStream_t stream, int gpu) {
  DeviceMark& m = slot(device_, call);
  m.gpu = gpu;
  if (cudaError_t e = cudaEventCreate(&m.begin); e != cudaSuccess) return e;
  if (cudaError_t e = cudaEventCreate(&m.end); e != cudaSuccess) return e;
  return cudaEventRecord(m.begin, stream);
}

cudaError_t CallTimer::device_end(int call, cudaStream_t stream) {
  return cudaEventRecord(slot(device_, call).end, stream);
}

int64_t CallTimer::device_ns(int gpu, cudaEvent_t e) const {
  for (const auto& [g, anchor] : anchors_) {
    if (g != gpu) continue;
    float ms = 0;
    need(cudaEventElapsedTime(&ms, anchor, e), "cudaEventElapsedTime");
    return static_cast<int64_t>(static_cast<double>(ms) * 1e6);
  }
  throw std::runtime_error("a timed call ran on a GPU without a timing origin");
}

std::vector<std::optional<MeasuredCall>> CallTimer::spans(int calls) const {
  std::vector<std::optional<MeasuredCall>> out(static_cast<std::size_t>(calls));
  for (std::size_t c = 0; c < out.size(); ++c) {
    if (c < device_.size() && device_[c])
      out[c] = MeasuredCall{device_ns(device_[c]->gpu, device_[c]->begin),
                            device_ns(device_[c]->gpu, device_[c]->end), true};
    else if (c < host_.size() && host_[c])
      out[c] = MeasuredCall{host_[c]->first, host_[c]->second, false};
  }
  return out;
}

}  // namespace schedcheck
