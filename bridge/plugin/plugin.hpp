// Inside the plugin built from one ggml tree: the devices the scheduler runs on (simulated, or
// ggml's own backends behind a recording proxy), the scenario's graph as ggml tensors, and
// access to the scheduler's state. Compiled at run time against that tree's headers, never by
// CMake.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/plugin_abi.hpp"
#include "ggml-backend.h"
#include "ggml.h"

namespace schedcheck::bridge {

class GraphBuilder;
class ReferenceGraph;

// ---- The devices of a run: one backend per scenario backend, one buffer type per scenario
// buffer. sim_devices.cpp (nothing computed, addresses never dereferenced) and
// proxy_devices.cpp (ggml's real backends, every call recorded) implement it; a plugin links
// one of them.
class Devices {
 public:
  virtual ~Devices() = default;
  virtual ggml_backend_t backend(int b) const = 0;
  virtual ggml_backend_buffer_type_t buffer_type(int buffer) const = 0;
  // The persistent buffer allocated for a scenario buffer (nullptr for compute buffers).
  virtual ggml_backend_buffer_t persistent_buffer(int buffer) const = 0;
  // Pointer to a place in a scenario buffer (persistent or the compute buffer in use).
  virtual void* address(int buffer, uint64_t offset) const = 0;
  // Launches are attributed to the scheduler's splits and reported per scenario node.
  virtual void set_scheduler(ggml_backend_sched_t sched, const GraphBuilder* graph) = 0;
  // The sequential reference of devices that compute (nullptr for devices that do not: then
  // no values are written, read or compared).
  virtual std::shared_ptr<const ReferenceGraph> make_reference(const GraphDesc& graph) const = 0;
};
// The devices this plugin was built with.
Devices* make_devices(const GraphDesc& graph, Host& host);

// Pointers to scenario places, and what names are resolved against (in the devices' file).
MemRef mem_ref(const void* data, uint64_t size);
struct NamingContext {
  const GraphDesc* desc = nullptr;
  const std::vector<std::string>* backends = nullptr;  // backend names as ggml shows them
  Host* host = nullptr;
};
NamingContext naming_context();

// ---- tensor_names.cpp. Names the plugin gives ggml tensors: "t<index>" for scenario tensors
// (and views of them), "v<node>" for what a node writes into a persistent tensor; copies are
// "<backend>#<name>#<copy>" (ggml's format).
std::string tensor_name(int tensor);
std::string view_name(int node);
struct ParsedName {
  int tensor = -1;        // -1: not a scenario tensor
  int copy_backend = -1;  // index into `backends`
  int slot = 0;
};
ParsedName parse_tensor_name(const char* name, const GraphDesc& desc,
                             const std::vector<std::string>& backends);
// A ggml tensor as a scenario place: its name, and where mem_ref says its bytes are.
TensorRef tensor_ref(const ggml_tensor* t);
// The same for a tensor without a scenario name that holds (part of) scenario tensor `tensor`:
// the meta backend's AllReduce buffers and the ops it adds.
TensorRef tensor_ref_as(const ggml_tensor* t, int tensor);
// A copy's destination: the meta backend's AllReduce buffers have no name; they receive the
// source's tensor.
TensorRef copy_destination_ref(const ggml_tensor* dst, const TensorRef& from);

// ---- lowering.cpp: a scenario node as ggml ops that backends compute (GraphDesc::computable):
// every tensor is F32; the first op gives the node's output its memory, the other sources are
// added into it in place; a source larger than the output is read through a view of its first
// elements, a smaller one is broadcast.
struct LoweredNode {
  std::vector<ggml_tensor*> chain;  // the ops in order; the last is the node's result
  // Per scenario source: the op that reads it and the slot of its operand there (the scheduler
  // may replace the operand with a split-input copy).
  std::vector<std::pair<ggml_tensor*, int>> operands;
};
// sources: the current tensors of the node's sources; target: the persistent tensor a writer
// writes (nullptr for other nodes). Throws std::runtime_error for sizes it cannot lower.
LoweredNode lower_node(ggml_context* ctx, const GraphDesc& desc, int node,
                       const std::vector<ggml_tensor*>& sources, ggml_tensor* target);
// A node the lowering cannot compute: std::runtime_error naming the node and its op.
[[noreturn]] void refuse(const GraphDesc& desc, int node, const std::string& what);
// op_lowering.cpp: the same for graphs with own ops (GraphDesc::own_ops): the ggml op the node
// names over its sources' views; views come first in the chain.
LoweredNode lower_own_op(ggml_context* ctx, const GraphDesc& desc, int node,
                         const std::vector<ggml_tensor*>& sources, ggml_tensor* target);
// A tensor of the scenario as ggml sees it: I8 bytes, or F32 when computable.
ggml_tensor* new_scenario_tensor(ggml_context* ctx, const GraphDesc& desc, int tensor);
// tensor_values.cpp: the deterministic bytes of a weight (eval -1) or of a user input in an
// evaluation, by the tensor's fill; and its element count.
std::vector<uint8_t> tensor_values(const GraphDesc& desc, int tensor, int eval);
std::size_t element_count(const TensorDesc& t);

// ---- meta_backend.cpp: ggml's tensor-parallel meta backend (ggml-backend-meta.cpp, in trees
// that have it) over the plugin's devices of a meta backend's members.
bool tree_has_meta_backend();
bool has_meta_backend(const GraphDesc& desc);
// The meta backend whose device memory a scenario buffer is (ggml places it in slices on the
// members), or -1.
inline int meta_of_buffer(const GraphDesc& g, int buffer) {
  const int owner = g.buffers[static_cast<std::size_t>(buffer)].owner;
  return owner >= 0 && !g.backends[static_cast<std::size_t>(owner)].members.empty() ? owner : -1;
}
// A member's buffer for its weights' slices or its AllReduce: what is in it, the meta backend
// allocates (the devices make no persistent buffer for it).
inline bool filled_by_meta_member(const GraphDesc& g, int buffer) {
  for (const BackendDesc& b : g.backends)
    if (b.weights_buffer == buffer || b.reduce_buffer == buffer) return true;
  return false;
}
// Throws std::runtime_error for a scenario with a meta backend in a tree without one (called
// before anything is made, so that a refused run leaves nothing behind).
void require_meta_backend(const GraphDesc& desc);
// A meta backend over these devices (a scenario meta backend's members). Its graph_compute is
// wrapped: what the members are asked inside it belongs to the scheduler's split it computes,
// and what they allocate then is the AllReduce's. Throws std::runtime_error in a tree without it.
ggml_backend_t new_meta_backend(const std::vector<ggml_backend_dev_t>& members);
ggml_backend_buffer_type_t meta_buffer_type(ggml_backend_t meta);
void set_meta_scheduler(ggml_backend_sched_t sched);
bool in_meta_compute();
int meta_split();  // the scheduler's split in compute (-1: not known)
// The scheduler's split a launch belongs to, and whether it ends that split: a meta backend
// member's launch belongs to the split the meta backend computes (sched: nullptr before the
// scheduler exists).
struct LaunchSplit {
  int split = -1;
  bool ends = false;
};
LaunchSplit launch_split(ggml_backend_sched_t sched, ggml_cgraph* graph);
// Where a meta backend member's allocation in its compute buffer type goes: its weights' slices
// (before the scheduler exists) to its weights buffer, the AllReduce's buffers (inside the meta
// backend's graph_compute) to its reduce buffer, each at bytes of its own from *origin on
// (next_origin: per scenario buffer, its end so far); the scheduler's tensors stay in `compute`.
int meta_purpose_buffer(const GraphDesc& desc, int compute, bool scheduler_exists, uint64_t size,
                        std::vector<uint64_t>& next_origin, uint64_t* origin);

// ---- graph_builder.cpp: the scenario's graph, built anew per evaluation as llama.cpp does.
// A context for tensors only (no data), with room for a graph of as many; and how many tensors
// one evaluation's graph of a scenario may need (lowered nodes take several ops and views).
ggml_context* new_graph_context(std::size_t tensors);
std::size_t graph_capacity(const GraphDesc& desc);

class GraphBuilder {
 public:
  GraphBuilder(const GraphDesc& graph, Devices& devices);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // A new graph; extra_leaves: unused leaves that make it differ from the last one.
  ggml_cgraph* build(int extra_leaves);
  // Assigns every node to its backend (ggml_backend_sched_set_tensor_backend).
  void assign(ggml_backend_sched_t sched) const;
  ggml_tensor* current(int tensor) const { return current_[tensor]; }
  ggml_cgraph* graph() const { return graph_; }
  // The scenario node whose result t is (-1: none, or an inner op of a lowered node).
  int node_of(const ggml_tensor* t) const;
  // What a launched graph (a split, or a chunk of one) computes, per scenario node; false with
  // the name of a node the scenario does not have.
  bool node_refs(const ggml_cgraph* g, std::vector<NodeRef>* out, std::string* unknown) const;
  // Writes the weights (devices that compute; a meta backend's slices on any devices, as
  // llama.cpp loads them). Without `values` nothing reads them back, only the calls count: the
  // bytes come from zero pages, never generated (an 8B model's weights take seconds to make).
  void fill_weights(bool values) const;
  bool has_meta() const { return has_meta_; }

