// The things a report points at, as data: tensors and copy slots, buffers, values, the place of
// a call, the operation an access belongs to, a step of the trace, and one access of a finding.
// sim/report_naming builds them from a replay; sim/report_text turns them into the report's words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "executor/call_site.hpp"
#include "scenario/backend_kind.hpp"
#include "sim/trace.hpp"

namespace schedcheck {

// A tensor or copy slot as an access names it.
struct TensorName {
  enum class Form : uint8_t {
    unknown,         // the access names no tensor
    tensor,          // "inp_embd"
    tensor_in_slot,  // a user input with several copies: "inp_embd (slot 1)"
    copy_slot,       // a copy tensor's slot: "CUDA0#inp_embd#1"
    in_buffer,       // a meta backend's AllReduce buffer holding it: "ffn_out (partial sum in ...)"
  };
  Form form = Form::unknown;
  std::string name;      // the tensor, or the copy tensor
  int slot = 0;          // tensor_in_slot, copy_slot
  int sequence = -1;     // a KV cache shared by several sequences: whose cells (-1: not such)
  std::string buffer{};  // in_buffer
};

struct BufferName {
  std::string name;
  BufferKind kind = BufferKind::pinned_host;
};

// A logical value: which evaluation's result of which tensor.
struct ValueName {
  enum class Form : uint8_t {
    uninitialized,  // nothing wrote it
    initial,        // the contents before the run (weights, KV cache)
    computed,       // computed by one evaluation
  };
  Form form = Form::uninitialized;
  std::string tensor;
  int batch = 0;  // computed
  int ubatch = 0;
};

// Where a call was issued.
struct CallPlace {
  int eval = 0;
  int batch = 0;
  int ubatch = 0;
  int split = -1;             // -1: outside any split (the driver)
  std::string split_backend;  // the split's backend
  int assignment_epoch = 0;   // > 0: the split is of a node assignment a set_backend made
};

// A split's graph, run on a queue or by the host.
struct GraphRun {
  int split = -1;
  bool on_host = false;  // a CPU-side split, run during the call
  std::string first_node;
  std::string last_node;
  // Not empty: a step a meta backend adds to the split, adding this tensor's partial sum that
  // another device copied into an AllReduce buffer (or zeroing an empty slice of it).
  std::string reduces{};
};

// A copy between two tensors or copy slots.
struct CopyOperation {
  enum class Mode : uint8_t { host_memcpy, blocking_copy, async_copy };
  // When an asynchronous copy touches host memory, which is what its races hinge on.
  enum class HostTiming : uint8_t {
    none,                              // no host side, or a copy that is not asynchronous
    source_captured_at_call,           // the host source is read during the call
    source_read_at_execution,          // the host source is read when the copy executes
    destination_written_at_execution,  // the host destination is written when the copy executes
  };
  Mode mode = Mode::async_copy;
  bool source_on_host = false;
  bool destination_on_host = false;
  TensorName source;
  TensorName destination;
  HostTiming host_timing = HostTiming::none;
  BufferKind host_buffer_kind = BufferKind::pinned_host;  // the buffer host_timing is about
};

// A host write or read of a tensor.
struct HostAccess {
  enum class Kind : uint8_t {
    set_inputs_write,    // llama.cpp's set_inputs
    upload_write,        // a program's upload (ggml_backend_tensor_set of a persistent tensor)
    source_write,        // a program fills the host source of an input write (set_input "from")
    output_read,         // the output rows the application reads
    expert_ids_read,     // the scheduler's read of the expert ids it fetched
    eval_callback_read,  // the eval callback
    other_read,
  };
  Kind kind = Kind::other_read;
  TensorName tensor;
  std::string buffer;  // source_write: the host buffer filled
};

using OperationDescription = std::variant<GraphRun, CopyOperation, HostAccess>;

// One entry of the trace: a synchronization or an access.
struct TraceStep {
  TraceKind kind = TraceKind::access;
  std::string agent;              // wait_queue: the queue waited for; wait_event: the waiting queue
  std::string event;              // record, wait_event, host_wait_event
  Call call = Call::synchronize;  // access: the ggml call
  std::optional<OperationDescription> operation;  // access
  CallPlace place;
};

// One access of a finding.
struct AccessDescription {
  int agent_id = -1;
  std::string agent;  // "HOST", "CUDA0", "CUDA per-thread stream (device 0)"
  OperationDescription operation;
  Call call = Call::synchronize;  // the ggml call that issued it
  std::string step;               // its compute_splits step; empty when the driver issued it
  CallPlace place;
  TensorName tensor;     // tensor or copy slot accessed
  int trace_index = -1;  // -1: no access (a stale read of bytes nothing wrote)
  uint32_t epoch = 0;
  bool is_write = false;

  bool exists() const { return trace_index >= 0; }
};

}  // namespace schedcheck
