// Graphs with own ops (GraphDesc::own_ops): each scenario node is the one ggml op it names, over
// its sources seen through their views (reshape, permute, transpose: no memory of their own), so
// ggml's allocator and scheduler see the graph llama.cpp builds and the backends compute it.
// The result must have the shape the scenario declares.
#include <stdexcept>
#include <string>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {
namespace {

std::string shape_text(const ggml_tensor* t) {
  std::string s = "[";
  for (int d = 0; d < ggml_n_dims(t); ++d) s += (d ? ", " : "") + std::to_string(t->ne[d]);
  return s + "]";
}

double param(const GraphDesc& desc, int node, const char* key, double fallback) {
  for (const auto& [k, v] : desc.nodes[node].params)
    if (k == key) return v;
  return fallback;
}

ggml_tensor* viewed(ggml_context* ctx, const GraphDesc& desc, int node, std::size_t source,
                    ggml_tensor* s, LoweredNode& out) {
  const NodeDesc& n = desc.nodes[node];
  if (source >= n.views.size()) return s;
  for (const ViewDesc& v : n.views[source]) {
    ggml_tensor* next = nullptr;
    switch (v.kind) {
      case ViewDesc::Kind::reshape: {
        int64_t ne[4] = {1, 1, 1, 1};
        for (std::size_t d = 0; d < v.dims.size() && d < 4; ++d) ne[d] = v.dims[d];
        if (!ggml_is_contiguous(s)) refuse(desc, node, "reshape of a view that is not contiguous");
        next = ggml_reshape_4d(ctx, s, ne[0], ne[1], ne[2], ne[3]);
        break;
      }
      case ViewDesc::Kind::permute:
        next = ggml_permute(ctx, s, static_cast<int>(v.dims.at(0)), static_cast<int>(v.dims.at(1)),
                            static_cast<int>(v.dims.at(2)), static_cast<int>(v.dims.at(3)));
        break;
      case ViewDesc::Kind::transpose:
        next = ggml_transpose(ctx, s);
        break;
    }
    // A view keeps its source's name: the scheduler's copies and the reports name the source.
    ggml_set_name(next, s->name);
    out.chain.push_back(next);
    if (!out.operands[source].first) out.operands[source] = {next, 0};
    s = next;
  }
  return s;
}

}  // namespace

LoweredNode lower_own_op(ggml_context* ctx, const GraphDesc& desc, int node,
                         const std::vector<ggml_tensor*>& sources, ggml_tensor* target) {
  const NodeDesc& n = desc.nodes[node];
  LoweredNode out;
  out.operands.assign(sources.size(), {nullptr, 0});
  std::vector<ggml_tensor*> a;
  for (std::size_t j = 0; j < sources.size(); ++j)
    a.push_back(viewed(ctx, desc, node, j, sources[j], out));
  auto need = [&](std::size_t k) {
    if (a.size() != k)
      refuse(desc, node,
             "takes " + std::to_string(k) + " sources, the node has " + std::to_string(a.size()));
  };
  ggml_tensor* y = nullptr;
  const std::string& op = n.op;
  if (op == "set_rows") {
    need(2);
    if (!target) refuse(desc, node, "set_rows writes a persistent tensor (\"writes\")");
    y = ggml_set_rows(ctx, target, a[0], a[1]);
  } else if (target) {
    refuse(desc, node, "only set_rows writes a persistent tensor");
  } else if (op == "get_rows") {
    need(2);
    y = ggml_get_rows(ctx, a[0], a[1]);
  } else if (op == "mul_mat") {
    need(2);
    y = ggml_mul_mat(ctx, a[0], a[1]);
  } else if (op == "add" || op == "mul") {
    need(2);
    y = op == "add" ? ggml_add(ctx, a[0], a[1]) : ggml_mul(ctx, a[0], a[1]);
  } else if (op == "rms_norm") {
    need(1);
    y = ggml_rms_norm(ctx, a[0], static_cast<float>(param(desc, node, "eps", 1e-5)));
  } else if (op == "scale") {
    need(1);
    y = ggml_scale(ctx, a[0], static_cast<float>(param(desc, node, "scale", 1)));
  } else if (op == "silu") {
    need(1);
    y = ggml_silu(ctx, a[0]);
  } else if (op == "rope") {
    need(2);
    const int n_dims =
        static_cast<int>(param(desc, node, "n_dims", static_cast<double>(a[0]->ne[0])));
    y = ggml_rope_ext(
        ctx, a[0], a[1], nullptr, n_dims, static_cast<int>(param(desc, node, "mode", 0)), 0,
        static_cast<float>(param(desc, node, "freq_base", 10000)), 1.0f, 0.0f, 1.0f, 0.0f, 0.0f);
  } else if (op == "soft_max") {
    if (a.empty() || a.size() > 2) refuse(desc, node, "soft_max takes 1 or 2 sources (mask)");
    y = ggml_soft_max_ext(ctx, a[0], a.size() == 2 ? a[1] : nullptr,
                          static_cast<float>(param(desc, node, "scale", 1)), 0.0f);
  } else if (op == "cont") {
    need(1);
    const std::vector<int64_t>& s = desc.tensors[n.output].shape;
    int64_t ne[4] = {1, 1, 1, 1};
    for (std::size_t d = 0; d < s.size() && d < 4; ++d) ne[d] = s[d];
    y = ggml_cont_4d(ctx, a[0], ne[0], ne[1], ne[2], ne[3]);
  } else {
    refuse(desc, node,
           "not an op a shaped scenario can compute (get_rows, mul_mat, add, mul, rms_norm, scale, "
           "silu, rope, soft_max, cont, set_rows)");
  }
  for (std::size_t j = 0; j < a.size(); ++j)
    if (!out.operands[j].first) out.operands[j] = {y, static_cast<int>(j)};
  if (!target) {
    const TensorDesc& t = desc.tensors[n.output];
    bool same = static_cast<int>(t.shape.size()) <= GGML_MAX_DIMS;
    for (int d = 0; d < GGML_MAX_DIMS && same; ++d)
      same = y->ne[d] == (d < static_cast<int>(t.shape.size()) ? t.shape[d] : 1);
    if (!same) {
      std::string want = "[";
      for (std::size_t d = 0; d < t.shape.size(); ++d)
        want += (d ? ", " : "") + std::to_string(t.shape[d]);
      refuse(desc, node, "computes " + shape_text(y) + ", the scenario declares " + want + "]");
    }
    ggml_set_name(y, tensor_name(n.output).c_str());
    if (t.output) ggml_set_output(y);
  } else {
    ggml_set_name(y, view_name(node).c_str());
  }
  out.chain.push_back(y);
  return out;
}

}  // namespace schedcheck::bridge
