// The values the real executor writes: every byte of a logical value (tensor T of evaluation e)
// is a hash of (T, e, position), and a node's output bytes depend on every byte of every source
// through position-dependent checksums. Shared by the CUDA kernels and the CPU reference.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SCHEDCHECK_HD __host__ __device__
#else
#define SCHEDCHECK_HD
#endif

namespace schedcheck::values {

inline constexpr uint8_t kPoison = 0xA5;  // bytes nothing wrote

SCHEDCHECK_HD inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

SCHEDCHECK_HD inline uint32_t value_seed(int tensor, int eval) {
  return mix32(static_cast<uint32_t>(tensor) * 0x9E3779B1U ^
               mix32(static_cast<uint32_t>(eval) + 0x1234567U));
}

// Bytes of leaves: user inputs (written by the host) and initial contents (weights, caches).
SCHEDCHECK_HD inline uint8_t leaf_byte(uint32_t seed, uint64_t position) {
  return static_cast<uint8_t>(mix32(seed ^ mix32(static_cast<uint32_t>(position) * 0x85ebca6bU)) &
                              0xFF);
}

// One source byte's contribution to a node's checksum (summed: order-independent).
SCHEDCHECK_HD inline uint32_t byte_term(uint8_t byte, uint64_t position) {
  return mix32((static_cast<uint32_t>(position) << 8) ^ byte ^ 0x27d4eb2dU);
}

// Combines the checksum of source j into the node's input digest (summed).
SCHEDCHECK_HD inline uint32_t source_term(uint32_t checksum, int j) {
  return mix32(checksum + static_cast<uint32_t>(j) * 0x5bd1e995U);
}

// Output byte of a node: its value seed, its input digest and the position.
SCHEDCHECK_HD inline uint8_t node_byte(uint32_t seed, uint32_t digest, uint64_t position) {
  return static_cast<uint8_t>(
      mix32(seed ^ mix32(digest ^ static_cast<uint32_t>(position) * 0xc2b2ae35U)) & 0xFF);
}

}  // namespace schedcheck::values
