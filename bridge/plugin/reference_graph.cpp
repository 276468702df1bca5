// The sequential reference: the computed graph of every evaluation, in order, on one ggml-cpu
// backend with nothing in flight, the persistent tensors (weights, KV cache) carried from one
// evaluation to the next. Only what the host can read is kept (outputs, eval-callback nodes).
// Only plugins whose devices compute link it (it needs ggml-cpu).
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

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

void write(const GraphDesc& desc, ggml_tensor* t, int tensor, int eval) {
  const std::vector<uint8_t> v = tensor_values(desc, tensor, eval);
  if (v.size() != ggml_nbytes(t)) throw std::runtime_error("tensor values of the wrong size");
  std::memcpy(t->data, v.data(), v.size());
}

// Results the host may read: outputs, and the nodes an eval callback reads.
bool readable(const GraphDesc& desc, int node) {
  const NodeDesc& n = desc.nodes[node];
  if (n.writes_persistent) return false;
  if (desc.tensors[n.output].output) return true;
  if (!desc.eval_callback) return false;
  return desc.callback_all_nodes || std::find(desc.callback_nodes.begin(),
                                              desc.callback_nodes.end(),
                                              node) != desc.callback_nodes.end();
}

// Everything the reference's values depend on.
std::string graph_key(const GraphDesc& d) {
  std::ostringstream k;
  k << d.evaluations << ';' << d.own_ops << ';' << d.eval_callback << d.callback_all_nodes;
  for (int n : d.callback_nodes) k << ',' << n;
  for (const TensorDesc& t : d.tensors) {
    k << ";t" << static_cast<int>(t.role) << ',' << t.size << ',' << t.output << ','
      << static_cast<int>(t.type) << ',' << static_cast<int>(t.fill) << ',' << t.scale << ','
      << t.below;
    for (int64_t x : t.shape) k << ':' << x;
  }
  for (const NodeDesc& n : d.nodes) {
    k << ";n" << n.op << ',' << n.output << ',' << n.writes_persistent << ',' << n.inplace;
    for (int s : n.sources) k << ':' << s;
    for (const auto& steps : n.views)
      for (const ViewDesc& v : steps) {
        k << '/' << static_cast<int>(v.kind);
        for (int64_t x : v.dims) k << '.' << x;
      }
    for (const auto& [name, value] : n.params) k << '/' << name << '=' << value;
  }
  return k.str();
}

}  // namespace

ReferenceGraph::ReferenceGraph(const GraphDesc& desc) {
  const std::unique_ptr<ggml_backend, FreeBackend> cpu(ggml_backend_cpu_init());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  ggml_backend_cpu_set_n_threads(cpu.get(), static_cast<int>(cores));
  const std::size_t n = desc.tensors.size();
  const std::unique_ptr<ggml_context, FreeContext> weights(new_graph_context(n));
  std::vector<ggml_tensor*> persistent(n, nullptr);
  for (std::size_t i = 0; i < n; ++i)
    if (desc.tensors[i].role == TensorRole::persistent)
      persistent[i] = new_scenario_tensor(weights.get(), desc, static_cast<int>(i));
  const std::unique_ptr<ggml_backend_buffer, FreeBuffer> weights_buffer(
      ggml_backend_alloc_ctx_tensors(weights.get(), cpu.get()));
  for (std::size_t i = 0; i < n; ++i)
    if (persistent[i]) write(desc, persistent[i], static_cast<int>(i), -1);
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
      results[k] = lowered.chain.back();
      // What the host may read stays where it is until read back.
      if (readable(desc, static_cast<int>(k))) ggml_set_output(results[k]);
      if (!node.writes_persistent) current[node.output] = results[k];
      ggml_build_forward_expand(graph, results[k]);
    }
    const std::unique_ptr<ggml_gallocr, FreeAllocator> galloc(
        ggml_gallocr_new(ggml_backend_get_default_buffer_type(cpu.get())));
    if (!ggml_gallocr_alloc_graph(galloc.get(), graph))
      throw std::runtime_error("the reference graph does not fit in memory");
    for (std::size_t i = 0; i < n; ++i)
      if (desc.tensors[i].role == TensorRole::user_input)
        write(desc, current[i], static_cast<int>(i), eval);
    if (ggml_backend_graph_compute(cpu.get(), graph) != GGML_STATUS_SUCCESS)
      throw std::runtime_error("ggml-cpu failed to compute the reference");
    for (std::size_t k = 0; k < desc.nodes.size(); ++k) {
      if (!readable(desc, static_cast<int>(k))) continue;
      const auto* data = static_cast<const uint8_t*>(results[k]->data);
      total += ggml_nbytes(results[k]);
      if (total > kMaxReferenceBytes)
        throw std::runtime_error("the reference needs more than 1 GiB");
      values_[key(desc.nodes[k].output, eval)].assign(data, data + ggml_nbytes(results[k]));
    }
  }
}

std::shared_ptr<const ReferenceGraph> ReferenceGraph::shared(const GraphDesc& graph) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ReferenceGraph>> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<const ReferenceGraph>& slot = cache[graph_key(graph)];
  if (!slot) slot = std::make_shared<const ReferenceGraph>(graph);
  return slot;
}

}  // namespace schedcheck::bridge
