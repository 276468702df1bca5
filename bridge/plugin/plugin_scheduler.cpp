// The plugin's entry point: the tree's ggml_backend_sched over the plugin's devices, driven
// through its public API the way llama.cpp drives it (reserve once, then per ubatch reset,
// build, assign, alloc_graph, set inputs, compute, read outputs; synchronize per decode).
// With devices that compute, inputs carry their values and every host read is compared with
// the sequential reference. Errors inside ggml (GGML_ASSERT) become exceptions, not an abort.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {
namespace {

[[noreturn]] void abort_to_exception(const char* message) {
  throw GgmlAbort{message};
}

// ggml's warnings and errors reach stderr; its progress notes (a backend's CUDA graph warm-up,
// device lists) would drown a run's report. With GGML_SCHED_DEBUG set, the scheduler's debug
// output (its split assignments, the dump `schedcheck import` reads) reaches stderr too.
void log_warnings(enum ggml_log_level level, const char* text, void*) {
  static const bool sched_debug = std::getenv("GGML_SCHED_DEBUG") != nullptr;
  static bool shown = false;  // GGML_LOG_LEVEL_CONT continues the previous message
  if (level != GGML_LOG_LEVEL_CONT)
    shown = level >= GGML_LOG_LEVEL_WARN || (sched_debug && level == GGML_LOG_LEVEL_DEBUG);
  if (shown) std::fputs(text, stderr);
}

bool eval_callback(ggml_tensor* t, bool ask, void* user_data);

class PluginScheduler final : public Scheduler {
 public:
  PluginScheduler(const GraphDesc& desc, Host& host)
      : desc_(desc), host_(host), devices_(make_devices(desc_, host)), graph_(desc_, *devices_) {
    reference_ = devices_->make_reference(desc_);
    if (reference_ || graph_.has_meta()) graph_.fill_weights(reference_ != nullptr);
    std::vector<ggml_backend_t> backends;
    std::vector<ggml_backend_buffer_type_t> bufts;
    for (std::size_t b = 0; b < desc_.backends.size(); ++b) {
      if (desc_.backends[b].meta >= 0) continue;  // a meta backend's device: not the scheduler's
      backends.push_back(devices_->backend(static_cast<int>(b)));
      bufts.push_back(devices_->buffer_type(desc_.backends[b].compute_buffer));
    }
    // Sized to the scenario: ggml allocates its tables from it on every scheduler creation.
    const std::size_t graph_size = 64 + 16 * (desc_.nodes.size() + desc_.tensors.size());
    sched_ =
        ggml_backend_sched_new(backends.data(), bufts.data(), static_cast<int>(backends.size()),
                               graph_size, desc_.parallel, true);
    devices_->set_scheduler(sched_, &graph_);
    set_meta_scheduler(sched_);
    if (desc_.eval_callback) ggml_backend_sched_set_eval_callback(sched_, eval_callback, this);
    // llama.cpp reserves the worst-case graph before the first decode.
    ggml_backend_sched_reset(sched_);
    graph_.build(0);
    graph_.assign(sched_);
    if (!ggml_backend_sched_reserve(sched_, graph_.graph()))
      host_.unsupported("ggml_backend_sched_reserve failed");
  }
  ~PluginScheduler() override {
    set_meta_scheduler(nullptr);
    ggml_backend_sched_free(sched_);
  }

  void reset() override { ggml_backend_sched_reset(sched_); }

  bool alloc_graph(bool realloc) override {
    if (realloc) ++extra_leaves_;
    graph_.build(extra_leaves_);
    graph_.assign(sched_);
    return ggml_backend_sched_alloc_graph(sched_, graph_.graph());
  }

  bool graph_compute_async(int eval) override {
    eval_ = eval;
    return ggml_backend_sched_graph_compute_async(sched_, graph_.graph()) == GGML_STATUS_SUCCESS;
  }

  void synchronize() override {
    ggml_backend_sched_synchronize(sched_);
    host_.synchronized();
    compare_pending();
  }

  TensorRef place(int tensor) const override {
    TensorRef r = tensor_ref(graph_.current(tensor));
    if (desc_.tensors[tensor].role == TensorRole::user_input) r.slot = sched_cur_copy(sched_);
    return r;
  }

  void set_input(const InputWrite& w, int eval) override {
    ggml_tensor* t = graph_.current(w.tensor);
    const size_t size = w.size > 0 ? w.size : ggml_nbytes(t) - w.offset;
    bytes_.assign(ggml_nbytes(t), 0);
    if (reference_) {
      // The reference computes each evaluation from whole inputs of that evaluation.
      if (size != ggml_nbytes(t)) return host_.unsupported("a partial input write");
      const bool fault = w.tensor == desc_.fault_tensor && eval == desc_.fault_eval;
      bytes_ = tensor_values(desc_, w.tensor, fault ? eval + 1000 : eval);
    }
    const uint8_t* data = bytes_.data() + w.offset;
    if (w.from.buffer >= 0) {
      void* at = devices_->address(w.from.buffer, w.from.offset);
      if (!at) return host_.unsupported("an input written from a buffer that is not allocated");
      if (reference_) std::memcpy(at, data, size);  // devices that compute have real memory
      data = static_cast<const uint8_t*>(at);
    }
    if (!w.async) return ggml_backend_tensor_set(t, data, w.offset, size);
    ggml_backend_tensor_set_async(devices_->backend(w.backend), t, data, w.offset, size);
  }

