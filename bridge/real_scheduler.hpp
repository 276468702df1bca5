// A real ggml tree's ggml_backend_sched behind the scheduler interface: the driver's calls go
// to the tree's scheduler (in its plugin), and every call the scheduler makes of the simulated
// devices comes back here and becomes the backend-API call it stands for, with the byte ranges
// ggml's own allocator chose and the value the graph's sequential semantics prescribe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "bridge/plugin_abi.hpp"
#include "bridge/plugin_library.hpp"
#include "driver/scheduler_port.hpp"
#include "model/input_values.hpp"
#include "model/node_assignment.hpp"
#include "model/persistent_values.hpp"
#include "model/prepared_run.hpp"

namespace schedcheck {

// A call the bridge cannot stand for, or an error inside ggml: the run stops with it.
class BridgeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The scenario as the plugin receives it (bridge/plugin_abi.hpp).
bridge::GraphDesc graph_desc(const PreparedRun& run);

// What a run over ggml's own backends needs besides the scheduler: the delays to apply before
// each call (asked once per device call, after the call's operations reached the executor), and
// the host reads that saw other bytes than the sequential reference.
struct RealRunHooks {
  std::function<bridge::Hold()> take_hold;
  std::vector<bridge::ReadMismatch> mismatches;
  double max_read_error = 0;  // graphs with own ops: the largest error of any compared read
  int reads_compared = 0;
  // When the host entered each evaluation's graph_compute_async, and when the last synchronize
  // returned (reads not yet compared): how fast the host goes against the devices.
  std::vector<std::chrono::steady_clock::time_point> compute_starts;
  std::chrono::steady_clock::time_point finished;
  Index fault_tensor = kNone;  // the checker's self-test (bridge::GraphDesc::fault_tensor)
  int fault_eval = -1;
};

class RealScheduler final : public SchedulerPort, private bridge::Host {
 public:
  // Creates the tree's scheduler and reserves the graph (nothing reaches the api until then).
  // hooks: nullptr prints read mismatches to stderr instead of collecting them.
  RealScheduler(PreparedRun& run, BackendApi& api, const PluginLibrary& plugin,
                RealRunHooks* hooks = nullptr);
  ~RealScheduler() override;
  RealScheduler(const RealScheduler&) = delete;
  RealScheduler& operator=(const RealScheduler&) = delete;

  void reset() override;
  void alloc_graph(const EvalContext& ctx, bool realloc) override;
  void synchronize(const CallSite& site) override;
  void graph_compute_async(const EvalContext& ctx) override;
  bool is_alloc() const override { return is_alloc_; }
  TensorView tensor_view(Index tensor, int eval) const override;
  // llama#27311's input ring is not in any ggml tree: a policy with uma_ring is refused.
  void prepare_inputs(const CallSite& site) override;
  void set_input(const InputWrite& write, const CallSite& site) override;
  void get_output_async(Index tensor, const TensorView& host_dst, const CallSite& site) override;
  void set_tensor_backend(Index node, Index backend) override;
  // The run is over: reads not compared yet (devices that compute) are compared now.
  void finish();

 private:
  // bridge::Host: the simulated devices' calls.
  void synchronize(int backend) override;
  void event_record(int backend, int event_backend, int event_index) override;
  void event_wait(int backend, int event_backend, int event_index) override;
  void event_synchronize(int event_backend, int event_index) override;
  bool cpy_tensor_async(int src_backend, int dst_backend, const bridge::TensorRef& src,
                        const bridge::TensorRef& dst) override;
  void set_tensor_async(int backend, const bridge::TensorRef& dst,
                        const bridge::MemRef& src) override;
  void get_tensor_async(int backend, const bridge::TensorRef& src, const bridge::MemRef& dst,
                        void* host_data) override;
  void graph_compute(int backend, int split, bool ends_split,
                     const std::vector<bridge::NodeRef>& nodes) override;
  void buffer_set_tensor(const bridge::TensorRef& dst, const bridge::MemRef& src) override;
  void buffer_get_tensor(const bridge::TensorRef& src, const bridge::MemRef& dst,
                         const bridge::TensorRef* dst_copy, void* host_data) override;
  bool buffer_cpy_tensor(const bridge::TensorRef& src, const bridge::TensorRef& dst) override;
  void load_weights(const bridge::TensorRef& dst, const bridge::MemRef& src);
  bool eval_callback(int node, bool ask) override;
  [[noreturn]] void unsupported(const std::string& what) override;
  bridge::Hold take_hold() override;
  void read_mismatch(const bridge::ReadMismatch& m) override;
  void read_error(double error) override;
  void synchronized() override;

  // The call site of a call made now, in the current driver or scheduler step.
  CallSite site(Call call, Index backend) const;
  // A driver entry point starts: the calls it makes carry this site.
  void begin(const CallSite& base);
  bool callback_mode() const { return scenario_.driver.eval_callback.has_value(); }
  TensorView view(const bridge::TensorRef& ref) const;
  // Host memory given by pointer, holding (part of) `like`'s tensor.
  TensorView host_view(const bridge::MemRef& mem, const TensorView& like) const;
  // The run's copy tensor for (source, backend); one the model did not form is added to the
  // run's plan (run_ is a reference: the plan is the run's, not this object's).
  Index copy_index(Index source, Index backend) const;
  EventId event(int backend, int index) const;
  LogicalValue expected(Index tensor) const;
  // The scheduler's read of expert ids (MUL_MAT_ID): into its private host vector.
  bool is_ids_read(const bridge::TensorRef& src, const bridge::MemRef& dst) const;
  // The MUL_MAT_ID node whose expert ids a tensor is, or kNone.
  Index ids_node(Index tensor) const;
  void start_ids_read(const TensorView& src, void* host_data);
  void finish_ids_read();

  std::unique_lock<std::mutex> lock_;  // the plugin's, for the whole run (declared first)
  RealRunHooks* hooks_ = nullptr;
  std::string label_;
  PreparedRun& run_;
  const Scenario& scenario_;
  BackendApi& api_;
  bridge::GraphDesc desc_;
  std::unique_ptr<bridge::Scheduler> sched_;
  bool setup_ = true;  // reserve at creation: nothing is reported
  bool is_alloc_ = false;
  CallSite base_;    // the driver step in progress
  Index split_ = 0;  // split of the calls made now
  // The last launch: the calls right after it that still belong to its split (its event
  // record; with an eval callback, its synchronize and the callback's read).
  struct Launch {
    Index split = kNone;
    Index backend = kNone;
    bool ends_split = false;
  };
  std::optional<Launch> launched_;
  // Called by every device call: which split it belongs to.
  enum class After { record, synchronize, callback_read, other };
  void attribute(After kind, Index backend);
  Index callback_read_ = kNone;
  PersistentValues persistent_;  // reference semantics of weights and KV cache
  NodeAssignment assignment_;    // the program's node backends: the epoch of the graph
  InputValues inputs_;           // and of user inputs written in parts
  bool writing_input_ = false;   // inside a program's set_input: the tree's tensor_set is it
  struct IdsRead {
    TensorView host;
    void* data = nullptr;
    Index backend = kNone;
    Index node = kNone;
  };
  std::optional<IdsRead> ids_read_;
};

}  // namespace schedcheck
