// A program scenario's steps: calls of the scheduler API (and the host's own accesses around
// them) in the order a test such as llama.cpp's test-backend-sched-inputs makes them, instead of
// the decode loop (docs/scenario-format.md, "Program").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace schedcheck {

struct ProgramStep {
  enum class Kind : uint8_t {
    alloc_graph,     // ggml_backend_sched_alloc_graph (reserve: alloc_splits re-reserves)
    reset,           // ggml_backend_sched_reset
    set_input,       // ggml_backend_tensor_set (or _set_async) of a user input, whole or part
    prepare_inputs,  // ggml_backend_sched_prepare_inputs (llama#27311's input ring)
    compute,         // ggml_backend_sched_graph_compute_async (async false: graph_compute)
    get_output,      // ggml_backend_tensor_get_async into a host buffer (async false: blocking)
    read_output,     // the host reads what an earlier asynchronous get_output fetched
    synchronize,     // ggml_backend_sched_synchronize
    free_buffer,     // ggml_backend_buffer_free of a buffer of the program's own
    alloc_buffer,    // a buffer allocated in the memory a freed one had (Buffer::reuses)
    upload,          // ggml_backend_tensor_set of a persistent tensor (blocking)
    set_backend,     // ggml_backend_sched_set_tensor_backend from the next graph allocation on
  };
  Kind kind = Kind::compute;
  std::string name;      // optional label: expectations name steps by it
  int tensor = -1;       // set_input, get_output, read_output, upload; set_backend: the
                         // output of the node assigned
  int backend = -1;      // set_backend: the backend the node is assigned
  int buffer = -1;       // get_output: the host buffer (usage "output") that receives it;
                         // set_input: the host buffer (usage "input") it copies from, if any;
                         // free_buffer, alloc_buffer: the buffer
  uint64_t row = 0;      // get_output, set_input: where in `buffer`, in rows of the bytes moved;
                         // read_output: which
  int fetch_step = -1;   // read_output: the asynchronous get_output whose bytes it reads
  bool async = true;     // compute, get_output; set_input (false unless given): tensor_set_async
  bool reserve = false;  // alloc_graph
  uint64_t offset = 0;   // set_input: the first byte written, within the tensor
  uint64_t size = 0;     // set_input: bytes written (0: from offset to the end)
};

// The bytes a set_input step writes: [offset, offset + bytes).
uint64_t written_bytes(const ProgramStep& step, uint64_t tensor_size);

std::string_view to_string(ProgramStep::Kind k);

// Which evaluation each step belongs to: the computes are evaluations 0, 1, ...; a step before
// a compute belongs to that compute's evaluation (inputs written for it), and get_output and
// read_output to the evaluation whose result they fetch. Steps after the last compute that
// write inputs belong to the next evaluation, which is never computed.
struct ProgramEvaluations {
  std::vector<int> of_step;  // per step
  int computes = 0;
  int evaluations = 0;  // computes, or one more when inputs are written after the last compute
};
ProgramEvaluations program_evaluations(const std::vector<ProgramStep>& steps);

}  // namespace schedcheck
