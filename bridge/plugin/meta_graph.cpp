// The scenario's graph as a meta backend's members see it: the weights it holds are allocated
// in slices on each member, and every tensor a member computes is a slice of a scenario node's
// result (named as the node's tensor) or an op the meta backend adds to an AllReduce.
#include <map>
#include <stdexcept>
#include <string>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {

namespace {

bool is_view_op(ggml_op op) {
  return op == GGML_OP_NONE || op == GGML_OP_VIEW || op == GGML_OP_RESHAPE ||
         op == GGML_OP_PERMUTE || op == GGML_OP_TRANSPOSE;
}

}  // namespace

void GraphBuilder::alloc_meta_weights(const std::vector<int>& tensors) {
  // One context per buffer of a meta backend: ggml allocates a context's tensors in one buffer.
  std::map<int, std::vector<int>> by_buffer;
  for (int t : tensors) by_buffer[desc_.tensors[static_cast<std::size_t>(t)].buffer].push_back(t);
  for (const auto& [buffer, list] : by_buffer) {
    ggml_context* ctx = new_graph_context(list.size());
    meta_weights_.push_back(ctx);
    for (int t : list)
      persistent_[static_cast<std::size_t>(t)] = new_scenario_tensor(ctx, desc_, t);
    ggml_backend_buffer_t b =
        ggml_backend_alloc_ctx_tensors_from_buft(ctx, devices_.buffer_type(buffer));
    if (!b)
      throw std::runtime_error("the meta backend could not allocate buffer " +
                               desc_.buffers[static_cast<std::size_t>(buffer)].name);
    ggml_backend_buffer_set_usage(b, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    meta_buffers_.push_back(b);
  }
}

bool GraphBuilder::meta_node_ref(const ggml_tensor* t, NodeRef* ref, bool* skip) const {
  *skip = false;
  if (t->name[0] == '\0') {
    // The AllReduce's ADD of a partial sum received into a temporary buffer, or the zeroing of
    // a slice a device does not compute: both in place on the device's slice (src[0]).
    if ((t->op != GGML_OP_ADD && t->op != GGML_OP_SCALE) || !t->src[0]) return false;
    const TensorRef dst = tensor_ref(t->src[0]);
    ref->node = -1;
    ref->reduces = dst.tensor;
    ref->sources.push_back(dst);
    if (t->op == GGML_OP_ADD && t->src[1])
      ref->sources.push_back(tensor_ref_as(t->src[1], dst.tensor));
    ref->output = tensor_ref_as(t, dst.tensor);
    return true;
  }
  if (is_view_op(t->op)) {
    *skip = true;  // a slice of a view: computes nothing
    return true;
  }
  const TensorRef out = tensor_ref(t);
  const int node = out.tensor >= 0 ? producer_[static_cast<std::size_t>(out.tensor)] : -1;
  if (node < 0) return false;
  ref->node = node;
  ref->output = out;
  // The node's sources in the scenario's order, as the slice reads them (slices of the sources
  // or of views of them, named as the source).
  const NodeDesc& n = desc_.nodes[static_cast<std::size_t>(node)];
  for (int source : n.sources) {
    const ggml_tensor* found = nullptr;
    for (int k = 0; k < GGML_MAX_SRC && !found; ++k)
      if (t->src[k] && parse_tensor_name(t->src[k]->name, desc_, {}).tensor == source)
        found = t->src[k];
    if (!found) return false;
    ref->sources.push_back(tensor_ref(found));
  }
  return true;
}

}  // namespace schedcheck::bridge
