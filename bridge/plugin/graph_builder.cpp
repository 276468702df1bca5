// The scenario's graph as ggml tensors. Persistent tensors (weights, KV cache, outputs the
// scenario places) are allocated once at their offsets in their buffers; every evaluation
// that allocates builds the graph anew, as llama.cpp does. A node is either a placeholder
// tensor whose op and sources are set directly (the scheduler and the allocator look only at
// the op, the sources, the flags and the sizes; nothing is computed), or, for devices that
// compute, the ops of lowering.cpp.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
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
    {"get_rows", GGML_OP_GET_ROWS},
    {"mul_mat", GGML_OP_MUL_MAT},
    {"mul_mat_id", GGML_OP_MUL_MAT_ID},
    {"add", GGML_OP_ADD},
    {"mul", GGML_OP_MUL},
    {"scale", GGML_OP_SCALE},
    {"rope", GGML_OP_ROPE},
    {"rms_norm", GGML_OP_RMS_NORM},
    {"norm", GGML_OP_NORM},
    {"soft_max", GGML_OP_SOFT_MAX},
    {"set_rows", GGML_OP_SET_ROWS},
    {"cpy", GGML_OP_CPY},
    {"cont", GGML_OP_CONT},
    {"concat", GGML_OP_CONCAT},
    {"flash_attn_ext", GGML_OP_FLASH_ATTN_EXT},
    {"out_prod", GGML_OP_OUT_PROD},
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

}  // namespace

ggml_context* new_graph_context(std::size_t tensors) {
  ggml_init_params p{};
  p.mem_size =
      ggml_tensor_overhead() * (tensors + 16) + ggml_graph_overhead_custom(tensors * 2 + 64, false);
  p.mem_buffer = nullptr;
  p.no_alloc = true;
  return ggml_init(p);
}

std::size_t graph_capacity(const GraphDesc& desc) {
  return 4 * (desc.tensors.size() + desc.nodes.size() * 12);
}

GraphBuilder::GraphBuilder(const GraphDesc& graph, Devices& devices)
    : desc_(graph), devices_(devices) {
  weights_ = new_graph_context(graph.tensors.size());
  persistent_.assign(graph.tensors.size(), nullptr);
  current_.assign(graph.tensors.size(), nullptr);
  lowered_.resize(graph.nodes.size());
  producer_.assign(graph.tensors.size(), -1);
  has_meta_ = has_meta_backend(graph);
  for (std::size_t n = 0; n < graph.nodes.size(); ++n)
    if (!graph.nodes[n].writes_persistent) producer_[graph.nodes[n].output] = static_cast<int>(n);
  std::vector<int> held_by_meta;
  for (std::size_t i = 0; i < graph.tensors.size(); ++i) {
    const TensorDesc& t = graph.tensors[i];
    // Persistent tensors, and inputs the program placed itself: made once, alive throughout.
    const bool placed_input = t.role == TensorRole::user_input && t.buffer >= 0;
    if (t.role != TensorRole::persistent && !placed_input) continue;
    if (t.split >= 0) {  // a meta backend's: ggml places the slices
      held_by_meta.push_back(static_cast<int>(i));
      continue;
    }
    ggml_tensor* tensor = new_scenario_tensor(weights_, desc_, static_cast<int>(i));
    ggml_backend_buffer_t buffer = devices_.persistent_buffer(t.buffer);
    auto* base = static_cast<char*>(ggml_backend_buffer_get_base(buffer));
    ggml_backend_tensor_alloc(buffer, tensor, base + t.offset);
    persistent_[i] = tensor;
  }
  if (!held_by_meta.empty()) alloc_meta_weights(held_by_meta);
}

GraphBuilder::~GraphBuilder() {
  for (ggml_context* c : contexts_) ggml_free(c);
  for (ggml_backend_buffer_t b : meta_buffers_) ggml_backend_buffer_free(b);
  for (ggml_context* c : meta_weights_) ggml_free(c);
  ggml_free(weights_);
}

void GraphBuilder::fill_weights(bool values) const {
  std::size_t largest = 0;
  for (std::size_t i = 0; i < persistent_.size(); ++i)
    if (persistent_[i]) largest = std::max(largest, ggml_nbytes(persistent_[i]));
  // calloc maps zero pages lazily: memory nobody writes costs no time.
  const std::unique_ptr<void, decltype(&std::free)> zeros(
      values ? nullptr : std::calloc(largest, 1), &std::free);
  if (!values && largest > 0 && !zeros) throw std::bad_alloc();
  for (std::size_t i = 0; i < persistent_.size(); ++i) {
    if (!persistent_[i] || desc_.tensors[i].role != TensorRole::persistent) continue;
    if (!values) {
      ggml_backend_tensor_set(persistent_[i], zeros.get(), 0, ggml_nbytes(persistent_[i]));
      continue;
    }
    const std::vector<uint8_t> v = tensor_values(desc_, static_cast<int>(i), -1);
    ggml_backend_tensor_set(persistent_[i], v.data(), 0, ggml_nbytes(persistent_[i]));
  }
}

