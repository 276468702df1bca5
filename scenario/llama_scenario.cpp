// llama.cpp's decoder graph as a shaped scenario. Node names are llama.cpp's tensor names with
// the layer appended ("Qcur-0", "kq_soft_max-1", "l_out-3"); weights are GGUF names.
#include "scenario/llama_scenario.hpp"

#include <cmath>
#include <stdexcept>

#include "scenario/scenario_builder.hpp"

namespace schedcheck {
namespace {

constexpr uint64_t kPlaceAlignment = 256;  // every persistent tensor starts on this

class LlamaBuilder {
 public:
  explicit LlamaBuilder(const LlamaShape& shape) : l_(shape) {}

  Scenario build();

 private:
  using Dims = std::vector<int64_t>;
  static uint64_t bytes(const Dims& d) {
    uint64_t n = 4;
    for (int64_t x : d) n *= static_cast<uint64_t>(x);
    return n;
  }

  Index weight(const std::string& name, Index buffer, Dims shape, double scale) {
    Buffer& b = s().buffers[buffer];
    b.size = (b.size + kPlaceAlignment - 1) / kPlaceAlignment * kPlaceAlignment;
    const Index t = add_persistent_tensor(s(), name, buffer, bytes(shape));
    s().tensors[t].shape = std::move(shape);
    s().tensors[t].values.scale = scale;
    return t;
  }
  // Weights of a product over K inputs: uniform values of variance 1/K keep activations near 1.
  Index matrix(const std::string& name, Index buffer, int64_t k, int64_t m) {
    return weight(name, buffer, {k, m}, std::sqrt(3.0 / static_cast<double>(k)));
  }
  Index input(const std::string& name, Dims shape, ElementType type, TensorValues::Fill fill) {
    const Index t = add_user_input(s(), name, bytes(shape));
    s().tensors[t].shape = std::move(shape);
    s().tensors[t].type = type;
    s().tensors[t].values.fill = fill;
    return t;
  }
  Index node(const std::string& name, const std::string& op, Index backend,
             std::vector<Index> sources, Dims shape, bool inplace = false,
             std::vector<std::vector<ViewStep>> views = {},
             std::map<std::string, double> params = {}) {
    const Index t = add_node(s(), name, op, backend, std::move(sources), bytes(shape));
    s().tensors[t].shape = std::move(shape);
    Node& n = s().nodes.back();
    n.inplace = inplace;
    if (!views.empty()) n.source_views = std::move(views);
    n.params = std::move(params);
    return t;
  }
  void writer(const std::string& name, Index backend, Index target, std::vector<Index> sources,
              std::vector<std::vector<ViewStep>> views) {
    Node n;
    n.name = name;
    n.op = "set_rows";
    n.backend = backend;
    n.sources = std::move(sources);
    n.output = target;
    n.writes_persistent = true;
    n.source_views = std::move(views);
    s().nodes.push_back(std::move(n));
  }
  static ViewStep reshape(Dims d) { return {ViewStep::Kind::reshape, std::move(d)}; }
  static ViewStep permute(Dims d) { return {ViewStep::Kind::permute, std::move(d)}; }

  Index layer(int il, int stage, Index in);
  Scenario& s() { return b_.scenario(); }

