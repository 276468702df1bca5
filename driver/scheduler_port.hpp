// The scheduler interface the decode driver talks to (DESIGN.md §8, the upper seam). Two
// implementations: schedcheck's model of ggml_backend_sched (model/scheduler.hpp) and a real
// ggml tree's scheduler over simulated devices (bridge/real_scheduler.hpp). Both issue their
// calls through the backend API below them.
#pragma once

#include "executor/backend_api.hpp"

namespace schedcheck {

// One write of a user input by the host: llama.cpp's set_inputs (the whole input, from the
// caller's memory), or a program's set_input step.
struct InputWrite {
  Index tensor = kNone;
  uint64_t offset = 0;  // the first byte written, within the tensor
  uint64_t size = 0;    // bytes written; 0: from offset to the end
  // The host buffer (usage "input") the bytes are copied from, and where in it; kNone: the
  // caller's own memory, which no device reads after the call returns.
  Index source = kNone;
  uint64_t source_offset = 0;
  bool async = false;  // ggml_backend_tensor_set_async on the backend of the input's buffer
};

struct EvalContext {
  int eval = 0;
  int batch = 0;
  int ubatch = 0;
};

class SchedulerPort {
 public:
  virtual ~SchedulerPort() = default;
  virtual void reset() = 0;                                         // ggml_backend_sched_reset
  virtual void alloc_graph(const EvalContext& ctx, bool realloc) = 0;  // ..._alloc_graph
  virtual void synchronize(const CallSite& site) = 0;               // ..._synchronize
  virtual void graph_compute_async(const EvalContext& ctx) = 0;     // ..._graph_compute_async
  virtual bool is_alloc() const = 0;
  // Where the allocated graph placed a tensor (user inputs: the copy slot bound), with the
  // value a reader must see in this evaluation.
  virtual TensorView tensor_view(Index tensor, int eval) const = 0;
  // llama#27311's ggml_backend_sched_prepare_inputs, before set_inputs with an input ring
  // (PolicyKnobs::uma_ring): the next ring slot, once the last graph that read it is done.
  virtual void prepare_inputs(const CallSite& site) = 0;
  // The host writes (part of) one user input of this evaluation.
  virtual void set_input(const InputWrite& write, const CallSite& site) = 0;
  // llama.cpp's output read: ggml_backend_tensor_get_async into host memory.
  virtual void get_output_async(Index tensor, const TensorView& host_dst,
                                const CallSite& site) = 0;
  // ggml_backend_sched_set_tensor_backend: the node's backend from the next graph allocation on
  // (a program's set_backend step; the graph builder assigns every node at each allocation).
  virtual void set_tensor_backend(Index node, Index backend) = 0;
};

}  // namespace schedcheck
