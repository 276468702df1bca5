// Scenario nodes as ggml ops that real backends compute, every tensor F32 (GraphDesc::
// computable). A node's memory is what ggml's allocator gives its first op; the other sources
// are added into it in place (a view of it: no memory of its own), so the allocator sees one
// allocation per node, as for the placeholder graph. Values are multiples of 2^-10 far below
// 2^14: every sum is exact, so the CPU reference and a GPU agree to the bit in any order.
#include <stdexcept>
#include <string>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {
void refuse(const GraphDesc& desc, int node, const std::string& what) {
  throw std::runtime_error("node " + std::to_string(node) + " (" + desc.nodes[node].op +
                           "): " + what);
}

namespace {

// A source as the operand of an op over `count` elements: itself, the view of its first
// `count` elements, or itself broadcast by the op (its size must divide the op's).
ggml_tensor* operand(ggml_context* ctx, const GraphDesc& desc, int node, ggml_tensor* s,
                     int64_t count) {
  const int64_t m = ggml_nelements(s);
  if (m == count) return s;
  if (m > count) {
    ggml_tensor* v = ggml_view_1d(ctx, s, count, 0);
    ggml_set_name(v, s->name);
    return v;
  }
  if (count % m != 0)
    refuse(desc, node,
           "a source of " + std::to_string(m * 4) + " bytes neither holds nor divides " +
               std::to_string(count * 4) + " bytes");
  return s;
}

}  // namespace

ggml_tensor* new_scenario_tensor(ggml_context* ctx, const GraphDesc& desc, int index) {
  const TensorDesc& t = desc.tensors[index];
  ggml_tensor* tensor = nullptr;
  if (desc.own_ops) {
    int64_t ne[GGML_MAX_DIMS] = {1, 1, 1, 1};
    for (std::size_t d = 0; d < t.shape.size() && d < GGML_MAX_DIMS; ++d) ne[d] = t.shape[d];
    tensor = ggml_new_tensor(ctx, t.type == ElementType::i32 ? GGML_TYPE_I32 : GGML_TYPE_F32,
                             static_cast<int>(t.shape.size()), ne);
  } else if (desc.computable) {
    if (t.size % 4 != 0 || t.size == 0)
      throw std::runtime_error("tensor " + std::to_string(index) + " has " +
                               std::to_string(t.size) +
                               " bytes: a computed graph needs whole F32 elements");
    if (t.expert_rows > 0 || t.ids)
      throw std::runtime_error("MUL_MAT_ID nodes are not computed on real backends yet");
    tensor = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, static_cast<int64_t>(t.size / 4));
  } else if (t.expert_rows > 0) {
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

LoweredNode lower_node(ggml_context* ctx, const GraphDesc& desc, int node,
                       const std::vector<ggml_tensor*>& sources, ggml_tensor* target) {
  if (desc.own_ops) return lower_own_op(ctx, desc, node, sources, target);
  const NodeDesc& n = desc.nodes[node];
  if (sources.empty()) refuse(desc, node, "a node without sources computes nothing");
  const std::string name = target ? view_name(node) : tensor_name(n.output);
  LoweredNode out;
  out.operands.resize(sources.size());
  auto push = [&](ggml_tensor* t) {
    ggml_set_name(t, name.c_str());
    out.chain.push_back(t);
    return t;
  };
  std::size_t next = 0;
  ggml_tensor* y = nullptr;
  if (target) {
    // A writer adds its sources into the persistent tensor (a KV cache accumulates its writes).
    y = target;
  } else {
    const TensorDesc& t = desc.tensors[n.output];
    if (t.size % 4 != 0) refuse(desc, node, "its output has no whole F32 elements");
    const int64_t count = static_cast<int64_t>(t.size / 4);
    ggml_tensor* a = operand(ctx, desc, node, sources[0], count);
    if (ggml_nelements(a) < count) {
      y = push(ggml_repeat(ctx, a, ggml_new_tensor_1d(ctx, GGML_TYPE_F32, count)));
      out.operands[0] = {y, 0};
      next = 1;
    } else if (n.inplace && sources.size() >= 2) {
      // ADD may take over a source's memory, as the scenario's in-place op does.
      y = push(ggml_add(ctx, a, operand(ctx, desc, node, sources[1], count)));
      out.operands[0] = {y, 0};
      out.operands[1] = {y, 1};
      next = 2;
    } else {
      y = push(n.inplace ? ggml_scale(ctx, a, 0.5f) : ggml_cont(ctx, a));
      out.operands[0] = {y, 0};
      next = 1;
    }
    if (t.output) ggml_set_output(y);  // the allocator keeps an output's memory, views or not
  }
  const int64_t count = ggml_nelements(y);
  for (std::size_t j = next; j < sources.size(); ++j) {
    y = push(ggml_add_inplace(ctx, y, operand(ctx, desc, node, sources[j], count)));
    out.operands[j] = {y, 1};
  }
  if (!target && desc.tensors[n.output].output) ggml_set_output(y);
  return out;
}

}  // namespace schedcheck::bridge
