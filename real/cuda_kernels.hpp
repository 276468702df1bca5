// The real executor's two kernels and their launchers: a node (checksums of its sources mixed
// into every output byte) and a spin of N nanoseconds (delay injection). Kept apart from the
// executor so that nvcc compiles only this (C++17) and the executor stays plain C++20.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace schedcheck {

inline constexpr int kMaxSources = 32;

struct SourceRange {
  const uint8_t* ptr;
  uint64_t size;
  uint64_t position;  // of ptr[0] within its logical tensor
};

struct NodeLaunch {
  SourceRange src[kMaxSources];
  int n_src;
  uint8_t* out;
  uint64_t out_size;
  uint64_t out_position;
  uint32_t seed;
};

cudaError_t launch_node(cudaStream_t stream, const NodeLaunch& launch);
cudaError_t launch_spin(cudaStream_t stream, unsigned long long nanoseconds);

}  // namespace schedcheck
