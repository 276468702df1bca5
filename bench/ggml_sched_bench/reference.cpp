#include "reference.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "backends.hpp"
#include "errors.hpp"
#include "ggml-cpp.h"
#include "graph.hpp"
#include "inputs.hpp"
#include "weights.hpp"

namespace gsb {

Reference::Reference(const ModelShape& shape, uint64_t seed, int sets, int ubatches, int threads)
    : ubatches_(ubatches),
      per_ubatch_(static_cast<size_t>(shape.n_vocab) * static_cast<size_t>(shape.n_tokens)) {
  const auto start = std::chrono::steady_clock::now();
  ggml_backend_ptr cpu(new_cpu_backend(threads));
  const std::vector<int> on_cpu(static_cast<size_t>(shape.n_layer), kCpu);
  Weights w(
      shape, on_cpu, kCpu, [](int) { return ggml_backend_cpu_buffer_type(); }, seed);
  GraphBuilder builder(shape, w, on_cpu, kCpu);
  ggml_backend_t backend = cpu.get();
  ggml_backend_buffer_type_t buft = ggml_backend_cpu_buffer_type();
  ggml_backend_sched_ptr sched(
      ggml_backend_sched_new(&backend, &buft, 1, GraphBuilder::kMaxNodes, false, false));
  values_.resize(per_ubatch_ * static_cast<size_t>(sets) * static_cast<size_t>(ubatches));
  for (int s = 0; s < sets; ++s) {
    for (int k = 0; k < ubatches; ++k) {
      ggml_backend_sched_reset(sched.get());
      const UbatchGraph g = builder.build(nullptr);
      if (!ggml_backend_sched_alloc_graph(sched.get(), g.gf))
        throw BenchError("reference: ggml_backend_sched_alloc_graph failed");
      set_inputs(g, make_inputs(shape, seed, s, k));
      if (ggml_backend_sched_graph_compute(sched.get(), g.gf) != GGML_STATUS_SUCCESS)
        throw BenchError("reference: ggml_backend_sched_graph_compute failed");
      ggml_backend_tensor_get(g.logits, at(s, k), 0, ggml_nbytes(g.logits));
    }
  }
  for (float v : values_) largest_ = std::max(largest_, std::fabs(v));
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace gsb
