#include "executor/call_site.hpp"

namespace schedcheck {

std::string_view to_string(Call c) {
  switch (c) {
    case Call::synchronize:
      return "synchronize";
    case Call::sched_synchronize:
      return "sched_synchronize";
    case Call::event_record:
      return "event_record";
    case Call::event_wait:
      return "event_wait";
    case Call::event_synchronize:
      return "event_synchronize";
    case Call::tensor_copy:
      return "tensor_copy";
    case Call::cpy_tensor_async:
      return "cpy_tensor_async";
    case Call::tensor_copy_async:
      return "tensor_copy_async";
    case Call::set_tensor_async:
      return "set_tensor_async";
    case Call::get_tensor_async:
      return "get_tensor_async";
    case Call::graph_compute:
      return "graph_compute_async";
    case Call::set_inputs:
      return "set_inputs";
    case Call::host_read_output:
      return "host reads output";
    case Call::eval_callback_read:
      return "eval callback reads";
    case Call::moe_ids_read:
      return "host reads expert ids";
    case Call::buffer_free:
      return "buffer_free";
    case Call::tensor_set:
      return "tensor_set";
  }
  return "?";
}

}  // namespace schedcheck
