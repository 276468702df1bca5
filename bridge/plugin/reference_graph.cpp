// The sequential reference: the computed graph of every evaluation, in order, on one ggml-cpu
// backend with nothing in flight, the persistent tensors (weights, KV cache) carried from one
// evaluation to the next. Only plugins whose devices compute link it (it needs ggml-cpu).
#include <cstring>
#include <stdexcept>

#include "bridge/plugin/plugin.hpp"
#include "ggml-alloc.h"
#include "ggml-cpu.h"

namespace schedcheck::bridge {
namespace {

constexpr std::size_t kMaxReferenceBytes = std::size_t{1} << 30;

ggml_context* no_alloc_context(std::size_t tensors) {
  ggml_init_params p{};
  p.mem_size =
      ggml_tensor_overhead() * (tensors + 16) + ggml_graph_overhead_custom(tensors * 2 + 64, false);
  p.no_alloc = true;
  return ggml_init(p);
}

void write(ggml_tensor* t, int tensor, int eval) {
  const std::vector<float> v =
      fill_values(tensor, eval, static_cast<std::size_t>(ggml_nelements(t)));
  std::memcpy(t->data, v.data(), ggml_nbytes(t));
}

}  // namespace

ReferenceGraph::ReferenceGraph(const GraphDesc& desc) {
  ggml_backend_t cpu = ggml_backend_cpu_init();
  const std::size_t n = desc.tensors.size();
  ggml_context* weights = no_alloc_context(n);
  std::vector<ggml_tensor*> persistent(n, nullptr);
  for (std::size_t i = 0; i < n; ++i)
    if (desc.tensors[i].role == TensorRole::persistent)
      persistent[i] = new_scenario_tensor(weights, desc, static_cast<int>(i));
  ggml_backend_buffer_t weights_buffer = ggml_backend_alloc_ctx_tensors(weights, cpu);
  for (std::size_t i = 0; i < n; ++i)
    if (persistent[i]) write(persistent[i], static_cast<int>(i), -1);
  std::size_t total = 0;
  try {
    for (int eval = 0; eval < desc.evaluations; ++eval) {
      const std::size_t size = 4 * (n + desc.nodes.size() * 12);
      ggml_context* ctx = no_alloc_context(size);
      ggml_cgraph* graph = ggml_new_graph_custom(ctx, size * 2 + 64, false);
      std::vector<ggml_tensor*> current = persistent;
      for (std::size_t i = 0; i < n; ++i)
        if (desc.tensors[i].role == TensorRole::user_input) {
          current[i] = new_scenario_tensor(ctx, desc, static_cast<int>(i));
          ggml_build_forward_expand(graph, current[i]);
        }
      std::vector<ggml_tensor*> results(desc.nodes.size(), nullptr);
      for (std::size_t k = 0; k < desc.nodes.size(); ++k) {
        const NodeDesc& node = desc.nodes[k];
        std::vector<ggml_tensor*> sources;
        for (int s : node.sources) sources.push_back(current[s]);
        const LoweredNode lowered =
            lower_node(ctx, desc, static_cast<int>(k), sources,
                       node.writes_persistent ? persistent[node.output] : nullptr);
        // Every result stays where it is until read back: nothing reuses its memory.
        for (ggml_tensor* t : lowered.chain) ggml_set_output(t);
        results[k] = lowered.chain.back();
        if (!node.writes_persistent) current[node.output] = results[k];
        ggml_build_forward_expand(graph, results[k]);
      }
      ggml_gallocr_t galloc = ggml_gallocr_new(ggml_backend_get_default_buffer_type(cpu));
      if (!ggml_gallocr_alloc_graph(galloc, graph))
        throw std::runtime_error("the reference graph does not fit in memory");
      for (std::size_t i = 0; i < n; ++i)
        if (desc.tensors[i].role == TensorRole::user_input)
          write(current[i], static_cast<int>(i), eval);
      if (ggml_backend_graph_compute(cpu, graph) != GGML_STATUS_SUCCESS)
        throw std::runtime_error("ggml-cpu failed to compute the reference");
      for (std::size_t k = 0; k < desc.nodes.size(); ++k) {
        if (desc.nodes[k].writes_persistent) continue;
        const auto* data = static_cast<const uint8_t*>(results[k]->data);
        total += ggml_nbytes(results[k]);
        if (total > kMaxReferenceBytes)
          throw std::runtime_error("the reference needs more than 1 GiB");
        values_[key(desc.nodes[k].output, eval)].assign(data, data + ggml_nbytes(results[k]));
      }
      ggml_gallocr_free(galloc);
      ggml_free(ctx);
    }
  } catch (...) {
    ggml_backend_buffer_free(weights_buffer);
    ggml_free(weights);
    ggml_backend_free(cpu);
    throw;
  }
  ggml_backend_buffer_free(weights_buffer);
  ggml_free(weights);
  ggml_backend_free(cpu);
}

}  // namespace schedcheck::bridge