ggml_tensor* GraphBuilder::new_node(ggml_context* ctx, int index) {
  const NodeDesc& n = desc_.nodes[index];
  ggml_tensor* target = n.writes_persistent ? persistent_[n.output] : nullptr;
  LoweredNode& lowered = lowered_[index];
  if (desc_.computable) {
    std::vector<ggml_tensor*> sources;
    for (int s : n.sources) sources.push_back(current_[s]);
    lowered = lower_node(ctx, desc_, index, sources, target);
  } else {
    ggml_tensor* out = nullptr;
    if (target) {
      out = ggml_view_tensor(ctx, target);
      ggml_set_name(out, view_name(index).c_str());
    } else {
      out = new_scenario_tensor(ctx, desc_, n.output);
    }
    out->op = op_of(n);
    if (n.sources.size() > GGML_MAX_SRC)
      throw std::runtime_error("node with more than GGML_MAX_SRC sources");
    lowered.chain = {out};
    lowered.operands.clear();
    for (std::size_t j = 0; j < n.sources.size(); ++j) {
      out->src[j] = current_[n.sources[j]];
      lowered.operands.emplace_back(out, static_cast<int>(j));
    }
  }
  const TensorDesc& t = desc_.tensors[n.output];
  if (!target && t.buffer >= 0 && t.offset >= 0) {  // placed by the scenario, not the allocator
    ggml_backend_buffer_t buffer = devices_.persistent_buffer(t.buffer);
    auto* base = static_cast<char*>(ggml_backend_buffer_get_base(buffer));
    ggml_backend_tensor_alloc(buffer, lowered.chain.front(), base + t.offset);
  }
  for (std::size_t i = 0; i + 1 < lowered.chain.size(); ++i) inner_of_[lowered.chain[i]] = index;
  result_of_[lowered.chain.back()] = index;
  return lowered.chain.back();
}

ggml_cgraph* GraphBuilder::build(int extra_leaves) {
  // The previous graph may still be read by the scheduler until the next allocation.
  if (contexts_.size() == 2) {
    ggml_free(contexts_.front());
    contexts_.erase(contexts_.begin());
  }
  result_of_.clear();
  inner_of_.clear();
  const std::size_t size = graph_capacity(desc_) + extra_leaves;
  ggml_context* ctx = new_graph_context(size);
  contexts_.push_back(ctx);
  graph_ = ggml_new_graph_custom(ctx, size * 2 + 64, false);
  for (std::size_t i = 0; i < desc_.tensors.size(); ++i) {
    const TensorDesc& t = desc_.tensors[i];
    if (persistent_[i])
      current_[i] = persistent_[i];
    else if (t.role == TensorRole::user_input)
      current_[i] = new_scenario_tensor(ctx, desc_, static_cast<int>(i));
    else
      current_[i] = nullptr;
  }
  // Every user input is part of the graph, read by a node or not: the host writes them all.
  for (std::size_t i = 0; i < desc_.tensors.size(); ++i)
    if (desc_.tensors[i].role == TensorRole::user_input)
      ggml_build_forward_expand(graph_, current_[i]);
  for (std::size_t n = 0; n < desc_.nodes.size(); ++n) {
    ggml_tensor* result = new_node(ctx, static_cast<int>(n));
    if (!desc_.nodes[n].writes_persistent) current_[desc_.nodes[n].output] = result;
    ggml_build_forward_expand(graph_, result);
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
    for (ggml_tensor* t : lowered_[n].chain)
      ggml_backend_sched_set_tensor_backend(sched, t, devices_.backend(desc_.nodes[n].backend));
}

int GraphBuilder::node_of(const ggml_tensor* t) const {
  auto it = result_of_.find(t);
  return it == result_of_.end() ? -1 : it->second;
}

bool GraphBuilder::node_refs(const ggml_cgraph* g, std::vector<NodeRef>* out,
                             std::string* unknown) const {
  auto* graph = const_cast<ggml_cgraph*>(g);
  for (int i = 0; i < ggml_graph_n_nodes(graph); ++i) {
    const ggml_tensor* t = ggml_graph_node(graph, i);
    const int node = node_of(t);
    if (node < 0) {
      // Views compute nothing; a lowered node is reported once, at its result.
      if (inner_of_.count(t) || (desc_.computable && t->op == GGML_OP_VIEW)) continue;
      NodeRef slice;
      bool skip = false;
      if (has_meta_ && meta_node_ref(t, &slice, &skip)) {
        if (!skip) out->push_back(std::move(slice));
        continue;
      }
      *unknown = t->name[0] ? t->name : "(a tensor without a name)";
      return false;
    }
    NodeRef ref;
    ref.node = node;
    // The operands as the launch sees them: the scheduler may have put copies in their place.
    for (const auto& [op, slot] : lowered_[node].operands)
      ref.sources.push_back(tensor_ref(op->src[slot]));
    ref.output = tensor_ref(t);
    out->push_back(std::move(ref));
  }
  return true;
}

}  // namespace schedcheck::bridge
