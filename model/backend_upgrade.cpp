#include "model/backend_upgrade.hpp"

namespace schedcheck {

bool backend_supports_op(BackendKind kind, const Node& node) {
  if (kind != BackendKind::blas) return true;
  return !node.inplace && (node.op == "mul_mat" || node.op == "out_prod");
}

namespace {

// The buffer a source's bytes are in, or will be: its own, else its backend's compute buffer.
Index source_buffer(const Scenario& s, Index tensor) {
  const Tensor& t = s.tensors[tensor];
  if (t.buffer != kNone) return t.buffer;
  return s.backends[tensor_backend(s, tensor)].compute_buffer;
}

}  // namespace

void upgrade_node_backends(Scenario& s, const std::vector<bool>& in_place_readers) {
  if (s.given_splits) return;
  for (Node& node : s.nodes) {
    const Index current = node.backend;
    const Index buffer = s.backends[current].compute_buffer;
    for (Index b = 0; b < current; ++b) {
      if (s.backends[b].compute_buffer != buffer || !backend_supports_op(s.backends[b].kind, node))
        continue;
      bool usable = true;
      for (Index src : node.sources)
        if (!backend_can_use_buffer(s, b, source_buffer(s, src), in_place_readers[b]))
          usable = false;
      if (!usable) continue;
      node.backend = b;
      break;
    }
  }
}

}  // namespace schedcheck
