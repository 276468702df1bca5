#include "weights.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include "errors.hpp"
#include "hash.hpp"

namespace gsb {
namespace {

struct Pending {
  ggml_tensor* t;
  float center;  // values are center + scale * uniform(-1, 1)
  float scale;
};

// Fills one tensor (F32 or F16) in chunks, the chunk's values computed on several threads.
void fill(const Pending& p, uint64_t key) {
  const int64_t n = ggml_nelements(p.t);
  const int64_t chunk = int64_t{1} << 22;
  std::vector<float> values(static_cast<size_t>(std::min(n, chunk)));
  std::vector<ggml_fp16_t> halves(p.t->type == GGML_TYPE_F16 ? values.size() : 0);
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t count = std::min(chunk, n - begin);
    auto work = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        values[static_cast<size_t>(i)] =
            p.center + p.scale * uniform_pm1(mix64(key + static_cast<uint64_t>(begin + i)));
    };
    if (count < (int64_t{1} << 16)) {
      work(0, count);
    } else {
      std::vector<std::thread> threads;
      const int64_t per = (count + workers - 1) / workers;
      for (int64_t lo = 0; lo < count; lo += per)
        threads.emplace_back(work, lo, std::min(count, lo + per));
      for (std::thread& th : threads) th.join();
    }
    if (p.t->type == GGML_TYPE_F16) {
      ggml_fp32_to_fp16_row(values.data(), halves.data(), count);
      ggml_backend_tensor_set(p.t, halves.data(), static_cast<size_t>(begin) * sizeof(ggml_fp16_t),
                              static_cast<size_t>(count) * sizeof(ggml_fp16_t));
    } else {
      ggml_backend_tensor_set(p.t, values.data(), static_cast<size_t>(begin) * sizeof(float),
                              static_cast<size_t>(count) * sizeof(float));
    }
  }
}

}  // namespace

Weights::Weights(const ModelShape& shape, const std::vector<int>& layer_device, int head_device,
                 const std::function<ggml_backend_buffer_type_t(int)>& device_buft, uint64_t seed) {
  auto ctx_of = [&](int device) {
    ggml_context*& c = ctx_[device];
    if (c == nullptr) {
      const ggml_init_params params = {ggml_tensor_overhead() * 1024, nullptr, true};
      c = ggml_init(params);
    }
    return c;
  };
  const int64_t e = shape.n_embd;
  const float matrix_scale = std::sqrt(3.0f / static_cast<float>(e));  // unit variance out
  std::vector<Pending> pending;
  // Creation order fixes each tensor's index, hence its values, whatever the placement.
  auto make = [&](int device, const std::string& name, ggml_type type, int64_t ne0, int64_t ne1,
                  float center, float scale) {
    ggml_tensor* t = ne1 > 0 ? ggml_new_tensor_2d(ctx_of(device), type, ne0, ne1)
                             : ggml_new_tensor_1d(ctx_of(device), type, ne0);
    ggml_set_name(t, name.c_str());
    pending.push_back({t, center, scale});
    return t;
  };
  const ggml_type w = shape.wtype;
  token_embd = make(kCpu, "token_embd.weight", w, e, shape.n_vocab, 0.0f, 1.0f);
  for (int l = 0; l < shape.n_layer; ++l) {
    const int d = layer_device[static_cast<size_t>(l)];
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.attn_norm = make(d, p + "attn_norm.weight", GGML_TYPE_F32, e, 0, 1.0f, 0.1f);
    lw.wq = make(d, p + "attn_q.weight", w, e, e, 0.0f, matrix_scale);
    lw.wk = make(d, p + "attn_k.weight", w, e, e, 0.0f, matrix_scale);
    lw.wv = make(d, p + "attn_v.weight", w, e, e, 0.0f, matrix_scale);
    lw.wo = make(d, p + "attn_output.weight", w, e, e, 0.0f, matrix_scale);
    if (shape.n_ff > 0) {
      const float down_scale = std::sqrt(3.0f / static_cast<float>(shape.n_ff));
      lw.ffn_norm = make(d, p + "ffn_norm.weight", GGML_TYPE_F32, e, 0, 1.0f, 0.1f);
      lw.ffn_gate = make(d, p + "ffn_gate.weight", w, e, shape.n_ff, 0.0f, matrix_scale);
      lw.ffn_up = make(d, p + "ffn_up.weight", w, e, shape.n_ff, 0.0f, matrix_scale);
      lw.ffn_down = make(d, p + "ffn_down.weight", w, shape.n_ff, e, 0.0f, down_scale);
    }
    layers.push_back(lw);
  }
  output_norm = make(head_device, "output_norm.weight", GGML_TYPE_F32, e, 0, 1.0f, 0.1f);
  output = make(head_device, "output.weight", w, e, shape.n_vocab, 0.0f, matrix_scale);

  for (const auto& [device, c] : ctx_) {
    ggml_backend_buffer_t b = ggml_backend_alloc_ctx_tensors_from_buft(c, device_buft(device));
    if (b == nullptr)
      throw BenchError("cannot allocate the weights of device " + std::to_string(device) + " in " +
                       ggml_backend_buft_name(device_buft(device)));
    ggml_backend_buffer_set_usage(b, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    buffers_.push_back(b);
    bytes += ggml_backend_buffer_get_size(b);
  }
  for (size_t i = 0; i < pending.size(); ++i) fill(pending[i], hash_of(seed, 0x77e19, i));
}

Weights::~Weights() {
  for (ggml_backend_buffer_t b : buffers_) ggml_backend_buffer_free(b);
  for (const auto& [device, c] : ctx_) ggml_free(c);
}

}  // namespace gsb
