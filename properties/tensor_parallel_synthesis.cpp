// The scenario of a tensor-parallel spec: llama.cpp's blocks on ggml's meta backend over GPU
// devices of the spec's kinds (the weights split as llama.cpp's -sm tensor splits them), fed
// from the CPU, with the driver settings of the spec. Every tensor has a shape: the meta backend
// splits by op and shape.
#include <fmt/format.h>

#include <algorithm>

#include "properties/scenario_spec.hpp"
#include "scenario/scenario_builder.hpp"

namespace schedcheck {
namespace {

// Sizes every device count of 2 to 4 divides: the split dimensions are 96 and 48.
constexpr int64_t kEmbd = 64;
constexpr int64_t kRows = 96;  // q, k, v, up and gate rows; o and down columns
constexpr int64_t kVocab = 48;
constexpr int64_t kTokens = 4;

uint64_t bytes(const std::vector<int64_t>& shape) {
  uint64_t n = 4;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

class TpSynthesizer {
 public:
  TpSynthesizer(const ScenarioSpec& spec, const std::string& name) : spec_(spec), base_(name) {}

  Scenario run() {
    s().description = "generated: " + describe_spec(spec_);
    backends();
    Index x = embedding();
    const auto& blocks = spec_.tensor_parallel.blocks;
    const int n = std::clamp(static_cast<int>(blocks.size()), 1, kMaxTpBlocks);
    for (int k = 0; k < n; ++k)
      x = block(k, k < static_cast<int>(blocks.size()) ? blocks[k] : TpBlockSpec{}, x);
    if (spec_.tensor_parallel.output_head)
      x = node("result_output", "mul_mat", tp_, {weight("output.weight", {kEmbd, kVocab}, 1), x},
               {kVocab, kTokens});
    s().tensors[x].flags |= kFlagOutput;
    driver(x);
    return base_.take();
  }

 private:
  Scenario& s() { return base_.scenario(); }

  void backends() {
    const int devices = std::clamp(spec_.tensor_parallel.devices, 2, kMaxTpDevices);
    std::vector<Index> members;
    for (int d = 0; d < devices; ++d) {
      const BackendKind kind = tp_member_kind(spec_, d);
      members.push_back(base_.backend(fmt::format("{}{}", to_string(kind), d), kind, d));
    }
    Backend meta;
    meta.name = "TP";
    meta.kind = BackendKind::meta;
    meta.members = members;
    tp_ = base_.add_backend(meta);
    s().backends[tp_].compute_buffer =
        base_.buffer("TP_compute", BufferKind::device, BufferUsage::compute, tp_);
    for (Index m : members) s().backends[m].meta = tp_;
    cpu_ = base_.backend("CPU", BackendKind::cpu);
    tp_weights_ = base_.buffer("TP_weights", BufferKind::device, BufferUsage::weights, tp_);
  }

  // The residual stream's start: a user input, or token embeddings looked up on the CPU.
  Index embedding() {
    if (!spec_.tensor_parallel.cpu_embedding) {
      const Index x = base_.input("inp_embd", bytes({kEmbd, kTokens}));
      s().tensors[x].shape = {kEmbd, kTokens};
      return x;
    }
    const Index host =
        base_.buffer("CPU_weights", BufferKind::pageable_host, BufferUsage::weights, kNone);
    const Index table = base_.weight("token_embd.weight", host, bytes({kEmbd, kVocab}));
    s().tensors[table].shape = {kEmbd, kVocab};
    const Index tokens = base_.input("inp_tokens", 4 * kTokens);
    Tensor& t = s().tensors[tokens];
    t.shape = {kTokens};
    t.type = ElementType::i32;
    t.values.fill = TensorValues::Fill::tokens;
    t.values.below = kVocab;
    return node("inp_embd", "get_rows", cpu_, {table, tokens}, {kEmbd, kTokens});
  }

  // A block's matrices split by rows give each device rows of the result; the last matrix, split
  // by columns, gives each device a partial sum of the block's output.
  Index block(int k, const TpBlockSpec& b, Index x) {
    Index in = x;
    if (b.norm) {
      const Index normed = node(fmt::format("norm-{}", k), "rms_norm", tp_, {x}, {kEmbd, kTokens});
      s().nodes.back().params["eps"] = 1e-5;
      in = node(fmt::format("norm_w-{}", k), "mul", tp_,
                {normed, weight(fmt::format("blk.{}.norm.weight", k), {kEmbd}, Tensor::kMirrored)},
                {kEmbd, kTokens});
    }
    auto rows = [&](const std::string& what) {
      return node(fmt::format("{}-{}", what, k), "mul_mat", tp_,
                  {weight(fmt::format("blk.{}.{}.weight", k, what), {kEmbd, kRows}, 1), in},
                  {kRows, kTokens});
    };
    Index h;
    std::string last;
    if (b.attention) {
      const Index q = rows("attn_q"), kk = rows("attn_k"), v = rows("attn_v");
      const Index qk = node(fmt::format("kq-{}", k), "mul", tp_, {q, kk}, {kRows, kTokens});
      h = node(fmt::format("kqv-{}", k), "mul", tp_, {qk, v}, {kRows, kTokens});
      last = "attn_output";
    } else {
      h = rows("ffn_up");
      if (b.gated)
        h = node(fmt::format("ffn_gate_par-{}", k), "mul", tp_, {h, rows("ffn_gate")},
                 {kRows, kTokens});
      last = "ffn_down";
    }
    const Index partial = node(
        fmt::format("{}-{}", last, k), "mul_mat", tp_,
        {weight(fmt::format("blk.{}.{}.weight", k, last), {kRows, kEmbd}, 0), h}, {kEmbd, kTokens});
    return node(fmt::format("l_out-{}", k), "add", tp_, {x, partial}, {kEmbd, kTokens});
  }

  Index weight(const std::string& name, const std::vector<int64_t>& shape, int split) {
    const Index w = base_.weight(name, tp_weights_, bytes(shape));
    s().tensors[w].shape = shape;
    s().tensors[w].split = split;
    return w;
  }

  Index node(const std::string& name, const std::string& op, Index backend,
             std::vector<Index> sources, const std::vector<int64_t>& shape) {
    const Index t = base_.op_node(name, op, backend, std::move(sources), bytes(shape));
    s().tensors[t].shape = shape;
    return t;
  }

  void driver(Index output) {
    DriverConfig& d = s().driver;
    d.ubatches_per_batch.clear();
    for (int i = 0; i < std::min(static_cast<int>(spec_.ubatches.size()), kMaxSpecBatches); ++i)
      d.ubatches_per_batch.push_back(std::clamp(spec_.ubatches[i], 1, kMaxSpecUbatches));
    if (d.ubatches_per_batch.empty()) d.ubatches_per_batch.push_back(1);
    d.graph_reuse = spec_.graph_reuse;
    const int max_ub = *std::max_element(d.ubatches_per_batch.begin(), d.ubatches_per_batch.end());
    const Index logits = base_.buffer(
        "logits", BufferKind::pinned_host, BufferUsage::output, kNone,
        s().tensors[output].size * static_cast<uint64_t>(spec_.outputs_every_ubatch ? max_ub : 1));
    d.outputs.push_back(
        OutputRead{output,
                   logits,
                   spec_.outputs_every_ubatch ? OutputRead::When::all : OutputRead::When::last,
                   {}});
  }

  const ScenarioSpec& spec_;
  ScenarioBuilder base_;
  Index tp_ = kNone, cpu_ = kNone, tp_weights_ = kNone;
};

}  // namespace

Scenario synthesize_tensor_parallel(const ScenarioSpec& spec, const std::string& name) {
  return TpSynthesizer(spec, name).run();
}

}  // namespace schedcheck
