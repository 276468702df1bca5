// One scenario on its backends, driven like llama.cpp's decode loop. Per decode, n_ubatch
// ubatches, each: ggml_backend_sched_reset, graph build and placement,
// ggml_backend_sched_alloc_graph, the inputs set with ggml_backend_tensor_set,
// ggml_backend_sched_graph_compute_async, then ggml_backend_tensor_get_async of the logits into the
// (pinned) output array; after the last ubatch, ggml_backend_sched_synchronize. Every ubatch's
// logits are then compared with the reference (outside the timed part).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends.hpp"
#include "ggml-cpp.h"
#include "graph.hpp"
#include "inputs.hpp"
#include "reference.hpp"
#include "scenario.hpp"
#include "weights.hpp"

namespace gsb {

struct RoundConfig {
  int decodes = 1;  // measured
  int warmup = 0;   // before them: checked, not timed
  int sets = 1;     // decode d of round r uses input set (r + d) % sets
  double tolerance = 0.05;
  int inject_fault = -1;
};

struct RoundResult {
  int ubatches = 0;  // measured
  int checked = 0;   // warm-up and measured
  int corrupted = 0;
  std::vector<int> corrupted_by_ubatch;  // index in the decode
  double host_us_per_ubatch = 0;         // reset .. get_async queued, per ubatch
  double compute_async_us_per_ubatch = 0;
  double sync_us_per_decode = 0;  // the final ggml_backend_sched_synchronize
  double ubatches_per_s = 0;      // measured ubatches / wall time of their decodes
  double max_err = 0;             // over every checked ubatch
  double max_err_clean = 0;       // over those within the tolerance
  double min_err_corrupted = std::numeric_limits<double>::infinity();
};

class ScenarioRunner {
 public:
  // The scenario must fit the backends (scenario.gpus <= backends.gpu_count()). Throws
  // BenchError when ggml refuses the graph (an op a backend does not support, allocation).
  ScenarioRunner(const Scenario& scenario, const Backends& backends, const Reference& reference,
                 uint64_t seed, int n_ubatch, int sets);

  RoundResult run_round(int round, const RoundConfig& config);

  int n_splits() const { return n_splits_; }
  int n_copies() const { return n_copies_; }
  const std::string& backend_names() const { return backend_names_; }
  size_t weight_bytes() const { return weights_->bytes; }

 private:
  struct Timing {
    double host = 0, compute = 0, wall = 0, sync = 0;  // seconds
  };
  void decode(int set, int fault_ubatch, Timing& t);
  void check(int set, RoundResult& r, double tolerance) const;

  Scenario scenario_;
  const Backends& backends_;
  const Reference& reference_;
  int n_ubatch_;
  std::vector<ggml_backend_t> device_backend_;  // by device index + 1 (0: the CPU)
  std::unique_ptr<Weights> weights_;
  std::unique_ptr<GraphBuilder> builder_;
  ggml_backend_sched_ptr sched_;
  ggml_backend_buffer_ptr out_buffer_;
  float* out_ = nullptr;
  std::vector<std::vector<UbatchInputs>> inputs_;  // [set][ubatch]
  std::vector<std::vector<UbatchInputs>> faulty_;  // the same, token ids perturbed
  AssignFn assign_;
  int n_splits_ = 0;
  int n_copies_ = 0;
  std::string backend_names_;
};

}  // namespace gsb
