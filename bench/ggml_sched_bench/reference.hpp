// The reference logits: the same graph and weights (same seed) computed once by a scheduler
// over ggml-cpu alone, one ubatch at a time, for every input set and ubatch of a decode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "scenario.hpp"

namespace gsb {

class Reference {
 public:
  Reference(const ModelShape& shape, uint64_t seed, int sets, int ubatches, int threads);

  const float* logits(int set, int ubatch) const { return values_.data() + offset(set, ubatch); }
  size_t per_ubatch() const { return per_ubatch_; }  // floats: n_vocab x n_tokens
  double seconds() const { return seconds_; }
  float largest_magnitude() const { return largest_; }

 private:
  size_t offset(int set, int ubatch) const {
    return (static_cast<size_t>(set) * static_cast<size_t>(ubatches_) +
            static_cast<size_t>(ubatch)) *
           per_ubatch_;
  }
  float* at(int set, int ubatch) { return values_.data() + offset(set, ubatch); }

  int ubatches_;
  size_t per_ubatch_;
  std::vector<float> values_;
  double seconds_ = 0;
  float largest_ = 0;
};

}  // namespace gsb
