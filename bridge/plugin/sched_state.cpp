// The scheduler's state that its public API does not tell (the copy index the graph is bound
// to, which split a launch belongs to). This file compiles the tree's own ggml-backend.cpp as
// part of it, so the scheduler's private struct is read by member name at every version.
#include "ggml-backend.cpp"  // NOLINT: the tree's scheduler itself, compiled here

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {

int sched_cur_copy(ggml_backend_sched_t sched) {
  return sched->cur_copy;
}

int sched_split_of(ggml_backend_sched_t sched, const ggml_cgraph* graph) {
  for (int i = 0; i < sched->n_splits; ++i) {
    const ggml_cgraph& g = sched->splits[i].graph;
    if (graph->nodes >= g.nodes && graph->nodes < g.nodes + (g.n_nodes > 0 ? g.n_nodes : 1))
      return i;
  }
  return -1;
}

const ggml_tensor* sched_copy_at(ggml_backend_sched_t sched, const ggml_tensor* source,
                                 const void* data) {
  for (int i = 0; i < sched->n_splits; ++i) {
    const ggml_backend_sched_split& split = sched->splits[i];
    for (int j = 0; j < split.n_inputs; ++j)
      for (int c = 0; c < sched->n_copies && split.inputs[j] == source; ++c) {
        const ggml_tensor* copy = tensor_copy(split.inputs[j], split.backend_id, c);
        if (copy && copy->data == data) return copy;
      }
  }
  return nullptr;
}

bool sched_split_ends(ggml_backend_sched_t sched, int split, const ggml_cgraph* graph) {
  const ggml_cgraph& g = sched->splits[split].graph;
  return graph->nodes + graph->n_nodes == g.nodes + g.n_nodes;
}

}  // namespace schedcheck::bridge
