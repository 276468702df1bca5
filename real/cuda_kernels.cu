#include "real/cuda_kernels.hpp"
#include "real/value_hash.hpp"

namespace schedcheck {
namespace {

// One block computes one node: a checksum per source (summed, so the reduction order does not
// matter), then every output byte from the digest, the node's seed and the position.
__global__ void node_kernel(NodeLaunch l) {
  __shared__ uint32_t partial[256];
  uint32_t digest = 0;
  for (int j = 0; j < l.n_src; ++j) {
    uint32_t sum = 0;
    for (uint64_t k = threadIdx.x; k < l.src[j].size; k += blockDim.x)
      sum += values::byte_term(l.src[j].ptr[k], l.src[j].position + k);
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
      if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
      __syncthreads();
    }
    digest += values::source_term(partial[0], j);
    __syncthreads();
  }
  for (uint64_t i = threadIdx.x; i < l.out_size; i += blockDim.x)
    l.out[i] = values::node_byte(l.seed, digest, l.out_position + i);
}

__global__ void spin_kernel(unsigned long long nanoseconds) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < nanoseconds);
}

}  // namespace

cudaError_t launch_node(cudaStream_t stream, const NodeLaunch& launch) {
  node_kernel<<<1, 256, 0, stream>>>(launch);
  return cudaGetLastError();
}

cudaError_t launch_spin(cudaStream_t stream, unsigned long long nanoseconds) {
  spin_kernel<<<1, 1, 0, stream>>>(nanoseconds);
  return cudaGetLastError();
}

}  // namespace schedcheck