  void get_output_async(int tensor, int eval, const MemRef& dst) override {
    ggml_tensor* t = graph_.current(tensor);
    ggml_backend_t backend = ggml_backend_sched_get_tensor_backend(sched_, t);
    if (!backend) return host_.unsupported("an output tensor with no backend");
    void* at = devices_->address(dst.buffer, dst.offset);
    ggml_backend_tensor_get_async(backend, t, at, 0, ggml_nbytes(t));
    if (reference_) pending_.push_back({tensor, eval, at, ggml_nbytes(t)});
  }

  void finish() override { compare_pending(); }

  int cur_copy() const override { return sched_cur_copy(sched_); }

  void set_node_backend(int node, int backend) override {
    desc_.nodes.at(static_cast<std::size_t>(node)).backend = backend;
  }

  bool callback(ggml_tensor* t, bool ask) {
    const int node = graph_.node_of(t);
    if (node < 0) return false;
    if (ask) return host_.eval_callback(node, true);
    host_.eval_callback(node, false);
    // llama.cpp's eval callbacks read the tensor with a blocking get.
    std::vector<uint8_t> got(ggml_nbytes(t));
    ggml_backend_tensor_get(t, got.data(), 0, got.size());
    if (reference_ && !desc_.nodes[node].writes_persistent)
      compare("eval callback reads", desc_.nodes[node].output, eval_, got.data(), got.size());
    return true;
  }

 private:
  struct PendingRead {
    int tensor;
    int eval;
    const void* at;
    std::size_t size;
  };

  void compare_pending() {
    for (const PendingRead& r : pending_)
      compare("host reads output", r.tensor, r.eval, r.at, r.size);
    pending_.clear();
  }

  void compare(const char* read, int tensor, int eval, const void* at, std::size_t size) {
    const std::vector<uint8_t>* want = reference_->value(tensor, eval);
    if (!want || want->size() != size)
      return host_.unsupported(std::string(read) + " of tensor " + std::to_string(tensor) +
                               " in evaluation " + std::to_string(eval) +
                               ": the reference has no value of that size");
    const auto* got = static_cast<const uint8_t*>(at);
    if (desc_.own_ops) return compare_within_tolerance(read, tensor, eval, got, *want);
    ReadMismatch m;
    for (std::size_t i = 0; i < size; i += 4) {
      if (std::memcmp(got + i, want->data() + i, 4) == 0) continue;
      if (m.wrong_bytes == 0) {
        m.first_byte = i;
        std::memcpy(&m.expected, want->data() + i, 4);
        std::memcpy(&m.got, got + i, 4);
      }
      m.wrong_bytes += 4;
    }
    if (m.wrong_bytes == 0) return;
    m.read = read;
    m.tensor = tensor;
    m.eval = eval;
    host_.read_mismatch(m);
  }

  // Own ops: float elements, each within kReadTolerance of the read's largest expected value.
  void compare_within_tolerance(const char* read, int tensor, int eval, const uint8_t* got_bytes,
                                const std::vector<uint8_t>& want_bytes) {
    const std::size_t count = want_bytes.size() / 4;
    std::vector<float> got(count), want(count);
    std::memcpy(got.data(), got_bytes, count * 4);
    std::memcpy(want.data(), want_bytes.data(), count * 4);
    double scale = 0;
    for (float w : want)
      if (std::isfinite(w)) scale = std::max(scale, static_cast<double>(std::fabs(w)));
    if (scale == 0) scale = 1;
    ReadMismatch m;
    for (std::size_t i = 0; i < count; ++i) {
      const double inf = std::numeric_limits<double>::infinity();
      double e = got[i] == want[i] ? 0.0 : inf;  // infinities match only themselves
      if (std::isfinite(want[i]) && std::isfinite(got[i]))
        e = std::fabs(static_cast<double>(got[i]) - want[i]) / scale;
      m.error = std::max(m.error, e);
      if (e <= kReadTolerance) continue;
      if (m.wrong_bytes == 0) {
        m.first_byte = i * 4;
        m.expected = want[i];
        m.got = got[i];
      }
      m.wrong_bytes += 4;
    }
    host_.read_error(m.error);
    if (m.wrong_bytes == 0) return;
    m.read = read;
    m.tensor = tensor;
    m.eval = eval;
    host_.read_mismatch(m);
  }

  GraphDesc desc_;
  Host& host_;
  std::unique_ptr<Devices> devices_;  // outlives the graph, whose tensors use its buffers
  GraphBuilder graph_;
  std::shared_ptr<const ReferenceGraph> reference_;
  ggml_backend_sched_t sched_ = nullptr;
  int extra_leaves_ = 0;
  int eval_ = 0;
  std::vector<uint8_t> bytes_;  // the caller's memory inputs are written from
  std::vector<PendingRead> pending_;
};

bool eval_callback(ggml_tensor* t, bool ask, void* user_data) {
  return static_cast<PluginScheduler*>(user_data)->callback(t, ask);
}

}  // namespace
}  // namespace schedcheck::bridge

extern "C" __attribute__((visibility("default"))) schedcheck::bridge::Scheduler*
schedcheck_bridge_create(int abi, const schedcheck::bridge::GraphDesc* graph,
                         schedcheck::bridge::Host* host, std::string* error) {
  using namespace schedcheck::bridge;
  if (abi != kAbiVersion) {
    *error = "plugin built for bridge ABI " + std::to_string(kAbiVersion) + ", caller has " +
             std::to_string(abi);
    return nullptr;
  }
  ggml_set_abort_callback(abort_to_exception);
  ggml_log_set(log_warnings, nullptr);
  try {
    return new PluginScheduler(*graph, *host);
  } catch (const GgmlAbort& e) {
    *error = "ggml: " + e.message;
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return nullptr;
}
