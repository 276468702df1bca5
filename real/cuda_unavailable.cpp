// Built when nvcc was not found at configure time: the GPU path reports why it cannot run.
#include "real/real_run.hpp"

namespace schedcheck {

bool cuda_available(std::string* reason) {
  if (reason)
    *reason =
        "no CUDA device: this build has no CUDA support (nvcc was not found when it was "
        "configured)";
  return false;
}

int cuda_device_count() {
  return 0;
}

RealRunResult run_on_gpu(const Scenario&, const Policy&, const DelayPlan&, const GpuPlacement&, bool) {
  throw RealError("this build has no CUDA support");
}

}  // namespace schedcheck
