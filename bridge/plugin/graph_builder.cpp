// The scenario's graph as ggml tensors. Persistent tensors (weights, KV cache, outputs the
// scenario places) are allocated once at their offsets in their buffers; every evaluation
// that allocates builds the graph anew, as llama.cpp does. Each node is a tensor whose op and
// sources are set directly: the scheduler and the allocator look only at the op, the sources,
// the flags and the sizes, and nothing is computed.
#include <cstring>
#include <stdexcept>
#include <string>

#include "bridge/plugin/plugin.hpp"
#include "ggml-alloc.h"

namespace schedcheck::bridge {

namespace {

struct OpName {
  const char* name;
  ggml_op op;
};

// The scenario's op names that ggml has; any other name becomes GGML_OP_CUSTOM.
constexpr OpName kOps[] = {
    {"get_rows", GGML_OP_GET_ROWS}, {"mul_mat", GGML_OP_MUL_MAT},
    {"mul_mat_id", GGML_OP_MUL_MAT_ID}, {"add", GGML_OP_ADD},
    {"mul", GGML_OP_MUL},           {"scale", GGML_OP_SCALE},
    {"rope", GGML_OP_ROPE},         {"rms_norm", GGML_OP_RMS_NORM},
    {"norm", GGML_OP_NORM},         {"soft_max", GGML_OP_SOFT_MAX},
    {"set_rows", GGML_OP_SET_ROWS}, {"cpy", GGML_OP_CPY},
    {"cont", GGML_OP_CONT},         {"concat", GGML_OP_CONCAT},
    {"flash_attn_ext", GGML_OP_FLASH_ATTN_EXT}, {"out_prod", GGML_OP_OUT_PROD},
};

bool can_inplace(ggml_op op) {
  switch (op) {
    case GGML_OP_SCALE:
    case GGML_OP_ADD:
    case GGML_OP_ADD1:
    case GGML_OP_SUB:
    case GGML_OP_MUL:
    case GGML_OP_DIV:
    case GGML_OP_UNARY:
    case GGML_OP_ROPE:
    case GGML_OP_RMS_NORM:
    case GGML_OP_SOFT_MAX:
      return true;
    default:
      return false;
  }
}

// The ggml op of a node: its own when ggml's allocator treats it as the scenario says
// ("inplace": the output may take over a source's memory), else one that it does.
ggml_op op_of(const NodeDesc& n) {
  ggml_op op = GGML_OP_CUSTOM;
  for (const OpName& o : kOps)
    if (n.op == o.name) op = o.op;
  if (op == GGML_OP_MUL_MAT_ID || op == GGML_OP_SET_ROWS) return op;
  if (can_inplace(op) != n.inplace) op = n.inplace ? GGML_OP_ADD : GGML_OP_CUSTOM;
  return op;
}

ggml_context* new_context(std::size_t tensors) {
  ggml_init_params p{};
  p.mem_size = ggml_tensor_overhead() * (tensors + 16) + ggml_graph_overhead_custom(tensors * 2 + 64, false);
  p.mem_buffer = nullptr;
  p.no_alloc = true;
  return ggml_init(p);
}

}  // namespace

GraphBuilder::GraphBuilder(const GraphDesc& graph, SimDevices& devices)
    : desc_(graph), devices_(devices) {
  weights_ = new_context(graph.tensors.size());
  persistent_.assign(graph.tensors.size(), nullptr);
  current_.assign(graph.tensors.size(), nullptr);
  node_tensor_.assign(graph.nodes.size(), nullptr);
  for (std::size_t i = 0; i < graph.tensors.size(); ++i) {
    const TensorDesc& t = graph.tensors[i];
    if (t.role != TensorRole::persistent) continue;
    ggml_tensor* tensor = new_leaf(weights_, static_cast<int>(i));
    ggml_backend_buffer_t buffer = devices_.persistent_buffer(t.buffer);
    auto* base = static_cast<char*>(ggml_backend_buffer_get_base(buffer));
    ggml_backend_tensor_alloc(buffer, tensor, base + t.offset);
    persistent_[i] = tensor;
  }
}

GraphBuilder::~GraphBuilder() {
  for (ggml_context* c : contexts_) ggml_free(c);
  ggml_free(weights_);
}

ggml_tensor* GraphBuilder::new_leaf(ggml_context* ctx, int index) const {
  const TensorDesc& t = desc_.tensors[index];
  ggml_tensor* tensor = nullptr;
  if (t.expert_rows > 0) {
    tensor = ggml_new_tensor_3d(ctx, GGML_TYPE_I8, static_cast<int64_t>(t.size / t.expert_rows), 1,
                                static_cast<int64_t>(t.expert_rows));
  } else if (t.ids) {
    tensor = ggml_new_tensor_2d(ctx, GGML_TYPE_I32, static_cast<int64_t>(t.size / 4), 1);
  } else {
    tensor = ggml_new_tensor_1d(ctx, GGML_TYPE_I8, static_cast<int64_t>(t.size));
  }
  ggml_set_name(tensor, tensor_name(index).c_str());
  if (t.input) ggml_set_input(tensor);
  if (t.output) ggml_set_output(tensor);
  return tensor;
}

ggml_tensor* GraphBuilder::new_node(ggml_context* ctx, int index) {
  const NodeDesc& n = desc_.nodes[index];
  ggml_tensor* out = nullptr;
  if (n.writes_persistent) {
    out = ggml_view_tensor(ctx, persistent_[n.output]);
    ggml_set_name(out, view_name(index).c_str());
  } else {
    out = new_leaf(ctx, n.output);
    const TensorDesc& t = desc_.tensors[n.output];
    if (t.buffer >= 0 && t.offset >= 0) {  // placed by the scenario, not by the allocator
      ggml_backend_buffer_t buffer = devices_.persistent_buffer(t.buffer);
      auto* base = static_cast<char*>(ggml_backend_buffer_get_base(buffer));
      ggml_backend_tensor_alloc(buffer, out, base + t.offset);
    }
  }
  out->op = op_of(n);
  if (n.sources.size() > GGML_MAX_SRC)
    throw std::runtime_error("node with more than GGML_MAX_SRC sources");
  for (std::size_t j = 0; j < n.sources.size(); ++j) out->src[j] = current_[n.sources[j]];
  return out;
}

ggml_cgraph* GraphBuilder::build(int extra_leaves) {
  // The previous graph may still be read by the scheduler until the next allocation.
  if (contexts_.size() == 2) {
    ggml_free(contexts_.front());
    contexts_.erase(contexts_.begin());
  }
  const std::size_t size = desc_.tensors.size() + desc_.nodes.size() + extra_leaves;
  ggml_context* ctx = new_context(size);
  contexts_.push_back(ctx);
  graph_ = ggml_new_graph_custom(ctx, size * 2 + 64, false);
  for (std::size_t i = 0; i < desc_.tensors.size(); ++i) {
    const TensorDesc& t = desc_.tensors[i];
    current_[i] = t.role == TensorRole::persistent ? persistent_[i]
                  : t.role == TensorRole::user_input ? new_leaf(ctx, static_cast<int>(i))
                                                      : nullptr;
  }
  // Every user input is part of the graph, read by a node or not: the host writes them all.
  for (std::size_t i = 0; i < desc_.tensors.size(); ++i)
    if (desc_.tensors[i].role == TensorRole::user_input) ggml_build_forward_expand(graph_, current_[i]);
  for (std::size_t n = 0; n < desc_.nodes.size(); ++n) {
    node_tensor_[n] = new_node(ctx, static_cast<int>(n));
    if (!desc_.nodes[n].writes_persistent) current_[desc_.nodes[n].output] = node_tensor_[n];
    ggml_build_forward_expand(graph_, node_tensor_[n]);
  }
  // Unused leaves placed in a persistent buffer (never allocated): they change only the
  // graph's shape, so the scheduler's allocator must re-reserve.
  for (int i = 0; i < extra_leaves; ++i) {
    ggml_tensor* leaf = ggml_new_tensor_1d(ctx, GGML_TYPE_I8, 1);
    ggml_set_name(leaf, ("x" + std::to_string(i)).c_str());
    ggml_backend_buffer_t buffer = nullptr;
    for (std::size_t b = 0; b < desc_.buffers.size() && !buffer; ++b)
      buffer = devices_.persistent_buffer(static_cast<int>(b));
    if (!buffer) throw std::runtime_error("a re-reserve needs a persistent buffer in the scenario");
    ggml_backend_tensor_alloc(buffer, leaf, ggml_backend_buffer_get_base(buffer));
    ggml_build_forward_expand(graph_, leaf);
  }
  return graph_;
}

void GraphBuilder::assign(ggml_backend_sched_t sched) const {
  for (std::size_t n = 0; n < desc_.nodes.size(); ++n)
    ggml_backend_sched_set_tensor_backend(sched, node_tensor_[n],
                                          devices_.backend(desc_.nodes[n].backend));
}

}  // namespace schedcheck::bridge
