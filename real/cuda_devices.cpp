// What the CUDA runtime reports about devices: whether a GPU path can run, and how many GPUs.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include "real/real_run.hpp"

namespace schedcheck {

bool cuda_available(std::string* reason) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (reason)
      *reason = fmt::format("no CUDA device: {} ({})", cudaGetErrorString(e), cudaGetErrorName(e));
    return false;
  }
  if (n == 0) {
    if (reason) *reason = "no CUDA device: the driver reports 0 devices";
    return false;
  }
  return true;
}

int cuda_device_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

}  // namespace schedcheck
