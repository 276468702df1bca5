#include "inputs.hpp"

#include <cmath>

#include "ggml-backend.h"

#include "graph.hpp"
#include "hash.hpp"

namespace gsb {

UbatchInputs make_inputs(const ModelShape& shape, uint64_t seed, int set, int ubatch) {
  const int t = shape.n_tokens;
  const auto s = static_cast<uint64_t>(set);
  const auto k = static_cast<uint64_t>(ubatch);
  UbatchInputs in;
  in.tokens.resize(static_cast<size_t>(t));
  in.pos.resize(static_cast<size_t>(t));
  in.out_ids.resize(static_cast<size_t>(t));
  in.mask.assign(static_cast<size_t>(t) * static_cast<size_t>(t), -INFINITY);
  const int window = static_cast<int>(hash_of(seed, 0x3a5c, s, k) % static_cast<uint64_t>(t));
  const int rotation = static_cast<int>(hash_of(seed, 0x07a1, s, k) % static_cast<uint64_t>(t));
  for (int i = 0; i < t; ++i) {
    const auto ii = static_cast<size_t>(i);
    in.tokens[ii] = static_cast<int32_t>(hash_of(seed, s + 1, k + 1, ii) %
                                         static_cast<uint64_t>(shape.n_vocab));
    in.pos[ii] = set * 100000 + ubatch * t + i;  // a prompt continued ubatch after ubatch
    in.out_ids[ii] = (i + rotation) % t;
    for (int j = 0; j <= i; ++j)  // query i sees keys i - window .. i
      if (i - j <= window) in.mask[ii * static_cast<size_t>(t) + static_cast<size_t>(j)] = 0.0f;
  }
  return in;
}

UbatchInputs perturbed(const ModelShape& shape, const UbatchInputs& in) {
  UbatchInputs out = in;
  for (int32_t& token : out.tokens) token = (token + 1) % shape.n_vocab;
  return out;
}

void set_inputs(const UbatchGraph& g, const UbatchInputs& in) {
  ggml_backend_tensor_set(g.tokens, in.tokens.data(), 0, ggml_nbytes(g.tokens));
  ggml_backend_tensor_set(g.pos, in.pos.data(), 0, ggml_nbytes(g.pos));
  ggml_backend_tensor_set(g.mask, in.mask.data(), 0, ggml_nbytes(g.mask));
  ggml_backend_tensor_set(g.out_ids, in.out_ids.data(), 0, ggml_nbytes(g.out_ids));
}

}  // namespace gsb
