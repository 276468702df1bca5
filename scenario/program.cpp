#include "scenario/program.hpp"

#include <algorithm>

namespace schedcheck {

std::string_view to_string(ProgramStep::Kind k) {
  switch (k) {
    case ProgramStep::Kind::alloc_graph:
      return "alloc_graph";
    case ProgramStep::Kind::reset:
      return "reset";
    case ProgramStep::Kind::set_input:
      return "set_input";
    case ProgramStep::Kind::prepare_inputs:
      return "prepare_inputs";
    case ProgramStep::Kind::compute:
      return "compute";
    case ProgramStep::Kind::get_output:
      return "get_output";
    case ProgramStep::Kind::read_output:
      return "read_output";
    case ProgramStep::Kind::synchronize:
      return "synchronize";
    case ProgramStep::Kind::free_buffer:
      return "free_buffer";
    case ProgramStep::Kind::alloc_buffer:
      return "alloc_buffer";
    case ProgramStep::Kind::upload:
      return "upload";
    case ProgramStep::Kind::set_backend:
      return "set_backend";
  }
  return "?";
}

ProgramEvaluations program_evaluations(const std::vector<ProgramStep>& steps) {
  ProgramEvaluations e;
  for (const ProgramStep& s : steps) {
    int eval = e.computes;  // the next compute's
    switch (s.kind) {
      case ProgramStep::Kind::compute:
        ++e.computes;
        break;
      case ProgramStep::Kind::get_output:
      case ProgramStep::Kind::synchronize:
        eval = std::max(0, e.computes - 1);  // the latest compute's
        break;
      case ProgramStep::Kind::read_output:
        eval = s.fetch_step >= 0 ? e.of_step.at(static_cast<std::size_t>(s.fetch_step)) : 0;
        break;
      case ProgramStep::Kind::set_input:
        e.evaluations = std::max(e.evaluations, e.computes + 1);
        break;
      default:
        break;
    }
    e.of_step.push_back(eval);
  }
  e.evaluations = std::max(e.evaluations, e.computes);
  return e;
}

uint64_t written_bytes(const ProgramStep& step, uint64_t tensor_size) {
  return step.size > 0 ? step.size : tensor_size - step.offset;
}

}  // namespace schedcheck
