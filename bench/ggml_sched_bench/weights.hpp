// A model's weights, each tensor in the buffer of the device that runs its layer (llama.cpp's
// placement): random values that depend only on the seed and the tensor's index, so the
// reference's CPU copy and the offloaded copy hold the same numbers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "scenario.hpp"

namespace gsb {

struct LayerWeights {
  ggml_tensor* attn_norm = nullptr;
  ggml_tensor* wq = nullptr;
  ggml_tensor* wk = nullptr;
  ggml_tensor* wv = nullptr;
  ggml_tensor* wo = nullptr;
  ggml_tensor* ffn_norm = nullptr;  // the FFN's only with n_ff > 0
  ggml_tensor* ffn_gate = nullptr;
  ggml_tensor* ffn_up = nullptr;
  ggml_tensor* ffn_down = nullptr;
};

class Weights {
 public:
  // device_buft(d): the buffer type for device d (kCpu or a GPU index). The token embedding
  // lives on the CPU, layer l on layer_device[l], the output norm and head on head_device.
  Weights(const ModelShape& shape, const std::vector<int>& layer_device, int head_device,
          const std::function<ggml_backend_buffer_type_t(int)>& device_buft, uint64_t seed);
  ~Weights();
  Weights(const Weights&) = delete;
  Weights& operator=(const Weights&) = delete;

  ggml_tensor* token_embd = nullptr;
  std::vector<LayerWeights> layers;
  ggml_tensor* output_norm = nullptr;
  ggml_tensor* output = nullptr;
  size_t bytes = 0;

 private:
  std::map<int, ggml_context*> ctx_;  // per device
  std::vector<ggml_backend_buffer_t> buffers_;
};

}  // namespace gsb
