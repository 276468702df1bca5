// What the CUDA runtime reports about devices (whether a GPU path can run, how many GPUs), and
// peer access between the GPUs of a run.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include "real/cuda_devices.hpp"
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

namespace {
void need(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw RealError(fmt::format("{} failed: {} ({})", what, cudaGetErrorString(e), cudaGetErrorName(e)));
}
}  // namespace

bool set_cuda_peer_access(const std::vector<int>& used, bool wanted) {
  bool on = used.size() > 1 && wanted;
  for (int from : used)
    for (int to : used) {
      if (from == to) continue;
      int can = 0;
      need(cudaDeviceCanAccessPeer(&can, from, to), "cudaDeviceCanAccessPeer");
      need(cudaSetDevice(from), "cudaSetDevice");
      if (wanted && can) {
        const cudaError_t e = cudaDeviceEnablePeerAccess(to, 0);
        if (e == cudaErrorPeerAccessAlreadyEnabled)
          cudaGetLastError();  // clear it
        else
          need(e, "cudaDeviceEnablePeerAccess");
      } else {
        const cudaError_t e = cudaDeviceDisablePeerAccess(to);
        if (e == cudaErrorPeerAccessNotEnabled)
          cudaGetLastError();
        else
          need(e, "cudaDeviceDisablePeerAccess");
      }
      on = on && can;
    }
  return on;
}

}  // namespace schedcheck
