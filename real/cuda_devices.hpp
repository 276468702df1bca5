// The GPUs of a run (real/cuda_devices.cpp; cuda_available and cuda_device_count are declared in
// real/real_run.hpp, which builds without CUDA).
#pragma once

#include <vector>

namespace schedcheck {

// Peer access between every pair of distinct GPUs in `used` when `wanted` and supported, off
// otherwise (it is per context, so a previous run's setting is undone); true if it is on between
// all of them. Leaves any device current. Throws RealError.
bool set_cuda_peer_access(const std::vector<int>& used, bool wanted);

}  // namespace schedcheck
