// What a scenario file may contain at most: bounds that keep a hostile or mistaken file from
// exhausting memory or recursion, far beyond any real configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace schedcheck::json_format {

inline constexpr uint64_t kMaxSize = uint64_t{1} << 40;  // sizes and offsets: 1 TiB
inline constexpr std::size_t kMaxDepth = 64;  // the format nests 6 deep; this bounds recursion
inline constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
inline constexpr uint64_t kMaxDevice = 63;
inline constexpr uint64_t kMaxAlignment = 4096;
inline constexpr uint64_t kMaxCopies = 16;
inline constexpr uint64_t kMaxUbatches = 4096;
inline constexpr uint64_t kMaxEvaluations = 100000;
inline constexpr uint64_t kMaxExperts = 4096;
inline constexpr uint64_t kMaxSequences = 256;  // llama.cpp's LLAMA_MAX_SEQ

inline std::string limit_text(uint64_t v) {
  return v == kMaxSize ? std::to_string(v) + " (2^40)" : std::to_string(v);
}

}  // namespace schedcheck::json_format
