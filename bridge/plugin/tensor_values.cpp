// The values a run writes: weights once (eval -1), user inputs per evaluation. Uniform values are
// multiples of 2^-10 in [-1, 1] (times the tensor's scale): in graphs of adds every sum is exact,
// so the CPU reference and a GPU agree to the bit. Graphs with own ops also need inputs that mean
// what llama.cpp's mean: token ids, positions of consecutive ubatches, a causal mask.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {
namespace {

uint32_t mix(int tensor, int eval, std::size_t i) {
  uint32_t h = static_cast<uint32_t>(tensor) * 0x9E3779B1u ^
               (static_cast<uint32_t>(eval + 2) * 0x85EBCA77u) ^
               (static_cast<uint32_t>(i) * 0xC2B2AE3Du);
  h ^= h >> 15;
  h *= 0x2C1B3C6Du;
  h ^= h >> 12;
  return h;
}

// Weights of a real-sized model are ~10^9 values: made on every core (the same values).
template <typename Fn>
void for_each_index(std::size_t count, Fn fn) {
  const std::size_t workers =
      count < (std::size_t{1} << 20) ? 1 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  const std::size_t chunk = (count + workers - 1) / workers;
  for (std::size_t w = 1; w < workers; ++w)
    threads.emplace_back([&, w] {
      for (std::size_t i = w * chunk; i < std::min(count, (w + 1) * chunk); ++i) fn(i);
    });
  for (std::size_t i = 0; i < std::min(count, chunk); ++i) fn(i);
  for (std::thread& t : threads) t.join();
}

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace

std::size_t element_count(const TensorDesc& t) {
  if (t.shape.empty()) return static_cast<std::size_t>(t.size / 4);
  std::size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::vector<uint8_t> tensor_values(const GraphDesc& desc, int tensor, int eval) {
  const TensorDesc& t = desc.tensors[tensor];
  const std::size_t count = element_count(t);
  const int e = eval < 0 ? 0 : eval;
  switch (t.fill) {
    case Fill::tokens: {
      std::vector<int32_t> v(count);
      for (std::size_t i = 0; i < count; ++i)
        v[i] = static_cast<int32_t>(mix(tensor, eval, i) % static_cast<uint32_t>(t.below));
      return bytes_of(v);
    }
    case Fill::positions: {
      std::vector<int32_t> v(count);
      const std::size_t per_eval = static_cast<std::size_t>(t.shape.empty() ? count : t.shape[0]);
      for (std::size_t i = 0; i < count; ++i)
        v[i] = static_cast<int32_t>(static_cast<std::size_t>(e) * per_eval + i % per_eval);
      return bytes_of(v);
    }
    case Fill::causal_mask: {
      // [cells, tokens]: token j of this evaluation sits at cell e * tokens + j and sees the
      // cells up to its own.
      const auto cells = static_cast<std::size_t>(t.shape.at(0));
      std::vector<float> v(count);
      const std::size_t tokens = count / cells;
      for_each_index(count, [&](std::size_t i) {
        v[i] = i % cells <= static_cast<std::size_t>(e) * tokens + i / cells
                   ? 0.0f
                   : -std::numeric_limits<float>::infinity();
      });
      return bytes_of(v);
    }
    case Fill::uniform:
      break;
  }
  std::vector<float> v(count);
  for_each_index(count, [&](std::size_t i) {
    const float u =
        static_cast<float>(static_cast<int>(mix(tensor, eval, i) % 2049) - 1024) / 1024.0f;
    v[i] = t.scale == 1 ? u : static_cast<float>(u * t.scale);
  });
  return bytes_of(v);
}

}  // namespace schedcheck::bridge
