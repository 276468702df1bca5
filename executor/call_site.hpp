// Provenance of an operation: which ggml-level call issued it, for which evaluation, split and
// tensor. Reports and host-call patterns are built from it.
#pragma once

#include <string_view>

#include "scenario/scenario.hpp"

namespace schedcheck {

enum class Call : uint8_t {
  synchronize,        // ggml_backend_synchronize
  sched_synchronize,  // ggml_backend_sched_synchronize (one synchronize per backend)
  event_record,
  event_wait,
  event_synchronize,
  tensor_copy,         // blocking ggml_backend_tensor_copy
  cpy_tensor_async,    // backend member called by the scheduler
  tensor_copy_async,   // generic ggml_backend_tensor_copy_async
  set_tensor_async,    // MoE partial expert upload
  get_tensor_async,    // llama.cpp output read, MoE ids read
  graph_compute,       // split launch (or one eval-callback chunk)
  set_inputs,          // llama.cpp host writes of user inputs
  host_read_output,    // the application reads logits after llama_synchronize
  eval_callback_read,  // the eval callback reads a node's tensor
  moe_ids_read,        // the scheduler's host read of expert ids
  buffer_free,         // ggml_backend_buffer_free (a program step)
  tensor_set,          // blocking ggml_backend_tensor_set (a program's upload)
};
std::string_view to_string(Call c);

enum class Role : uint8_t {
  policy,  // issued by compute_splits
  driver,  // issued by the llama.cpp decode loop or the scheduler state machine
};

struct CallSite {
  Call call = Call::synchronize;
  Role role = Role::policy;
  int eval = 0;
  int batch = 0;
  int ubatch = 0;
  Index split = kNone;
  Index backend = kNone;  // the backend the call names
  Index tensor = kNone;   // the source tensor involved (split input, output, ...)
  Index copy = kNone;     // the copy tensor involved
  int slot = 0;           // copy slot used
  int assignment_epoch = 0;  // the node assignment of the split (PreparedRun::epochs)
  bool implicit = false;  // a wait the call performs inside (blocking fallback, pageable D2H)
  std::string_view step;  // which step of compute_splits: "split start", "input", "fallback", ...
};

}  // namespace schedcheck
