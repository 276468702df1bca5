#include "graph.hpp"

#include <cmath>
#include <string>

namespace gsb {
namespace {

constexpr float kNormEps = 1e-5f;

// Names and places an op (views follow their source, as the scheduler places them).
ggml_tensor* op(const AssignFn& assign, int device, ggml_tensor* t, const std::string& name) {
  ggml_set_name(t, name.c_str());
  if (assign && !is_view(t)) assign(t, device);
  return t;
}

ggml_tensor* input(ggml_context* ctx, ggml_type type, int64_t ne0, int64_t ne1, const char* name) {
  ggml_tensor* t =
      ne1 > 0 ? ggml_new_tensor_2d(ctx, type, ne0, ne1) : ggml_new_tensor_1d(ctx, type, ne0);
  ggml_set_name(t, name);
  ggml_set_input(t);
  return t;
}

}  // namespace

bool is_view(const ggml_tensor* t) {
  switch (t->op) {
    case GGML_OP_VIEW:
    case GGML_OP_RESHAPE:
    case GGML_OP_PERMUTE:
    case GGML_OP_TRANSPOSE:
      return true;
    default:
      return false;
  }
}

GraphBuilder::GraphBuilder(const ModelShape& shape, const Weights& weights,
                           std::vector<int> layer_device, int head_device)
    : shape_(shape),
      w_(weights),
      layer_device_(std::move(layer_device)),
      head_device_(head_device),
      meta_(ggml_tensor_overhead() * kMaxNodes + ggml_graph_overhead_custom(kMaxNodes, false)) {}

GraphBuilder::~GraphBuilder() {
  if (ctx_ != nullptr) ggml_free(ctx_);
}

ggml_tensor* GraphBuilder::layer(ggml_context* ctx, int l, ggml_tensor* x, const UbatchGraph& g,
                                 const AssignFn& assign) const {
  const LayerWeights& lw = w_.layers[static_cast<size_t>(l)];
  const int d = layer_device_[static_cast<size_t>(l)];
  const std::string s = "-" + std::to_string(l);
  const int64_t e = shape_.n_embd, nh = shape_.n_head, hd = e / nh, t = shape_.n_tokens;
  auto A = [&](ggml_tensor* r, const char* name) { return op(assign, d, r, name + s); };

  ggml_tensor* n = A(ggml_rms_norm(ctx, x, kNormEps), "norm");
  n = A(ggml_mul(ctx, n, lw.attn_norm), "attn_norm");
  ggml_tensor* q = A(ggml_mul_mat(ctx, lw.wq, n), "Qcur");
  ggml_tensor* k = A(ggml_mul_mat(ctx, lw.wk, n), "Kcur");
  ggml_tensor* v = A(ggml_mul_mat(ctx, lw.wv, n), "Vcur");
  q = A(ggml_rope(ctx, ggml_reshape_3d(ctx, q, hd, nh, t), g.pos, static_cast<int>(hd),
                  GGML_ROPE_TYPE_NEOX),
        "Qrope");
  k = A(ggml_rope(ctx, ggml_reshape_3d(ctx, k, hd, nh, t), g.pos, static_cast<int>(hd),
                  GGML_ROPE_TYPE_NEOX),
        "Krope");
  // [hd, t, nh] views, as llama.cpp's q and cached k; v transposed, as its non-FA v cache.
  ggml_tensor* qp = ggml_permute(ctx, q, 0, 2, 1, 3);
  ggml_tensor* kp = ggml_permute(ctx, k, 0, 2, 1, 3);
  ggml_tensor* vt =
      A(ggml_cont(ctx, ggml_permute(ctx, ggml_reshape_3d(ctx, v, hd, nh, t), 1, 2, 0, 3)), "vT");
  ggml_tensor* kq = A(ggml_mul_mat(ctx, kp, qp), "kq");  // [t (keys), t (queries), nh]
  ggml_mul_mat_set_prec(kq, GGML_PREC_F32);              // as llama.cpp
  kq = A(ggml_soft_max_ext(ctx, kq, g.mask, 1.0f / std::sqrt(static_cast<float>(hd)), 0.0f),
         "kq_soft_max");
  ggml_tensor* kqv = A(ggml_mul_mat(ctx, vt, kq), "kqv");  // [hd, t, nh]
  ggml_tensor* merged =
      A(ggml_cont_2d(ctx, ggml_permute(ctx, kqv, 0, 2, 1, 3), e, t), "kqv_merged");
  ggml_tensor* attn = A(ggml_mul_mat(ctx, lw.wo, merged), "attn_out");
  x = A(ggml_add(ctx, attn, x), "ffn_inp");
  if (shape_.n_ff == 0) return x;

  ggml_tensor* m = A(ggml_rms_norm(ctx, x, kNormEps), "ffn_norm_raw");
  m = A(ggml_mul(ctx, m, lw.ffn_norm), "ffn_norm");
  ggml_tensor* gate = A(ggml_mul_mat(ctx, lw.ffn_gate, m), "ffn_gate");
  ggml_tensor* up = A(ggml_mul_mat(ctx, lw.ffn_up, m), "ffn_up");
  ggml_tensor* h = A(ggml_swiglu_split(ctx, gate, up), "ffn_swiglu");
  ggml_tensor* down = A(ggml_mul_mat(ctx, lw.ffn_down, h), "ffn_out");
  return A(ggml_add(ctx, down, x), "l_out");
}

UbatchGraph GraphBuilder::build(const AssignFn& assign) {
  if (ctx_ != nullptr) ggml_free(ctx_);
  const ggml_init_params params = {meta_.size(), meta_.data(), true};
  ctx_ = ggml_init(params);
  ggml_context* ctx = ctx_;
  UbatchGraph g;
  g.gf = ggml_new_graph_custom(ctx, kMaxNodes, false);
  const int64_t t = shape_.n_tokens;
  g.tokens = input(ctx, GGML_TYPE_I32, t, 0, "inp_tokens");
  g.pos = input(ctx, GGML_TYPE_I32, t, 0, "inp_pos");
  g.mask = input(ctx, GGML_TYPE_F32, t, t, "kq_mask");
  g.out_ids = input(ctx, GGML_TYPE_I32, t, 0, "inp_out_ids");

  ggml_tensor* x = op(assign, kCpu, ggml_get_rows(ctx, w_.token_embd, g.tokens), "inp_embd");
  for (int l = 0; l < shape_.n_layer; ++l) x = layer(ctx, l, x, g, assign);
  auto H = [&](ggml_tensor* r, const char* name) { return op(assign, head_device_, r, name); };
  x = H(ggml_get_rows(ctx, x, g.out_ids), "result_rows");
  x = H(ggml_rms_norm(ctx, x, kNormEps), "result_norm_raw");
  x = H(ggml_mul(ctx, x, w_.output_norm), "result_norm");
  g.logits = H(ggml_mul_mat(ctx, w_.output, x), "result_output");
  ggml_set_output(g.logits);
  ggml_build_forward_expand(g.gf, g.logits);
  return g;
}

}  // namespace gsb