  const LlamaShape& l_;
  ScenarioBuilder b_{"llama"};
  int64_t cells_ = 0, hd_ = 0, e_kv_ = 0;
  Index pos_ = kNone, mask_ = kNone, k_idxs_ = kNone, v_idxs_ = kNone;
  std::vector<Index> backend_, weights_, kv_;  // per stage (GPU, or the CPU alone)
};

Index LlamaBuilder::layer(int il, int stage, Index in) {
  const Index gpu = backend_[stage];
  const std::string n = std::to_string(il);
  const std::string blk = "blk." + n + ".";
  const int64_t e = l_.n_embd, t = l_.n_ubatch, h = l_.n_head, hkv = l_.n_head_kv, f = l_.n_ff;
  const Index w = weights_[stage];
  const Index attn_norm_w = weight(blk + "attn_norm.weight", w, {e}, 1);
  const Index wq = matrix(blk + "attn_q.weight", w, e, e);
  const Index wk = matrix(blk + "attn_k.weight", w, e, e_kv_);
  const Index wv = matrix(blk + "attn_v.weight", w, e, e_kv_);
  const Index wo = matrix(blk + "attn_output.weight", w, e, e);
  const Index ffn_norm_w = weight(blk + "ffn_norm.weight", w, {e}, 1);
  const Index w_gate = matrix(blk + "ffn_gate.weight", w, e, f);
  const Index w_up = matrix(blk + "ffn_up.weight", w, e, f);
  const Index w_down = matrix(blk + "ffn_down.weight", w, f, e);
  const Index cache_k = weight("cache_k_l" + n, kv_[stage], {e_kv_, cells_}, 1);
  const Index cache_v = weight("cache_v_l" + n, kv_[stage], {e_kv_, cells_}, 1);

  const Index norm =
      node("attn_norm-" + n, "rms_norm", gpu, {in}, {e, t}, false, {}, {{"eps", l_.rms_eps}});
  const Index x = node("attn_norm_w-" + n, "mul", gpu, {norm, attn_norm_w}, {e, t}, true);
  const Index q = node("Qcur-" + n, "mul_mat", gpu, {wq, x}, {e, t});
  const Index k = node("Kcur-" + n, "mul_mat", gpu, {wk, x}, {e_kv_, t});
  const Index v = node("Vcur-" + n, "mul_mat", gpu, {wv, x}, {e_kv_, t});
  const std::map<std::string, double> rope{
      {"n_dims", static_cast<double>(hd_)}, {"mode", 0}, {"freq_base", l_.rope_freq_base}};
  // ROPE may work in place, but ggml's allocator does not take Qcur's memory through the
  // reshape that feeds it (one allocation each, as the real scheduler shows).
  const Index qr = node("Qrope-" + n, "rope", gpu, {q, pos_}, {hd_, h, t}, false,
                        {{reshape({hd_, h, t})}, {}}, rope);
  const Index kr = node("Krope-" + n, "rope", gpu, {k, pos_}, {hd_, hkv, t}, false,
                        {{reshape({hd_, hkv, t})}, {}}, rope);
  writer("k_store-" + n, gpu, cache_k, {kr, k_idxs_}, {{reshape({e_kv_, t})}, {}});
  writer("v_store-" + n, gpu, cache_v, {v, v_idxs_}, {});
  const Index kq =
      node("kq-" + n, "mul_mat", gpu, {cache_k, qr}, {cells_, t, h}, false,
           {{reshape({hd_, hkv, cells_}), permute({0, 2, 1, 3})}, {permute({0, 2, 1, 3})}});
  const Index sm = node("kq_soft_max-" + n, "soft_max", gpu, {kq, mask_}, {cells_, t, h}, true, {},
                        {{"scale", 1.0 / std::sqrt(static_cast<double>(hd_))}});
  const Index vt = node("v_t-" + n, "cont", gpu, {cache_v}, {cells_, hd_, hkv}, false,
                        {{reshape({hd_, hkv, cells_}), permute({1, 2, 0, 3})}});
  const Index kqv = node("kqv-" + n, "mul_mat", gpu, {vt, sm}, {hd_, t, h});
  const Index merged =
      node("kqv_out-" + n, "cont", gpu, {kqv}, {e, t}, false, {{permute({0, 2, 1, 3})}});
  const Index attn = node("attn_out-" + n, "mul_mat", gpu, {wo, merged}, {e, t});
  const Index ffn_inp = node("ffn_inp-" + n, "add", gpu, {attn, in}, {e, t}, true);
  const Index fnorm =
      node("ffn_norm-" + n, "rms_norm", gpu, {ffn_inp}, {e, t}, false, {}, {{"eps", l_.rms_eps}});
  const Index fx = node("ffn_norm_w-" + n, "mul", gpu, {fnorm, ffn_norm_w}, {e, t}, true);
  const Index gate = node("ffn_gate-" + n, "mul_mat", gpu, {w_gate, fx}, {f, t});
  const Index up = node("ffn_up-" + n, "mul_mat", gpu, {w_up, fx}, {f, t});
  const Index act = node("ffn_silu-" + n, "silu", gpu, {gate}, {f, t}, true);
  const Index gu = node("ffn_gate_par-" + n, "mul", gpu, {act, up}, {f, t}, true);
  const Index down = node("ffn_out-" + n, "mul_mat", gpu, {w_down, gu}, {e, t});
  return node("l_out-" + n, "add", gpu, {down, ffn_inp}, {e, t}, true);
}

Scenario LlamaBuilder::build() {
  const LlamaShape& l = l_;
  auto positive = [](int v, const char* what) {
    if (v < 1) throw std::invalid_argument(std::string(what) + " must be at least 1");
  };
  positive(l.n_embd, "n_embd");
  positive(l.n_head, "n_head");
  positive(l.n_head_kv, "n_head_kv");
  positive(l.n_ff, "n_ff");
  positive(l.n_vocab, "n_vocab");
  positive(l.n_ubatch, "n_ubatch");
  positive(l.ubatches, "ubatches");
  if (l.layers_per_gpu.empty()) throw std::invalid_argument("layers_per_gpu: at least one GPU");
  for (int x : l.layers_per_gpu) positive(x, "layers per GPU");
  if (l.n_embd % l.n_head != 0) throw std::invalid_argument("n_embd must be a multiple of n_head");
  if (l.n_head % l.n_head_kv != 0)
    throw std::invalid_argument("n_head must be a multiple of n_head_kv");
  if ((l.n_embd / l.n_head) % 2 != 0) throw std::invalid_argument("the head size must be even");
  hd_ = l.n_embd / l.n_head;
  e_kv_ = hd_ * l.n_head_kv;
  cells_ = static_cast<int64_t>(l.n_ubatch) * l.ubatches;
  // Kind CPU: every layer on the CPU backend (one stage), as a build without GPUs runs it.
  const bool on_cpu = l.kind == BackendKind::cpu;
  const int gpus = on_cpu ? 0 : static_cast<int>(l.layers_per_gpu.size());
  const std::string prefix(to_string(l.kind));

  for (int g = 0; g < gpus; ++g)
    backend_.push_back(b_.backend(prefix + std::to_string(g), l.kind, g));
  const Index cpu = b_.backend("CPU", BackendKind::cpu);
  const Index cpu_weights =
      b_.buffer("CPU_weights", BufferKind::pageable_host, BufferUsage::weights, kNone);
  for (int g = 0; g < gpus; ++g) {
    const std::string name = prefix + std::to_string(g);
    weights_.push_back(b_.buffer(name + "_weights", BufferKind::device, BufferUsage::weights, g));
    kv_.push_back(b_.buffer(name + "_kv", BufferKind::device, BufferUsage::kv, g));
  }
  std::vector<int> layers = l.layers_per_gpu;
  if (on_cpu) {
    backend_ = {cpu};
    weights_ = {cpu_weights};
    kv_ = {b_.buffer("CPU_kv", BufferKind::pageable_host, BufferUsage::kv, kNone)};
    int total = 0;
    for (int x : layers) total += x;
    layers = {total};
  }
  const int64_t e = l.n_embd, t = l.n_ubatch;
  const Index tok_embd = matrix("token_embd.weight", cpu_weights, e, l.n_vocab);
  const Index out_norm = weight("output_norm.weight", weights_.back(), {e}, 1);
  const Index output = matrix("output.weight", weights_.back(), e, l.n_vocab);

  using F = TensorValues::Fill;
  const Index tokens = input("inp_tokens", {t}, ElementType::i32, F::tokens);
  s().tensors[tokens].values.below = l.n_vocab;
  pos_ = input("inp_pos", {t}, ElementType::i32, F::positions);
  mask_ = input("kq_mask", {cells_, t}, ElementType::f32, F::causal_mask);
  k_idxs_ = input("k_idxs", {t}, ElementType::i32, F::positions);
  v_idxs_ = input("v_idxs", {t}, ElementType::i32, F::positions);

  Index cur = node("inp_embd", "get_rows", cpu, {tok_embd, tokens}, {e, t});
  int il = 0;
  for (std::size_t stage = 0; stage < layers.size(); ++stage)
    for (int k = 0; k < layers[stage]; ++k) cur = layer(il++, static_cast<int>(stage), cur);
  const Index last = backend_.back();
  // The last layer's output has no other reader: the norm takes its memory.
  const Index norm =
      node("result_norm", "rms_norm", last, {cur}, {e, t}, true, {}, {{"eps", l.rms_eps}});
  const Index normed = node("result_norm_w", "mul", last, {norm, out_norm}, {e, t}, true);
  const Index logits = node("result_output", "mul_mat", last, {output, normed}, {l.n_vocab, t});
  s().tensors[logits].flags |= kFlagOutput;

  const Index logits_buffer =
      b_.buffer("logits", BufferKind::pinned_host, BufferUsage::output, kNone,
                static_cast<uint64_t>(l.ubatches) * s().tensors[logits].size);
  s().scheduler.pipeline_parallel = gpus > 1;
  s().scheduler.max_copies = l.max_copies;
  s().driver.ubatches_per_batch = {l.ubatches};
  s().driver.outputs.push_back(OutputRead{logits, logits_buffer, OutputRead::When::all, {}});

  s().name = "llama-" + std::to_string(il) + "L-" +
             (on_cpu ? std::string("CPU") : std::to_string(gpus) + "x" + prefix) + "-" +
             std::to_string(l.ubatches) + "ub";
  std::string placement = "the CPU";
  if (!on_cpu) {
    placement = std::to_string(gpus) + " " + prefix + " GPUs (--split-mode layer";
    if (gpus > 1)
      placement += ", full offload: pipeline parallelism, n_copies " + std::to_string(l.max_copies);
    placement += "), token embeddings on the CPU";
  }
  s().description =
      "llama.cpp's decoder graph (build_llama: RMS norm, rope, GQA attention with mul_mat and "
      "soft_max over a non-transposed KV cache, SwiGLU FFN) computed with its own ops; n_embd " +
      std::to_string(l.n_embd) + ", " + std::to_string(l.n_head) + " heads (" +
      std::to_string(l.n_head_kv) + " KV), n_ff " + std::to_string(l.n_ff) + ", vocab " +
      std::to_string(l.n_vocab) + "; " + std::to_string(il) + " layers on " + placement +
      "; one decode of " + std::to_string(l.ubatches) + " ubatches of " +
      std::to_string(l.n_ubatch) +
      " tokens (a prompt), logits for every token (perplexity-style); a KV cache of " +
      std::to_string(cells_) +
      " cells viewed whole under a causal mask; no graph reuse; random weights. Made by "
      "`schedcheck llama-scenario`.";
  return b_.take();
}

}  // namespace

Scenario make_llama_scenario(const LlamaShape& shape) {
  return LlamaBuilder(shape).build();
}

}  // namespace schedcheck
