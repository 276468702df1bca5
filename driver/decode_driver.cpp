#include "driver/decode_driver.hpp"

#include <algorithm>
#include <array>

#include "model/scheduler.hpp"

namespace schedcheck {
namespace {

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool reuse_allowed(ReusePolicy policy, bool pp) {
  return !(policy == ReusePolicy::no_reuse_under_pp && pp);
}

bool has_outputs(const OutputRead& o, int ubatch, int n_ubatches) {
  switch (o.ubatches) {
    case OutputRead::When::all:
      return true;
    case OutputRead::When::last:
      return ubatch == n_ubatches - 1;
    case OutputRead::When::none:
      return false;
  }
  return false;
}

CallSite driver_site(Call call, int eval, int batch, int ubatch) {
  CallSite cs;
  cs.call = call;
  cs.role = Role::driver;
  cs.eval = eval;
  cs.batch = batch;
  cs.ubatch = ubatch;
  return cs;
}

// llama.cpp reads this ubatch's outputs back asynchronously into the host output buffer, at
// `row`; false if it has none.
bool enqueue_outputs(const Scenario& s, SchedulerPort& sched, const EvalContext& ctx, int n_ub,
                     int row) {
  bool any_output = false;
  for (const OutputRead& o : s.driver.outputs) {
    if (!has_outputs(o, ctx.ubatch, n_ub)) continue;
    any_output = true;
    TensorView src = sched.tensor_view(o.tensor, ctx.eval);
    TensorView dst = src;
    dst.region = Region{o.buffer, static_cast<uint64_t>(row) * src.region.size, src.region.size};
    dst.copy = kNone;
    dst.backend = s.cpu_backend();
    CallSite cs = driver_site(Call::get_tensor_async, ctx.eval, ctx.batch, ctx.ubatch);
    cs.tensor = o.tensor;
    cs.backend = src.backend;
    sched.get_output_async(o.tensor, dst, cs);
  }
  return any_output;
}

// The application reads the outputs of one decode: (eval, ubatch, row) per output ubatch.
void read_outputs(const Scenario& s, SchedulerPort& sched, BackendApi& api, int batch, int n_ub,
                  const std::vector<std::array<int, 3>>& output_rows) {
  for (auto [out_eval, out_ub, out_row] : output_rows)
    for (const OutputRead& o : s.driver.outputs) {
      if (!has_outputs(o, out_ub, n_ub)) continue;
      TensorView v = sched.tensor_view(o.tensor, out_eval);
      v.region = Region{o.buffer, static_cast<uint64_t>(out_row) * v.region.size, v.region.size};
      v.backend = s.cpu_backend();
      CallSite cs = driver_site(Call::host_read_output, out_eval, batch, out_ub);
      cs.tensor = o.tensor;
      api.host_read(v, cs);
    }
}

}  // namespace

DriverStats run_decode(const PreparedRun& run, BackendApi& api) {
  Scheduler sched(run, api);
  return run_decode(run, api, sched);
}

DriverStats run_decode(const PreparedRun& run, BackendApi& api, SchedulerPort& sched) {
  const Scenario& s = run.scenario;
  const DriverConfig& d = s.driver;
  const PolicyKnobs& k = run.policy.knobs;
  const bool pp = run.layout.pipeline_parallel;
  DriverStats stats;
  api.suppress_syncs(run.policy.skipped_syncs);

  int eval = 0;
  for (int batch = 0; batch < static_cast<int>(d.ubatches_per_batch.size()); ++batch) {
    const int n_ub = d.ubatches_per_batch[batch];
    std::vector<std::array<int, 3>> output_rows;  // (eval, ubatch, row) per output ubatch
    int row = 0;
    for (int ub = 0; ub < n_ub; ++ub, ++eval) {
      const EvalContext ctx{eval, batch, ub};
      const bool reuse =
          eval > 0 && d.graph_reuse && reuse_allowed(k.reuse_policy, pp) && sched.is_alloc();
      if (reuse) {
        ++stats.reused_graphs;
        if (pp && k.reuse_policy == ReusePolicy::reuse_with_full_sync_under_pp)
          sched.synchronize(driver_site(Call::sched_synchronize, eval, batch, ub));
      } else {
        sched.reset();
        sched.alloc_graph(ctx, contains(d.realloc_at, eval));
      }
      if (contains(d.sync_before_compute, eval))
        sched.synchronize(driver_site(Call::sched_synchronize, eval, batch, ub));

      // set_inputs: the host writes every user input of this ubatch.
      for (Index t = 0; t < static_cast<Index>(s.tensors.size()); ++t) {
        if (s.tensors[t].role != TensorRole::user_input) continue;
        CallSite cs = driver_site(Call::set_inputs, eval, batch, ub);
        cs.tensor = t;
        sched.set_input(t, cs);
      }

      sched.graph_compute_async(ctx);

      const bool any_output = enqueue_outputs(s, sched, ctx, n_ub, row);
      if (any_output) output_rows.push_back({eval, ub, row++});
      ++stats.evaluations;
    }
    if (d.sync_after_batch)
      sched.synchronize(driver_site(Call::sched_synchronize, eval - 1, batch, n_ub - 1));
    read_outputs(s, sched, api, batch, n_ub, output_rows);
  }
  return stats;
}

}  // namespace schedcheck