 private:
  ggml_tensor* new_node(ggml_context* ctx, int node);
  // meta_graph.cpp: the weights a meta backend holds, allocated in slices on its members.
  void alloc_meta_weights(const std::vector<int>& tensors);
  // A tensor a meta backend's member computes: a slice of a scenario node's result (its name),
  // an op the meta backend adds to combine partial sums (no name), or a view (skip).
  bool meta_node_ref(const ggml_tensor* t, NodeRef* ref, bool* skip) const;

  const GraphDesc& desc_;
  Devices& devices_;
  ggml_context* weights_ = nullptr;          // persistent tensors, allocated once
  std::vector<ggml_context*> meta_weights_;  // those a meta backend holds, per meta buffer
  std::vector<ggml_backend_buffer_t> meta_buffers_;
  std::vector<int> producer_;             // per tensor: the node whose result it is (-1)
  bool has_meta_ = false;                 // a backend of the scenario is a meta backend
  std::vector<ggml_tensor*> persistent_;  // per tensor (nullptr if not persistent)
  std::vector<ggml_context*> contexts_;   // the graphs still referenced (the last two)
  std::vector<ggml_tensor*> current_;     // per tensor, in the current graph
  std::vector<LoweredNode> lowered_;      // per node, in the current graph
  std::unordered_map<const ggml_tensor*, int> result_of_;  // node results -> node
  std::unordered_map<const ggml_tensor*, int> inner_of_;   // inner ops -> node
  ggml_cgraph* graph_ = nullptr;
};

// ---- reference_graph.cpp: the same graph computed sequentially by ggml-cpu, every evaluation
// in order, for devices that compute: the bytes every host read must see.
class ReferenceGraph {
 public:
  explicit ReferenceGraph(const GraphDesc& graph);
  // One per graph in a process: every run of a `real` command compares with the same values,
  // computed once (a llama-shaped graph takes seconds on the CPU).
  static std::shared_ptr<const ReferenceGraph> shared(const GraphDesc& graph);
  // The bytes of a node's output in an evaluation (nullptr: not computed).
  const std::vector<uint8_t>* value(int tensor, int eval) const {
    auto it = values_.find(key(tensor, eval));
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  static long long key(int tensor, int eval) {
    return (static_cast<long long>(tensor) << 32) | eval;
  }
  std::unordered_map<long long, std::vector<uint8_t>> values_;
};

// ---- sched_state.cpp: the scheduler's state that its public API does not tell.
int sched_cur_copy(ggml_backend_sched_t sched);
// The split whose graph (or a view of it, for eval-callback chunks) holds these nodes, or -1.
int sched_split_of(ggml_backend_sched_t sched, const ggml_cgraph* graph);
// The split-input copy of `source` whose bytes start at data, or nullptr.
const ggml_tensor* sched_copy_at(ggml_backend_sched_t sched, const ggml_tensor* source,
                                 const void* data);
// Whether this graph (a split's graph or a chunk of it) reaches the split's last node.
bool sched_split_ends(ggml_backend_sched_t sched, int split, const ggml_cgraph* graph);

}  // namespace schedcheck::bridge
