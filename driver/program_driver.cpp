#include "driver/program_driver.hpp"

#include "driver/decode_driver.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {
namespace {

using Kind = ProgramStep::Kind;

CallSite program_site(Call call, int eval, const ProgramStep& step, Index backend = kNone) {
  CallSite cs;
  cs.call = call;
  cs.backend = backend;
  cs.role = Role::driver;
  cs.eval = eval;
  cs.ubatch = eval;
  cs.tensor = step.tensor;
  cs.step = to_string(step.kind);
  return cs;
}

// Where a get_output puts the tensor's bytes: its row of the host buffer.
TensorView host_row(const Scenario& s, TensorView v, const ProgramStep& step) {
  v.region = Region{step.buffer, step.row * v.region.size, v.region.size};
  v.copy = kNone;
  v.backend = s.cpu_backend();
  return v;
}

}  // namespace

DriverStats run_program(const PreparedRun& run, BackendApi& api, SchedulerPort& sched) {
  const Scenario& s = run.scenario;
  const ProgramEvaluations evals = program_evaluations(s.program);
  DriverStats stats;
  api.suppress_syncs(run.policy.skipped_syncs);
  for (std::size_t i = 0; i < s.program.size(); ++i) {
    const ProgramStep& step = s.program[i];
    const int eval = evals.of_step[i];
    const EvalContext ctx{eval, 0, eval};
    const std::size_t first = api.calls().size();
    switch (step.kind) {
      case Kind::alloc_graph:
        sched.alloc_graph(ctx, step.reserve);
        break;
      case Kind::reset:
        sched.reset();
        break;
      case Kind::set_input: {
        const uint64_t bytes = written_bytes(step, s.tensors[step.tensor].size);
        const InputWrite w{step.tensor, step.offset,           bytes,
                           step.buffer, step.row * bytes, step.async};
        sched.set_input(w, program_site(Call::set_inputs, eval, step));
        break;
      }
      case Kind::prepare_inputs:
        sched.prepare_inputs(program_site(Call::event_synchronize, eval, step));
        break;
      case Kind::compute:
        sched.graph_compute_async(ctx);
        // ggml_backend_sched_graph_compute: the same, then ggml_backend_sched_synchronize.
        if (!step.async) sched.synchronize(program_site(Call::sched_synchronize, eval, step));
        ++stats.evaluations;
        break;
      case Kind::get_output: {
        const TensorView src = sched.tensor_view(step.tensor, eval);
        if (step.async) {
          sched.get_output_async(step.tensor, host_row(s, src, step),
                                 program_site(Call::get_tensor_async, eval, step, src.backend));
        } else {
          // ggml_backend_tensor_get: the buffer's blocking get, which waits for no queue.
          api.tensor_get(src, program_site(Call::host_read_output, eval, step, src.backend));
        }
        break;
      }
      case Kind::read_output: {
        const ProgramStep& get = s.program.at(static_cast<std::size_t>(step.fetch_step));
        api.host_read(host_row(s, sched.tensor_view(step.tensor, eval), get),
                      program_site(Call::host_read_output, eval, step));
        break;
      }
      case Kind::synchronize:
        sched.synchronize(program_site(Call::sched_synchronize, eval, step));
        break;
      case Kind::free_buffer:
        api.buffer_free(step.buffer,
                        program_site(Call::buffer_free, eval, step,
                                     s.buffers[static_cast<std::size_t>(step.buffer)].owner));
        break;
      case Kind::set_backend:
        sched.set_tensor_backend(s.tensors[step.tensor].producer, step.backend);
        break;
      case Kind::alloc_buffer:
        break;  // the memory of the freed buffer (cudaMalloc waits for nothing)
      case Kind::upload: {
        const TensorView dst = sched.tensor_view(step.tensor, eval);
        api.tensor_set(dst, program_site(Call::tensor_set, eval, step, dst.backend));
        break;
      }
    }
    stats.steps.push_back({first, api.calls().size()});
  }
  return stats;
}

DriverStats run_scenario(const PreparedRun& run, BackendApi& api, SchedulerPort& sched) {
  return run.scenario.program.empty() ? run_decode(run, api, sched) : run_program(run, api, sched);
}

DriverStats run_scenario(const PreparedRun& run, BackendApi& api) {
  Scheduler sched(run, api);
  return run_scenario(run, api, sched);
}

}  // namespace schedcheck
