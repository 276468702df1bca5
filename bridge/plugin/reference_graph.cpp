// The sequential reference: the computed graph of every evaluation, in order, on one ggml-cpu
// backend with nothing in flight, the persistent tensors (weights, KV cache) carried from one
// evaluation to the next. Only plugins whose devices compute link it (it needs ggml-cpu).
#include <cstring>
#include <memory>
#include <stdexcept>

#include "bridge/plugin/plugin.hpp"
#include "ggml-alloc.h"
#include "ggml-cpu.h"

namespace schedcheck::bridge {
namespace {

constexpr std::size_t kMaxReferenceBytes = std::size_t{1} << 30;

// ggml's handles, freed however the computation ends.
struct FreeContext {
  void operator()(ggml_context* c) const { ggml_free(c); }
};
struct FreeBackend {
  void operator()(ggml_backend* b) const { ggml_backend_free(b); }
};
struct FreeBuffer {
  void operator()(ggml_backend_buffer* b) const { ggml_backend_buffer_free(b); }
};
struct FreeAllocator {
  void operator()(ggml_gallocr* a) const { ggml_gallocr_free(a); }
};

void write(ggml_tensor* t, int tensor, int eval) {
  const std::vector<float> v =
      fill_values(tensor, eval, static_cast<std::size_t>(ggml_nelements(t)));
  std::memcpy(t->data, v.data(), ggml_nbytes(t));
}

}  // namespace

ReferenceGraph::ReferenceGraph(const GraphDesc& desc) {
  const std::unique_ptr<ggml_backend, FreeBackend> cpu(ggml_backend_cpu_init());
  const std::size_t n = desc.tensors.size();
  const std::unique_ptr<ggml_context, FreeContext> weights(new_graph_context(n));
  std::vector<ggml_tensor*> persistent(n, nullptr);
  for (std::size_t i = 0; i < n; ++i)
    if (desc.tensors[i].role == TensorRole::persistent)
      persistent[i] = new_scenario_tensor(weights.get(), desc, static_cast<int>(i));
  const std::unique_ptr<ggml_backend_buffer, FreeBuffer> weights_buffer(
      ggml_backend_alloc_ctx_tensors(weights.get(), cpu.get()));
  for (std::size_t i = 0; i < n; ++i)
    if (persistent[i]) write(persistent[i], static_cast<int>(i), -1);
  std::size_t total = 0;
  for (int eval = 0; eval < desc.evaluations; ++eval) {
    const std::unique_ptr<ggml_context, FreeContext> ctx(new_graph_context(graph_capacity(desc)));
    ggml_cgraph* graph = ggml_new_graph_custom(ctx.get(), graph_capacity(desc) * 2 + 64, false);
    std::vector<ggml_tensor*> current = persistent;
    for (std::size_t i = 0; i < n; ++i)
      if (desc.tensors[i].role == TensorRole::user_input) {
        current[i] = new_scenario_tensor(ctx.get(), desc, static_cast<int>(i));
        ggml_build_forward_expand(graph, current[i]);
      }
    std::vector<ggml_tensor*> results(desc.nodes.size(), nullptr);
    for (std::size_t k = 0; k < desc.nodes.size(); ++k) {
      const NodeDesc& node = desc.nodes[k];
      std::vector<ggml_tensor*> sources;
      for (int s : node.sources) sources.push_back(current[s]);
      const LoweredNode lowered =
          lower_node(ctx.get(), desc, static_cast<int>(k), sources,
                     node.writes_persistent ? persistent[node.output] : nullptr);
      // Every result stays where it is until read back: nothing reuses its memory.
      for (ggml_tensor* t : lowered.chain) ggml_set_output(t);
      results[k] = lowered.chain.back();
      if (!node.writes_persistent) current[node.output] = results[k];
      ggml_build_forward_expand(graph, results[k]);
    }
    const std::unique_ptr<ggml_gallocr, FreeAllocator> galloc(
        ggml_gallocr_new(ggml_backend_get_default_buffer_type(cpu.get())));
    if (!ggml_gallocr_alloc_graph(galloc.get(), graph))
      throw std::runtime_error("the reference graph does not fit in memory");
    for (std::size_t i = 0; i < n; ++i)
      if (desc.tensors[i].role == TensorRole::user_input)
        write(current[i], static_cast<int>(i), eval);
    if (ggml_backend_graph_compute(cpu.get(), graph) != GGML_STATUS_SUCCESS)
      throw std::runtime_error("ggml-cpu failed to compute the reference");
    for (std::size_t k = 0; k < desc.nodes.size(); ++k) {
      if (desc.nodes[k].writes_persistent) continue;
      const auto* data = static_cast<const uint8_t*>(results[k]->data);
      total += ggml_nbytes(results[k]);
      if (total > kMaxReferenceBytes)
        throw std::runtime_error("the reference needs more than 1 GiB");
      values_[key(desc.nodes[k].output, eval)].assign(data, data + ggml_nbytes(results[k]));
    }
  }
}

}  // namespace schedcheck::bridge
