#include "driver/decode_driver.hpp"

#include <algorithm>
#include <array>

#include "model/scheduler.hpp"
#include "scenario/kv_sequences.hpp"

namespace schedcheck {
namespace {

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool reuse_allowed(ReusePolicy policy, bool pp) {
  return !(policy == ReusePolicy::no_reuse_under_pp && pp);
}

bool has_outputs(const OutputRead& o, int batch, int ubatch, int n_ubatches) {
  if (!o.batches.empty() && !contains(o.batches, batch)) return false;
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
    if (!has_outputs(o, ctx.batch, ctx.ubatch, n_ub)) continue;
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
      if (!has_outputs(o, batch, out_ub, n_ub)) continue;
      TensorView v = sched.tensor_view(o.tensor, out_eval);
      v.region = Region{o.buffer, static_cast<uint64_t>(out_row) * v.region.size, v.region.size};
      v.backend = s.cpu_backend();
      CallSite cs = driver_site(Call::host_read_output, out_eval, batch, out_ub);
      cs.tensor = o.tensor;
      api.host_read(v, cs);
    }
}

bool ubatch_has_outputs(const Scenario& s, const EvalContext& ctx, int n_ub) {
  return std::any_of(s.driver.outputs.begin(), s.driver.outputs.end(), [&](const OutputRead& o) {
    return has_outputs(o, ctx.batch, ctx.ubatch, n_ub);
  });
}

// llama_context::process_ubatch up to set_inputs: reuse the previous graph or build a new one,
// with the synchronizations of the llama.cpp era the policy names (docs/policies.md, "The
// driver"). Returns whether the graph was reused.
bool prepare_graph(const PreparedRun& run, SchedulerPort& sched, const EvalContext& ctx,
                   bool same_topology) {
  const DriverConfig& d = run.scenario.driver;
  const PolicyKnobs& k = run.policy.knobs;
  const bool pp = run.layout.pipeline_parallel;
  const CallSite sync_site = driver_site(Call::sched_synchronize, ctx.eval, ctx.batch, ctx.ubatch);
  // can_reuse: the same topology (ubatch shape and sequences, KV window, whether there are
  // outputs).
  const bool reuse = ctx.eval > 0 && d.graph_reuse && reuse_allowed(k.reuse_policy, pp) &&
                     sched.is_alloc() && same_topology && !contains(d.rebuild_at, ctx.eval);
  // llama#28058: one synchronize above the can_reuse branch, on both paths.
  const bool sync_always = k.set_inputs_sync == SetInputsSync::always;
  if (sync_always) sched.synchronize(sync_site);
  if (reuse) {
    if (pp && k.reuse_policy == ReusePolicy::reuse_with_full_sync_under_pp && !sync_always)
      sched.synchronize(sync_site);
  } else {
    sched.reset();  // the rebuild path: no synchronize before llama#28058
    sched.alloc_graph(ctx, contains(d.realloc_at, ctx.eval));
  }
  if (contains(d.sync_before_compute, ctx.eval)) sched.synchronize(sync_site);
  if (input_ring_slots(k) > 0)
    sched.prepare_inputs(driver_site(Call::event_synchronize, ctx.eval, ctx.batch, ctx.ubatch));
  return reuse;
}

bool sync_after(SyncAfterBatch when, bool batch_had_outputs) {
  return when == SyncAfterBatch::always ||
         (when == SyncAfterBatch::with_outputs && batch_had_outputs);
}

}  // namespace

DriverStats run_decode(const PreparedRun& run, BackendApi& api) {
  Scheduler sched(run, api);
  return run_decode(run, api, sched);
}

DriverStats run_decode(const PreparedRun& run, BackendApi& api, SchedulerPort& sched) {
  const Scenario& s = run.scenario;
  const DriverConfig& d = s.driver;
  DriverStats stats;
  api.suppress_syncs(run.policy.skipped_syncs);

  int eval = 0;
  bool previous_outputs = false;
  for (int batch = 0; batch < static_cast<int>(d.ubatches_per_batch.size()); ++batch) {
    const int n_ub = d.ubatches_per_batch[batch];
    std::vector<std::array<int, 3>> output_rows;  // (eval, ubatch, row) per output ubatch
    int row = 0;
    for (int ub = 0; ub < n_ub; ++ub, ++eval) {
      const EvalContext ctx{eval, batch, ub};
      const bool outputs = ubatch_has_outputs(s, ctx, n_ub);
      const bool same_topology =
          outputs == previous_outputs && (eval == 0 || same_sequence_shape(d, eval - 1, eval));
      if (prepare_graph(run, sched, ctx, same_topology)) ++stats.reused_graphs;
      previous_outputs = outputs;

      // set_inputs: the host writes every user input of this ubatch.
      for (Index t = 0; t < static_cast<Index>(s.tensors.size()); ++t) {
        if (s.tensors[t].role != TensorRole::user_input) continue;
        CallSite cs = driver_site(Call::set_inputs, eval, batch, ub);
        cs.tensor = t;
        sched.set_input(InputWrite{t}, cs);
      }

      sched.graph_compute_async(ctx);

      if (enqueue_outputs(s, sched, ctx, n_ub, row)) output_rows.push_back({eval, ub, row++});
      ++stats.evaluations;
    }
    if (sync_after(d.sync_after_batch, !output_rows.empty()))
      sched.synchronize(driver_site(Call::sched_synchronize, eval - 1, batch, n_ub - 1));
    read_outputs(s, sched, api, batch, n_ub, output_rows);
  }
  return stats;
}

}  // namespace schedcheck
