// The interface between schedcheck and a plugin built from one ggml source tree
// (bridge/plugin/): the plugin runs that tree's real ggml_backend_sched over simulated devices,
// or over ggml's own backends behind a recording proxy, and reports every backend-interface
// call they receive; schedcheck turns each call into the
// executor operations it stands for. The plugin is compiled at run time by the compiler that
// built schedcheck (bridge/plugin_build.cpp), so plain C++ types cross the boundary.
// This header is compiled by both sides and depends on the standard library only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace schedcheck::bridge {

// Bumped whenever anything in this file changes; the plugin refuses another version.
inline constexpr int kAbiVersion = 7;
inline constexpr const char* kCreateSymbol = "schedcheck_bridge_create";

// ---- What schedcheck tells the plugin: one scenario, validated and resolved to indices.

enum class MemoryKind : int { device, pinned_host, pageable_host };
enum class DeviceType : int { gpu, accel, cpu };

struct BufferDesc {  // one per scenario buffer; each gets a buffer type of its own
  std::string name;
  MemoryKind kind = MemoryKind::pageable_host;
  int owner = -1;  // device memory: the backend whose memory it is
  uint64_t alignment = 32;
  uint64_t size = 0;     // persistent buffers: allocated before the run
  bool compute = false;  // allocated by the scheduler's allocator (size 0 here)
  bool weights = false;  // GGML_BACKEND_BUFFER_USAGE_WEIGHTS
};

struct BackendDesc {
  std::string name;
  DeviceType type = DeviceType::cpu;
  bool async = false;          // synchronize member; graph_compute only enqueues
  bool events = false;         // event_new / record / wait / synchronize
  bool set_get_async = false;  // set_tensor_async / get_tensor_async members
  bool cpy_async = false;      // cpy_tensor_async member
  // The device caps a tree may define beyond ggml-head's (patches/ggml-head/0004): event_wait
  // takes another device's event; async copies run in order with compute on one queue.
  bool events_cross_device = false;
  bool async_copies_in_order = false;
  int compute_buffer = -1;    // the scenario buffer the scheduler allocates its tensors in
  std::vector<bool> can_use;  // per buffer: supports_buft
  // ggml's meta backend (ggml-backend-meta.cpp) over member devices: `members` are the scenario
  // backends it is made of; a member is not one of the scheduler's backends and names its
  // `meta`. What the meta backend allocates on a member's device goes to the member's scenario
  // buffers by purpose: slices of the scheduler's tensors to its compute buffer, slices of the
  // weights to `weights_buffer`, the AllReduce's temporary buffers to `reduce_buffer`.
  std::vector<int> members;
  int meta = -1;
  int weights_buffer = -1;
  int reduce_buffer = -1;
};

enum class TensorRole : int { persistent, user_input, node_output };
enum class ElementType : int { f32, i32 };
enum class Fill : int { uniform, tokens, positions, causal_mask };

struct TensorDesc {
  TensorRole role = TensorRole::node_output;
  uint64_t size = 0;
  bool input = false;
  bool output = false;
  int buffer = -1;           // explicit placement (persistent tensors, placed outputs)
  int64_t offset = -1;       // explicit offset in that buffer
  uint64_t expert_rows = 0;  // > 0: MUL_MAT_ID expert weights, this many experts
  bool ids = false;          // MUL_MAT_ID expert ids (int32)
  // Graphs computed with their own ops (GraphDesc::own_ops): the tensor's shape and elements,
  // and how the values of inputs and persistent tensors are made.
  std::vector<int64_t> shape;
  ElementType type = ElementType::f32;
  Fill fill = Fill::uniform;
  double scale = 1;
  int64_t below = 0;
  int split = -1;  // persistent tensors of a meta backend: axis 0-3, or 10 (mirrored)
};

// One ggml view a node's op reads a source through.
struct ViewDesc {
  enum class Kind : int { reshape, permute, transpose };
  Kind kind = Kind::reshape;
  std::vector<int64_t> dims;
};

struct NodeDesc {
  std::string op;  // the scenario's op name; mapped to a ggml op by the plugin
  int backend = -1;
  std::vector<int> sources;  // tensors
  int output = -1;           // tensor written (a persistent one for in-place writes)
  bool writes_persistent = false;
  bool inplace = false;
  std::vector<std::vector<ViewDesc>> views;            // own ops: per source (or empty)
  std::vector<std::pair<std::string, double>> params;  // own ops: "eps", "scale", ...
};

