// Counter-based pseudo-random values: every weight and input is a pure function of the seed and
// its index, so any placement of a tensor (CPU, CUDA, reference) gets the same values.
#pragma once

#include <cstdint>

namespace gsb {

// splitmix64's finalizer.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash_of(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return mix64(mix64(mix64(mix64(a) ^ b) ^ c) ^ d);
}

// Uniform in [-1, 1).
inline float uniform_pm1(uint64_t h) {
  return static_cast<float>(static_cast<double>(h >> 40) * (2.0 / 16777216.0) - 1.0);
}

}  // namespace gsb
