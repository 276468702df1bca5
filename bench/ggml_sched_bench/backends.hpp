// The backends a scenario's scheduler runs on: ggml's own CUDA devices (from ggml's backend
// registry, as llama.cpp finds them) and the CPU, or, without a CUDA device, CPU backends that
// stand in for the GPUs (the graph splits the same way; the CPU is then also the "GPU").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "options.hpp"

namespace gsb {

class Backends {
 public:
  // Throws DeviceError for --devices cuda without a CUDA device.
  Backends(DeviceMode mode, int threads);
  ~Backends();
  Backends(const Backends&) = delete;
  Backends& operator=(const Backends&) = delete;

  bool cuda() const { return cuda_; }
  // How many GPUs there are (CUDA devices, or the two stand-ins).
  int gpu_count() const { return static_cast<int>(gpu_.size()); }
  ggml_backend_t gpu(int i) const { return gpu_[static_cast<size_t>(i)]; }
  ggml_backend_buffer_type_t gpu_buft(int i) const { return gpu_buft_[static_cast<size_t>(i)]; }
  ggml_backend_t cpu() const { return cpu_; }
  // The CPU's buffer type: CUDA's host (pinned) buffer type when offloading, as llama.cpp.
  ggml_backend_buffer_type_t host_buft() const { return host_buft_; }
  int threads() const { return threads_; }
  std::string gpu_name(int i) const;  // "CUDA0", or "CUDA0(CPU stand-in)"
  std::string describe() const;       // one line: devices, buffer types, why stand-ins

 private:
  bool cuda_ = false;
  int threads_ = 1;
  std::vector<ggml_backend_t> gpu_;
  std::vector<ggml_backend_buffer_type_t> gpu_buft_;
  ggml_backend_t cpu_ = nullptr;
  ggml_backend_buffer_type_t host_buft_ = nullptr;
  std::string why_stand_ins_;
};

// A CPU backend with `threads` threads (throws BenchError when ggml-cpu cannot start).
ggml_backend_t new_cpu_backend(int threads);

}  // namespace gsb