struct GraphDesc {
  std::vector<BackendDesc> backends;  // the CPU backend last
  std::vector<BufferDesc> buffers;
  std::vector<TensorDesc> tensors;
  std::vector<NodeDesc> nodes;  // in graph order
  bool parallel = false;        // ggml_backend_sched_new(..., parallel, ...)
  int max_copies = 4;           // GGML_SCHED_MAX_COPIES the plugin was built with
  bool eval_callback = false;
  bool callback_all_nodes = false;
  std::vector<int> callback_nodes;
  // Nodes become ops that backends compute (every tensor F32), not placeholders; required by
  // devices that compute, optional for simulated ones (then both see the same graph).
  bool computable = false;
  // Computable graphs whose tensors have shapes: every node is the ggml op it names, fed through
  // its views (op_lowering.cpp), and host reads are compared with a tolerance, not bit for bit.
  bool own_ops = false;
  int evaluations = 0;  // how many the run has (devices that compute prepare the reference)
  // The checker's self-test: the run (not the reference) writes other values into this user
  // input in this evaluation, so that the host reads that depend on it must differ.
  int fault_tensor = -1;
  int fault_eval = -1;
};

// ---- What the plugin reports: tensors and host memory resolved to scenario places.

struct TensorRef {
  int tensor = -1;        // scenario tensor (copies: the source tensor; views: the viewed one)
  int copy_backend = -1;  // a split-input copy: the backend it was made for
  int slot = 0;           // its copy index
  int buffer = -1;        // scenario buffer holding the bytes (-1: none known)
  uint64_t offset = 0;    // within that buffer
  uint64_t size = 0;
  uint64_t tensor_offset = 0;  // where these bytes start within the tensor (partial transfers)
};

struct MemRef {     // host memory given by pointer: inside a scenario buffer, or the caller's own
  int buffer = -1;  // -1: memory of the caller (llama.cpp's arrays, the scheduler's ids vector)
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct InputWrite {  // a program's set_input
  int tensor = -1;
  uint64_t offset = 0;
  uint64_t size = 0;
  MemRef from;  // buffer -1: the caller's own memory
  bool async = false;
  int backend = -1;  // async: the backend the program passes (its buffer's)
};

struct NodeRef {
  int node = -1;  // scenario node; -1: an op the meta backend adds to combine partial sums
  std::vector<TensorRef> sources;
  TensorRef output;
  // node -1: the scenario tensor whose partial sums the op adds (an AllReduce step) or zeroes
  // (a device whose slice is empty); sources[k].tensor and output.tensor name it too.
  int reduces = -1;
};

// A delay to apply before the call just reported goes to the device: the host sleeps, and
// the queue of `queue_backend` is held by work enqueued on it first.
struct Hold {
  int host_microseconds = 0;
  int queue_backend = -1;
  int queue_microseconds = 0;
};

// A host read that saw bytes other than the sequential reference's (devices that compute).
struct ReadMismatch {
  std::string read;  // "host reads output", "eval callback reads"
  int tensor = -1;
  int eval = 0;
  uint64_t first_byte = 0;  // within the tensor
  uint64_t wrong_bytes = 0;
  float expected = 0;  // the first wrong element
  float got = 0;
  // Graphs with own ops: the largest |got - expected| over the largest |expected| (elements
  // count as wrong above kReadTolerance of it). Bit-exact graphs: 0.
  double error = 0;
};

// Own ops are computed by different kernels on each backend (cuBLAS may use TF32): a read
// matches the reference when every element is within this fraction of the read's largest value.
inline constexpr double kReadTolerance = 1e-2;

// GGML_CUDA_ALLREDUCE for a meta backend over ggml-cuda: "none" (or unset) makes ggml-cuda
// decline, so the meta backend takes its generic AllReduce, which the bridge sees; "internal" and
// "nccl" run ggml-cuda's own, below the bridge. Empty for those, else what was expected.
inline std::string cuda_allreduce_error(std::string_view value) {
  if (value == "none" || value == "internal" || value == "nccl") return "";
  return "GGML_CUDA_ALLREDUCE=" + std::string(value) +
         ": expected none (the generic AllReduce, which the bridge sees), internal or nccl "
         "(ggml-cuda's own, below the bridge)";
}

// The devices call this for everything the scheduler asks of them.
class Host {
 public:
  virtual void synchronize(int backend) = 0;
  virtual void event_record(int backend, int event_backend, int event_index) = 0;
  virtual void event_wait(int backend, int event_backend, int event_index) = 0;
  virtual void event_synchronize(int event_backend, int event_index) = 0;
  // The destination backend's cpy_tensor_async member: true = accepted.
  virtual bool cpy_tensor_async(int src_backend, int dst_backend, const TensorRef& src,
                                const TensorRef& dst) = 0;
  virtual void set_tensor_async(int backend, const TensorRef& dst, const MemRef& src) = 0;
  // host_data: the destination; filled with expert ids when the scheduler reads ids.
  virtual void get_tensor_async(int backend, const TensorRef& src, const MemRef& dst,
                                void* host_data) = 0;
  // split: the scheduler's split the nodes belong to; ends_split: they end it.
  virtual void graph_compute(int backend, int split, bool ends_split,
                             const std::vector<NodeRef>& nodes) = 0;
  // Buffer members (blocking): host memcpy for host buffers, a hidden stream for device ones.
  virtual void buffer_set_tensor(const TensorRef& dst, const MemRef& src) = 0;
  // dst_copy: the split-input copy at dst, when ggml_backend_tensor_copy reads into one.
  virtual void buffer_get_tensor(const TensorRef& src, const MemRef& dst, const TensorRef* dst_copy,
                                 void* host_data) = 0;
  virtual bool buffer_cpy_tensor(const TensorRef& src, const TensorRef& dst) = 0;
  // The eval callback is asked (ask = true) or given (ask = false) a node's tensor.
  virtual bool eval_callback(int node, bool ask) = 0;
  // A call the devices cannot stand for; the run stops with this message.
  virtual void unsupported(const std::string& what) = 0;
  // Devices that compute: the delay for the call just reported (asked once per call).
  virtual Hold take_hold() = 0;
  virtual void read_mismatch(const ReadMismatch& m) = 0;
  // Graphs with own ops: every compared read's error (ReadMismatch::error), matched or not.
  virtual void read_error(double error) = 0;
  // ggml_backend_sched_synchronize returned (before the reads it made valid are compared).
  virtual void synchronized() = 0;

