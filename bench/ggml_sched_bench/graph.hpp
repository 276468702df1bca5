// A ubatch's graph, built as llama.cpp builds it: into a reused metadata buffer, every op
// placed on its layer's device through a callback (ggml_backend_sched_set_tensor_backend in
// the measured run, nothing in the CPU reference).
//   embedding  inp_embd = get_rows(token_embd, inp_tokens)                  (CPU)
//   layer l    x += wo * attention(rope(wq * n), rope(wk * n), wv * n; kq_mask), n = norm(x)
//              x += w_down * swiglu(w_gate * m, w_up * m), m = norm(x)     (n_ff > 0)
//   head       result_output = output * norm(get_rows(x, inp_out_ids))
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ggml.h"
#include "scenario.hpp"
#include "weights.hpp"

namespace gsb {

struct UbatchGraph {
  ggml_cgraph* gf = nullptr;
  ggml_tensor* tokens = nullptr;   // I32 [n_tokens]
  ggml_tensor* pos = nullptr;      // I32 [n_tokens]
  ggml_tensor* mask = nullptr;     // F32 [n_tokens, n_tokens]
  ggml_tensor* out_ids = nullptr;  // I32 [n_tokens]
  ggml_tensor* logits = nullptr;   // F32 [n_vocab, n_tokens]
};

// Views (view, reshape, permute, transpose): placed with their source by the scheduler.
bool is_view(const ggml_tensor* t);

// Called for every op the graph creates (views excepted), with its device (kCpu or a GPU).
using AssignFn = std::function<void(ggml_tensor*, int device)>;

class GraphBuilder {
 public:
  static constexpr size_t kMaxNodes = 4096;

  GraphBuilder(const ModelShape& shape, const Weights& weights, std::vector<int> layer_device,
               int head_device);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // The previous graph's tensors are invalid afterwards (the buffer is reused, as llama.cpp's
  // buf_compute_meta): build only after ggml_backend_sched_reset.
  UbatchGraph build(const AssignFn& assign);

 private:
  ggml_tensor* layer(ggml_context* ctx, int l, ggml_tensor* x, const UbatchGraph& g,
                     const AssignFn& assign) const;

  ModelShape shape_;
  const Weights& w_;
  std::vector<int> layer_device_;
  int head_device_;
  std::vector<uint8_t> meta_;
  ggml_context* ctx_ = nullptr;
};

}  // namespace gsb
