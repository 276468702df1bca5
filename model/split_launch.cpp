// Launching a split: its nodes as one compute operation (what each node reads and writes), or,
// with an eval callback, in chunks that end at each node the callback asks for, each followed
// by a synchronize and the callback's read of that node (llama.cpp's cb_eval).
#include <algorithm>

#include "model/node_access.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {

void Scheduler::launch(const EvalContext& ctx, Index k) {
  const Split& split = run().plan.splits[k];
  const auto& cb = scenario().driver.eval_callback;
  if (!cb) {
    api_.graph_compute_async(split.backend, compute_op(ctx, k, split.first_node, split.end_node));
    return;
  }
  auto asks = [&](Index n) {
    return cb->all_nodes || std::find(cb->nodes.begin(), cb->nodes.end(), n) != cb->nodes.end();
  };
  for (Index j0 = split.first_node; j0 < split.end_node;) {
    Index j1 = j0;
    while (j1 + 1 < split.end_node && !asks(j1)) ++j1;
    api_.graph_compute_async(split.backend, compute_op(ctx, k, j0, j1 + 1));
    CallSite cs = site(ctx, Call::synchronize, k, split.backend, "eval callback");
    synchronize_backend(split.backend, cs);
    if (asks(j1)) {
      cs.call = Call::eval_callback_read;
      cs.tensor = scenario().nodes[j1].output;
      TensorView out = tensor_view(scenario().nodes[j1].output, ctx.eval);
      if (scenario().nodes[j1].writes_persistent) out.expected = {out.tensor, ctx.eval, 0};
      api_.tensor_get(out, cs);
    }
    j0 = j1 + 1;
  }
}

Operation Scheduler::compute_op(const EvalContext& ctx, Index k, Index first, Index end) {
  Operation op;
  op.kind = OpKind::compute;
  op.site = site(ctx, Call::graph_compute, k, run().plan.splits[k].backend, "launch");
  op.site.slot = bound_copy_;
  for (Index n = first; n < end; ++n) {
    const Node& node = scenario().nodes[n];
    const int group = n - first;
    for (std::size_t j = 0; j < node.sources.size(); ++j) {
      const SourceRef& ref = run().plan.node_sources[n][j];
      TensorView v = ref.copy != kNone ? copy_view(ref.copy, bound_copy_, ctx.eval)
                                       : tensor_view(ref.tensor, ctx.eval);
      append_source_reads(op, node, j, v, scenario().driver, ctx.eval, group);
    }
    TensorView out = tensor_view(node.output, ctx.eval);
    if (node.writes_persistent) {
      persistent_.append_write(op, out, ctx.eval, group);
      continue;
    }
    Access w = access_of(out, true);
    w.value = LogicalValue{node.output, ctx.eval, 0};
    w.group = group;
    op.accesses.push_back(w);
  }
  return op;
}

}  // namespace schedcheck