 protected:
  ~Host() = default;
};

// The plugin's side: ggml_backend_sched of its tree, driven the way llama.cpp drives it.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void reset() = 0;
  // Builds the graph anew (llama.cpp builds one per ubatch) and allocates it; realloc: the
  // graph differs from the previous one so that the scheduler must re-reserve.
  virtual bool alloc_graph(bool realloc) = 0;
  virtual bool graph_compute_async(int eval) = 0;
  virtual void synchronize() = 0;
  // Where the current graph placed a tensor (user inputs: the copy the scheduler bound).
  virtual TensorRef place(int tensor) const = 0;
  // ggml_backend_tensor_set of bytes [offset, offset + size) of the input's values in that
  // evaluation, from the caller's memory (from.buffer -1) or from a host buffer of the
  // scenario (whose bytes the host filled); async: ggml_backend_tensor_set_async on the
  // backend the scheduler assigned the input.
  virtual void set_input(const InputWrite& write, int eval) = 0;
  // ggml_backend_tensor_get_async into a host buffer of the scenario; devices that compute
  // compare the bytes with the reference after the next synchronize.
  virtual void get_output_async(int tensor, int eval, const MemRef& dst) = 0;
  // The run is over: reads not yet compared are compared now.
  virtual void finish() = 0;
  virtual int cur_copy() const = 0;  // the copy index the allocated graph is bound to
  // A program's set_backend: the graph built at every later allocation assigns the node this
  // backend (ggml_backend_sched_set_tensor_backend of each tensor the node lowers to).
  virtual void set_node_backend(int node, int backend) = 0;
};

// extern "C" Scheduler* schedcheck_bridge_create(int abi, const GraphDesc*, Host*, std::string*)
// returns nullptr with a message on failure (another ABI version, a graph ggml refuses).
using CreateFn = Scheduler* (*)(int abi, const GraphDesc* graph, Host* host, std::string* error);

// Errors inside ggml (GGML_ASSERT, GGML_ABORT) reach the caller as this exception.
struct GgmlAbort {
  std::string message;
};

}  // namespace schedcheck::bridge
