// ggml's split_graph pass 3 for assigned nodes: a node moves to a higher-priority backend (a
// lower index) that allocates in the same compute buffer, supports the node's op and can use
// the buffer of every source. This is how llama.cpp's CPU matrix products end up on BLAS.
#pragma once

#include <string_view>

#include "scenario/scenario.hpp"

namespace schedcheck {

// Whether a backend of this kind computes the op (ggml-blas: matrix products only).
bool backend_supports_op(BackendKind kind, const Node& node);

// Applies the upgrade to every node, in graph order (no-op for scenarios with given splits).
void upgrade_node_backends(Scenario& s, const std::vector<bool>& in_place_readers);

}  // namespace schedcheck
