// Inside the plugin built from one ggml tree: the simulated devices (a ggml backend whose
// every call is reported to schedcheck), the scenario's graph as ggml tensors, and access to
// the scheduler's state. Compiled at run time against that tree's headers, never by CMake.
#pragma once

#include <string>
#include <vector>

#include "bridge/plugin_abi.hpp"
#include "ggml-backend.h"
#include "ggml.h"

namespace schedcheck::bridge {

// ---- sim_devices.cpp: one device and backend per scenario backend, one buffer type per
// scenario buffer. Buffers get addresses that are never dereferenced (no memory is used).
class SimDevices {
 public:
  SimDevices(const GraphDesc& graph, Host& host);
  ~SimDevices();
  SimDevices(const SimDevices&) = delete;
  SimDevices& operator=(const SimDevices&) = delete;

  ggml_backend_t backend(int b) const { return backends_[b]; }
  ggml_backend_buffer_type_t buffer_type(int buffer) const;
  // The persistent buffer allocated for a scenario buffer (nullptr for compute buffers).
  ggml_backend_buffer_t persistent_buffer(int buffer) const { return persistent_[buffer]; }
  // Pointer to a place in a scenario buffer (persistent or the compute buffer in use).
  void* address(int buffer, uint64_t offset) const;
  // Lets launches be attributed to the scheduler's splits.
  void set_scheduler(ggml_backend_sched_t sched);

  struct State;  // shared with the interface functions (sim_devices.cpp)

 private:
  State* state_;
  std::vector<ggml_backend_t> backends_;
  std::vector<ggml_backend_buffer_t> persistent_;
};

// Resolves ggml tensors and pointers to scenario places (sim_devices.cpp).
TensorRef tensor_ref(const ggml_tensor* t);
MemRef mem_ref(const void* data, uint64_t size);
// Names the plugin gives ggml tensors: "t<index>" for scenario tensors, "v<node>" for the view
// a node writes into a persistent tensor; copies are "<backend>#<name>#<copy>" (ggml's format).
std::string tensor_name(int tensor);
std::string view_name(int node);
int node_of(const ggml_tensor* t);  // the scenario node whose output t is, or -1

// ---- graph_builder.cpp: the scenario's graph, built anew per evaluation as llama.cpp does.
class GraphBuilder {
 public:
  GraphBuilder(const GraphDesc& graph, SimDevices& devices);
  ~GraphBuilder();
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  // A new graph; extra_leaves: unused leaves that make it differ from the last one.
  ggml_cgraph* build(int extra_leaves);
  // Assigns every node to its backend (ggml_backend_sched_set_tensor_backend).
  void assign(ggml_backend_sched_t sched) const;
  ggml_tensor* current(int tensor) const { return current_[tensor]; }
  ggml_cgraph* graph() const { return graph_; }

 private:
  ggml_tensor* new_leaf(ggml_context* ctx, int tensor) const;
  ggml_tensor* new_node(ggml_context* ctx, int node);

  const GraphDesc& desc_;
  SimDevices& devices_;
  ggml_context* weights_ = nullptr;        // persistent tensors, allocated once
  std::vector<ggml_tensor*> persistent_;   // per tensor (nullptr if not persistent)
  std::vector<ggml_context*> contexts_;    // the graphs still referenced (the last two)
  std::vector<ggml_tensor*> current_;      // per tensor, in the current graph
  std::vector<ggml_tensor*> node_tensor_;  // per node, in the current graph
  ggml_cgraph* graph_ = nullptr;
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
