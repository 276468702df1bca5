// The plugin's entry point: the tree's ggml_backend_sched over the simulated devices, driven
// through its public API the way llama.cpp drives it (reserve once, then per ubatch reset,
// build, assign, alloc_graph, set inputs, compute, read outputs; synchronize per decode).
// Errors inside ggml (GGML_ASSERT) are turned into exceptions instead of an abort.
#include <memory>
#include <string>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {
namespace {

[[noreturn]] void abort_to_exception(const char* message) { throw GgmlAbort{message}; }

// The bytes llama.cpp writes inputs from; never read by the simulated devices.
const char kUserBytes[1] = {0};
char g_callback_bytes[1];  // where eval-callback reads land (never written)

bool eval_callback(ggml_tensor* t, bool ask, void* user_data);

class PluginScheduler final : public Scheduler {
 public:
  PluginScheduler(const GraphDesc& desc, Host& host)
      : desc_(desc), host_(host), devices_(desc_, host), graph_(desc_, devices_) {
    std::vector<ggml_backend_t> backends;
    std::vector<ggml_backend_buffer_type_t> bufts;
    for (std::size_t b = 0; b < desc_.backends.size(); ++b) {
      backends.push_back(devices_.backend(static_cast<int>(b)));
      bufts.push_back(devices_.buffer_type(desc_.backends[b].compute_buffer));
    }
    // Sized to the scenario: ggml allocates its tables from it on every scheduler creation.
    const std::size_t graph_size = 64 + 4 * (desc_.nodes.size() + desc_.tensors.size());
    sched_ = ggml_backend_sched_new(backends.data(), bufts.data(), static_cast<int>(backends.size()),
                                    graph_size, desc_.parallel, true);
    devices_.set_scheduler(sched_);
    if (desc_.eval_callback) ggml_backend_sched_set_eval_callback(sched_, eval_callback, this);
    // llama.cpp reserves the worst-case graph before the first decode.
    ggml_backend_sched_reset(sched_);
    graph_.build(0);
    graph_.assign(sched_);
    if (!ggml_backend_sched_reserve(sched_, graph_.graph()))
      host_.unsupported("ggml_backend_sched_reserve failed");
  }
  ~PluginScheduler() override { ggml_backend_sched_free(sched_); }

  void reset() override { ggml_backend_sched_reset(sched_); }

  bool alloc_graph(bool realloc) override {
    if (realloc) ++extra_leaves_;
    graph_.build(extra_leaves_);
    graph_.assign(sched_);
    return ggml_backend_sched_alloc_graph(sched_, graph_.graph());
  }

  bool graph_compute_async() override {
    return ggml_backend_sched_graph_compute_async(sched_, graph_.graph()) == GGML_STATUS_SUCCESS;
  }

  void synchronize() override { ggml_backend_sched_synchronize(sched_); }

  TensorRef place(int tensor) const override {
    TensorRef r = tensor_ref(graph_.current(tensor));
    if (desc_.tensors[tensor].role == TensorRole::user_input) r.slot = sched_cur_copy(sched_);
    return r;
  }

  void set_input(int tensor) override {
    ggml_tensor* t = graph_.current(tensor);
    ggml_backend_tensor_set(t, kUserBytes, 0, ggml_nbytes(t));
  }

  void get_output_async(int tensor, const MemRef& dst) override {
    ggml_tensor* t = graph_.current(tensor);
    ggml_backend_t backend = ggml_backend_sched_get_tensor_backend(sched_, t);
    if (!backend) return host_.unsupported("an output tensor with no backend");
    ggml_backend_tensor_get_async(backend, t, devices_.address(dst.buffer, dst.offset), 0,
                                  ggml_nbytes(t));
  }

  int cur_copy() const override { return sched_cur_copy(sched_); }

  bool callback(ggml_tensor* t, bool ask) {
    const int node = node_of(t);
    if (node < 0) return false;
    if (ask) return host_.eval_callback(node, true);
    host_.eval_callback(node, false);
    // llama.cpp's eval callbacks read the tensor with a blocking get.
    ggml_backend_tensor_get(t, g_callback_bytes, 0, ggml_nbytes(t));
    return true;
  }

 private:
  GraphDesc desc_;
  Host& host_;
  SimDevices devices_;
  GraphBuilder graph_;
  ggml_backend_sched_t sched_ = nullptr;
  int extra_leaves_ = 0;
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
  try {
    return new PluginScheduler(*graph, *host);
  } catch (const GgmlAbort& e) {
    *error = "ggml: " + e.message;
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return nullptr;
}
