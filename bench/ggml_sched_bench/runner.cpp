#include "runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "errors.hpp"

namespace gsb {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

ScenarioRunner::ScenarioRunner(const Scenario& scenario, const Backends& backends,
                               const Reference& reference, uint64_t seed, int n_ubatch, int sets)
    : scenario_(scenario), backends_(backends), reference_(reference), n_ubatch_(n_ubatch) {
  // The scheduler's backends in llama.cpp's order: the GPUs, then the CPU (last, as ggml needs).
  std::vector<ggml_backend_t> sched_backends;
  std::vector<ggml_backend_buffer_type_t> sched_bufts;
  device_backend_.push_back(backends.cpu());
  for (int i = 0; i < scenario.gpus; ++i) {
    sched_backends.push_back(backends.gpu(i));
    sched_bufts.push_back(backends.gpu_buft(i));
    device_backend_.push_back(backends.gpu(i));
    backend_names_ += backends.gpu_name(i) + ",";
  }
  sched_backends.push_back(backends.cpu());
  sched_bufts.push_back(backends.host_buft());
  backend_names_ += "CPU";

  // Weights where llama.cpp puts them: offloaded layers in the GPU's buffer, the others (and
  // the token embedding) in the CPU's buffer type (CUDA's pinned host buffer when offloading).
  weights_ = std::make_unique<Weights>(
      scenario.shape, scenario.layer_device, scenario.head_device,
      [&backends](int d) { return d == kCpu ? backends.host_buft() : backends.gpu_buft(d); }, seed);
  builder_ = std::make_unique<GraphBuilder>(scenario.shape, *weights_, scenario.layer_device,
                                            scenario.head_device);
  sched_.reset(ggml_backend_sched_new(sched_backends.data(), sched_bufts.data(),
                                      static_cast<int>(sched_backends.size()),
                                      GraphBuilder::kMaxNodes, scenario.parallel, true));
  if (!sched_) throw BenchError(scenario.name + ": ggml_backend_sched_new failed");
  assign_ = [this](ggml_tensor* t, int device) {
    ggml_backend_sched_set_tensor_backend(sched_.get(), t,
                                          device_backend_[static_cast<size_t>(device + 1)]);
  };

  // Reserve with the graph, as llama.cpp's sched_reserve; then split it once to check that
  // every op's backend supports it (a clear error rather than an abort inside ggml).
  ggml_backend_sched_reset(sched_.get());
  UbatchGraph g = builder_->build(assign_);
  if (!ggml_backend_sched_reserve(sched_.get(), g.gf))
    throw BenchError(scenario.name + ": ggml_backend_sched_reserve failed");
  ggml_backend_sched_reset(sched_.get());
  g = builder_->build(assign_);
  if (!ggml_backend_sched_alloc_graph(sched_.get(), g.gf))
    throw BenchError(scenario.name + ": ggml_backend_sched_alloc_graph failed");
  for (int i = 0; i < ggml_graph_n_nodes(g.gf); ++i) {
    ggml_tensor* node = ggml_graph_node(g.gf, i);
    ggml_backend_t b = ggml_backend_sched_get_tensor_backend(sched_.get(), node);
    if (b != nullptr && !is_view(node) && !ggml_backend_supports_op(b, node))
      throw BenchError(scenario.name + ": " + ggml_backend_name(b) + " does not support " +
                       ggml_op_desc(node) + " (" + ggml_get_name(node) + ")");
  }
  n_splits_ = ggml_backend_sched_get_n_splits(sched_.get());
  n_copies_ = ggml_backend_sched_get_n_copies(sched_.get());

  // The output array, from the CPU's buffer type as llama.cpp's output buffer (pinned).
  const size_t out_bytes = reference.per_ubatch() * sizeof(float) * static_cast<size_t>(n_ubatch);
  out_buffer_.reset(ggml_backend_buft_alloc_buffer(backends.host_buft(), out_bytes));
  if (!out_buffer_) throw BenchError(scenario.name + ": cannot allocate the output array");
  out_ = static_cast<float*>(ggml_backend_buffer_get_base(out_buffer_.get()));

  for (int s = 0; s < sets; ++s) {
    inputs_.emplace_back();
    faulty_.emplace_back();
    for (int k = 0; k < n_ubatch; ++k) {
      inputs_.back().push_back(make_inputs(scenario.shape, seed, s, k));
      faulty_.back().push_back(perturbed(scenario.shape, inputs_.back().back()));
    }
  }
}

void ScenarioRunner::decode(int set, int fault_ubatch, Timing& t) {
  const size_t per = reference_.per_ubatch();
  const auto start = Clock::now();
  for (int k = 0; k < n_ubatch_; ++k) {
    const auto t0 = Clock::now();
    ggml_backend_sched_reset(sched_.get());
    const UbatchGraph g = builder_->build(assign_);
    if (!ggml_backend_sched_alloc_graph(sched_.get(), g.gf))
      throw BenchError(scenario_.name + ": ggml_backend_sched_alloc_graph failed");
    const auto& source = k == fault_ubatch ? faulty_ : inputs_;
    set_inputs(g, source[static_cast<size_t>(set)][static_cast<size_t>(k)]);
    const auto t1 = Clock::now();
    if (ggml_backend_sched_graph_compute_async(sched_.get(), g.gf) != GGML_STATUS_SUCCESS)
      throw BenchError(scenario_.name + ": ggml_backend_sched_graph_compute_async failed");
    const auto t2 = Clock::now();
    ggml_backend_tensor_get_async(ggml_backend_sched_get_tensor_backend(sched_.get(), g.logits),
                                  g.logits, out_ + static_cast<size_t>(k) * per, 0,
                                  ggml_nbytes(g.logits));
    const auto t3 = Clock::now();
    t.host += seconds(t0, t3);
    t.compute += seconds(t1, t2);
  }
  const auto before_sync = Clock::now();
  ggml_backend_sched_synchronize(sched_.get());
  const auto end = Clock::now();
  t.sync += seconds(before_sync, end);
  t.wall += seconds(start, end);
}

void ScenarioRunner::check(int set, RoundResult& r, double tolerance) const {
  const size_t per = reference_.per_ubatch();
  for (int k = 0; k < n_ubatch_; ++k) {
    const float* out = out_ + static_cast<size_t>(k) * per;
    const float* ref = reference_.logits(set, k);
    double diff = 0, magnitude = 0;
    for (size_t i = 0; i < per; ++i) {
      const double d = std::fabs(static_cast<double>(out[i]) - static_cast<double>(ref[i]));
      diff = std::isnan(d) ? HUGE_VAL : std::max(diff, d);
      magnitude = std::max(magnitude, std::fabs(static_cast<double>(ref[i])));
    }
    const double err = diff / std::max(1.0, magnitude);
    ++r.checked;
    r.max_err = std::max(r.max_err, err);
    if (err > tolerance) {
      ++r.corrupted;
      ++r.corrupted_by_ubatch[static_cast<size_t>(k)];
      r.min_err_corrupted = std::min(r.min_err_corrupted, err);
    } else {
      r.max_err_clean = std::max(r.max_err_clean, err);
    }
  }
}

RoundResult ScenarioRunner::run_round(int round, const RoundConfig& config) {
  RoundResult r;
  r.corrupted_by_ubatch.assign(static_cast<size_t>(n_ubatch_), 0);
  const size_t floats = reference_.per_ubatch() * static_cast<size_t>(n_ubatch_);
  Timing measured;
  for (int d = 0; d < config.warmup + config.decodes; ++d) {
    const int set = (round + d) % config.sets;
    std::fill(out_, out_ + floats, std::nanf(""));  // an output never written reads as corrupt
    Timing t;
    decode(set, config.inject_fault, t);
    if (d >= config.warmup) {
      measured.host += t.host;
      measured.compute += t.compute;
      measured.sync += t.sync;
      measured.wall += t.wall;
    }
    check(set, r, config.tolerance);
  }
  r.ubatches = config.decodes * n_ubatch_;
  r.host_us_per_ubatch = 1e6 * measured.host / r.ubatches;
  r.compute_async_us_per_ubatch = 1e6 * measured.compute / r.ubatches;
  r.sync_us_per_decode = 1e6 * measured.sync / config.decodes;
  r.ubatches_per_s = r.ubatches / measured.wall;
  return r;
}

}  // namespace gsb
