#include "bridge/real_scheduler.hpp"

#include <algorithm>
#include <iostream>

#include "model/node_access.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {

namespace {

// Runs a call into the plugin; an error inside ggml (GGML_ASSERT) becomes a BridgeError.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const bridge::GgmlAbort& e) {
    throw BridgeError("ggml: " + e.message);
  }
}

}  // namespace

RealScheduler::RealScheduler(PreparedRun& run, BackendApi& api, const PluginLibrary& plugin,
                             RealRunHooks* hooks)
    : lock_(plugin.run_mutex()),
      hooks_(hooks),
      label_(plugin.label()),
      run_(run),
      scenario_(run.scenario),
      api_(api),
      desc_(graph_desc(run)),
      persistent_(run.scenario),
      assignment_(run) {
  if (const std::string why = not_in_ggml_trees(run.scenario); !why.empty())
    throw BridgeError(plugin.label() + ": " + why);
  // A meta backend splits tensors by their ops and shapes: it needs the graph's own ops.
  desc_.computable = plugin.computable() || run.scenario.has_meta_backend();
  desc_.own_ops = desc_.computable && run.scenario.has_shapes();
  desc_.evaluations = run.scenario.total_evaluations();
  if (hooks_) {
    desc_.fault_tensor = hooks_->fault_tensor;
    desc_.fault_eval = hooks_->fault_eval;
  }
  std::string error;
  sched_.reset(guarded([&] { return plugin.create()(bridge::kAbiVersion, &desc_, this, &error); }));
  if (!sched_) throw BridgeError(plugin.label() + ": " + error);
  setup_ = false;
}

RealScheduler::~RealScheduler() = default;

// ---- the scheduler interface (driver side)

void RealScheduler::reset() {
  guarded([&] { sched_->reset(); });
  is_alloc_ = false;
}

namespace {

CallSite site_of(const EvalContext& ctx, Role role, Call call, std::string_view step) {
  CallSite cs;
  cs.call = call;
  cs.role = role;
  cs.eval = ctx.eval;
  cs.batch = ctx.batch;
  cs.ubatch = ctx.ubatch;
  cs.step = step;
  return cs;
}

}  // namespace

void RealScheduler::begin(const CallSite& base) {
  base_ = base;
  split_ = base.role == Role::policy ? 0 : kNone;
  launched_.reset();
}

void RealScheduler::alloc_graph(const EvalContext& ctx, bool realloc) {
  begin(site_of(ctx, Role::driver, Call::synchronize, "alloc_splits re-reserve"));
  assignment_.allocate();  // ggml decides itself whether the new assignment re-reserves
  if (!guarded([&] { return sched_->alloc_graph(realloc); }))
    throw BridgeError("ggml_backend_sched_alloc_graph failed");
  is_alloc_ = true;
}

void RealScheduler::set_tensor_backend(Index node, Index backend) {
  assignment_.set(node, backend);
  guarded([&] { sched_->set_node_backend(static_cast<int>(node), static_cast<int>(backend)); });
}

void RealScheduler::synchronize(const CallSite& site) {
  CallSite base = site;
  base.call = Call::sched_synchronize;
  begin(base);
  guarded([&] { sched_->synchronize(); });
}

void RealScheduler::graph_compute_async(const EvalContext& ctx) {
  if (hooks_) hooks_->compute_starts.push_back(std::chrono::steady_clock::now());
  begin(site_of(ctx, Role::policy, Call::graph_compute, ""));
  if (!guarded([&] { return sched_->graph_compute_async(ctx.eval); }))
    throw BridgeError("ggml_backend_sched_graph_compute_async failed");
  // ggml synchronizes the ids backend before it reads the ids (finish_ids_read runs there).
  if (ids_read_) unsupported("an expert-ids read that was never synchronized");
}

TensorView RealScheduler::tensor_view(Index tensor, int eval) const {
  bridge::TensorRef ref = guarded([&] { return sched_->place(tensor); });
  // A meta backend's tensor is slices on its devices: the driver learns its size and backend
  // from a place in the meta backend's own compute buffer, which no device call reaches.
  const Index b = tensor_backend(scenario_, tensor);
  if (ref.buffer < 0 && scenario_.backends[b].kind == BackendKind::meta)
    ref.buffer = scenario_.backends[b].compute_buffer;
  TensorView v = view(ref);
  // view() expects the current evaluation's value; inputs keep what the tracker gave them.
  if (scenario_.tensors[tensor].role == TensorRole::node_output) v.expected = {tensor, eval, 0};
  return v;
}

void RealScheduler::prepare_inputs(const CallSite&) {
  throw BridgeError(
      "ggml_backend_sched_prepare_inputs (llama#27311's input ring) is not in a ggml tree; a real "
      "scheduler runs without it (set the knob uma_ring to 0)");
}

void RealScheduler::set_input(const InputWrite& w, const CallSite& site) {
  begin(site);
  const TensorView dst =
      inputs_.write(tensor_view(w.tensor, site.eval), w.offset, w.size, site.eval);
  bridge::InputWrite write{w.tensor, w.offset, dst.region.size, {}, w.async, dst.backend};
  if (w.source != kNone) {
    api_.fill_input_source(dst, w.source, w.source_offset, site);
    write.from = bridge::MemRef{w.source, w.source_offset, dst.region.size};
  }
  writing_input_ = true;
  const struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{writing_input_};
  guarded([&] { sched_->set_input(write, site.eval); });
}

void RealScheduler::get_output_async(Index tensor, const TensorView& host_dst,
                                     const CallSite& site) {
  begin(site);
  const bridge::MemRef dst{host_dst.region.buffer, host_dst.region.offset, host_dst.region.size};
  guarded([&] { sched_->get_output_async(tensor, site.eval, dst); });
}

void RealScheduler::finish() {
  guarded([&] { sched_->finish(); });
}

bridge::Hold RealScheduler::take_hold() {
  return hooks_ && hooks_->take_hold ? hooks_->take_hold() : bridge::Hold{};
}

void RealScheduler::read_mismatch(const bridge::ReadMismatch& m) {
  if (hooks_) return hooks_->mismatches.push_back(m);
  std::cerr << "schedcheck: " << label_ << ": " << m.read << " " << scenario_.tensors[m.tensor].name
            << " of evaluation " << m.eval << ": " << m.wrong_bytes
            << " bytes differ from the sequential reference\n";
}

void RealScheduler::synchronized() {
  if (hooks_) hooks_->finished = std::chrono::steady_clock::now();
}

void RealScheduler::read_error(double error) {
  if (!hooks_) return;
  ++hooks_->reads_compared;
  if (error > hooks_->max_read_error) hooks_->max_read_error = error;
}

// ---- the simulated devices' calls

void RealScheduler::attribute(After kind, Index backend) {
  if (!launched_) return;
  const bool same = backend == launched_->backend;
  const bool keep =
      (kind == After::record && same) ||
      (callback_mode() && ((kind == After::synchronize && same) || kind == After::callback_read));
  if (keep) return;
  if (launched_->ends_split) split_ = launched_->split + 1;
  launched_.reset();
}

CallSite RealScheduler::site(Call call, Index backend) const {
  CallSite cs = base_;
  cs.call = base_.role == Role::driver ? base_.call : call;
  cs.backend = backend;
  if (base_.role == Role::policy) {
    // After the last split (a patched tree waits there): in compute_splits, but in no split.
    cs.split = split_ < static_cast<Index>(assignment_.run().plan.splits.size()) ? split_ : kNone;
    cs.assignment_epoch = assignment_.epoch();
    cs.slot = sched_->cur_copy();
  }
  return cs;
}

void RealScheduler::synchronize(int backend) {
  if (setup_) return;
  const bool after_launch = launched_ && callback_mode() && launched_->backend == backend;
  attribute(After::synchronize, backend);
  CallSite cs = site(Call::synchronize, backend);
  if (ids_read_ && ids_read_->backend == backend) {
    cs.step = "moe ids";
    api_.synchronize(backend, cs);
    finish_ids_read();
    return;
  }
  if (after_launch) cs.step = "eval callback";
  api_.synchronize(backend, cs);
}

void RealScheduler::event_record(int backend, int event_backend, int event_index) {
  if (setup_) return;
  attribute(After::record, backend);
  api_.event_record(event(event_backend, event_index), backend, site(Call::event_record, backend));
}

void RealScheduler::event_wait(int backend, int event_backend, int event_index) {
  if (setup_) return;
  attribute(After::other, backend);
  api_.event_wait(backend, event(event_backend, event_index), site(Call::event_wait, backend));
}

void RealScheduler::event_synchronize(int event_backend, int event_index) {
  if (setup_) return;
  attribute(After::other, event_backend);
  api_.event_synchronize(event(event_backend, event_index),
                         site(Call::event_synchronize, event_backend));
}

bool RealScheduler::cpy_tensor_async(int src_backend, int dst_backend, const bridge::TensorRef& src,
                                     const bridge::TensorRef& dst) {
  if (setup_) unsupported("a copy while the graph is reserved");
  attribute(After::other, dst_backend);
  const TensorView sv = view(src);
  const TensorView dv = view(dst);
  // User inputs go through ggml_backend_tensor_copy_async, other inputs to the member directly.
  const bool user = (scenario_.tensors[sv.tensor].flags & kFlagInput) != 0;
  CallSite cs = site(user ? Call::tensor_copy_async : Call::cpy_tensor_async, dst_backend);
  cs.tensor = sv.tensor;
  cs.copy = dv.copy;
  return api_.cpy_tensor_async(src_backend, dst_backend, sv, dv, cs);
}

void RealScheduler::set_tensor_async(int backend, const bridge::TensorRef& dst,
                                     const bridge::MemRef& src) {
  if (src.buffer < 0) unsupported("set_tensor_async from memory outside the scenario's buffers");
  attribute(After::other, backend);
  const TensorView dv = view(dst);
  CallSite cs = site(Call::set_tensor_async, backend);
  cs.tensor = dv.tensor;
  cs.copy = dv.copy;
  api_.set_tensor_async(backend, host_view(src, dv), dv, cs);
}

void RealScheduler::get_tensor_async(int backend, const bridge::TensorRef& src,
                                     const bridge::MemRef& dst, void* host_data) {
  attribute(After::other, backend);
  const TensorView sv = view(src);
  if (is_ids_read(src, dst)) {
    start_ids_read(sv, host_data);
    CallSite cs = site(Call::get_tensor_async, backend);
    cs.step = "moe ids";
    cs.tensor = sv.tensor;
    cs.copy = sv.copy;
    ids_read_->backend = backend;
    api_.get_tensor_async(backend, sv, ids_read_->host, cs);
    return;
  }
  if (dst.buffer < 0) unsupported("get_tensor_async into memory outside the scenario's buffers");
  CallSite cs = site(Call::get_tensor_async, backend);
  cs.tensor = sv.tensor;
  api_.get_tensor_async(backend, sv, host_view(dst, sv), cs);
}

void RealScheduler::graph_compute(int backend, int split, bool ends_split,
                                  const std::vector<bridge::NodeRef>& nodes) {
  attribute(After::other, backend);
  if (split >= 0) split_ = split;
  Operation op;
  op.kind = OpKind::compute;
  op.site = site(Call::graph_compute, backend);
  op.site.step = "launch";
  const int eval = base_.eval;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const int group = static_cast<int>(i);
    if (nodes[i].node < 0) {  // the meta backend's AllReduce step on one of its devices
      for (const bridge::TensorRef& s : nodes[i].sources) {
        Access r = access_of(view(s), false);
        r.group = group;
        op.accesses.push_back(r);
      }
      Access w = access_of(view(nodes[i].output), true);
      w.value = LogicalValue{nodes[i].reduces, eval, 0};
      w.group = group;
      op.accesses.push_back(w);
      op.site.step = kAllReduceStep;
      continue;
    }
    const Node& node = scenario_.nodes[nodes[i].node];
    for (std::size_t j = 0; j < nodes[i].sources.size(); ++j) {
      append_source_reads(op, node, j, view(nodes[i].sources[j]), scenario_.driver, eval, group);
    }
    if (node.writes_persistent) {
      persistent_.append_write(op, view(nodes[i].output), eval, group);
      continue;
    }
    Access w = access_of(view(nodes[i].output), true);
    w.value = LogicalValue{node.output, eval, 0};
    w.group = group;
    op.accesses.push_back(w);
  }
  api_.graph_compute_async(backend, op);
  launched_ = Launch{split_, backend, ends_split && split >= 0};
}

void RealScheduler::buffer_set_tensor(const bridge::TensorRef& dst, const bridge::MemRef& src) {
  if (setup_) return load_weights(dst, src);
  attribute(After::other, kNone);
  const TensorView dv = view(dst);
  const bool dst_host = is_host_buffer(scenario_.buffers[dv.region.buffer].kind);
  if (src.buffer < 0) {
    if (!dst_host && !writing_input_) unsupported("a blocking upload from the caller's memory");
    CallSite cs = site(Call::set_inputs, kNone);
    cs.tensor = dv.tensor;
    if (dst_host) return api_.host_write(dv, cs);
    return api_.tensor_set(dv, cs);  // the device buffer's blocking set
  }
  CallSite cs = site(Call::tensor_copy, dv.backend);
  cs.tensor = dv.tensor;
  cs.copy = dv.copy;
  api_.tensor_copy(host_view(src, dv), dv, cs);
}

void RealScheduler::buffer_get_tensor(const bridge::TensorRef& src, const bridge::MemRef& dst,
                                      const bridge::TensorRef* dst_copy, void* host_data) {
  if (setup_) unsupported("a tensor read while the graph is reserved");
  attribute(callback_read_ != kNone ? After::callback_read : After::other, kNone);
  TensorView sv = view(src);
  if (callback_read_ != kNone) {
    CallSite cs = site(Call::eval_callback_read, sv.backend);
    cs.call = Call::eval_callback_read;
    cs.tensor = sv.tensor;
    callback_read_ = kNone;
    api_.tensor_get(sv, cs);
    return;
  }
  if (is_ids_read(src, dst)) {  // a host backend's ids: ggml's get_async fallback
    start_ids_read(sv, host_data);
    CallSite cs = site(Call::get_tensor_async, sv.backend);
    cs.step = "moe ids";
    cs.tensor = sv.tensor;
    api_.get_tensor_async(sv.backend, sv, ids_read_->host, cs);
    finish_ids_read();
    return;
  }
  if (dst.buffer < 0) unsupported("a blocking read into memory outside the scenario's buffers");
  // ggml_backend_tensor_copy into a host backend's split-input copy, or plain host memory.
  const TensorView dv = dst_copy ? view(*dst_copy) : host_view(dst, sv);
  CallSite cs = site(Call::tensor_copy, dv.backend);
  cs.tensor = sv.tensor;
  cs.copy = dv.copy;
  api_.tensor_copy(sv, dv, cs);
}

// Before the scheduler exists, the plugin loads the weights a meta backend holds, as llama.cpp
// does: each slice is a blocking write of the weight's initial value on its device.
void RealScheduler::load_weights(const bridge::TensorRef& dst, const bridge::MemRef& src) {
  if (src.buffer >= 0 || dst.tensor < 0 ||
      scenario_.tensors[dst.tensor].role != TensorRole::persistent)
    unsupported("a tensor write while the graph is reserved");
  CallSite cs;
  cs.role = Role::driver;
  cs.call = Call::tensor_set;
  cs.step = "load weights";
  cs.tensor = dst.tensor;
  api_.tensor_set(view(dst), cs);
}

bool RealScheduler::buffer_cpy_tensor(const bridge::TensorRef& src, const bridge::TensorRef& dst) {
  attribute(After::other, kNone);
  const TensorView sv = view(src);
  const TensorView dv = view(dst);
  if (is_host_buffer(scenario_.buffers[sv.region.buffer].kind) ||
      is_host_buffer(scenario_.buffers[dv.region.buffer].kind))
    return false;
  CallSite cs = site(Call::tensor_copy, dv.backend);
  cs.tensor = sv.tensor;
  cs.copy = dv.copy;
  api_.tensor_copy(sv, dv, cs);
  return true;
}

bool RealScheduler::eval_callback(int node, bool ask) {
  const auto& cb = scenario_.driver.eval_callback;
  if (ask)
    return cb && (cb->all_nodes ||
                  std::find(cb->nodes.begin(), cb->nodes.end(), node) != cb->nodes.end());
  callback_read_ = node;
  return true;
}

void RealScheduler::unsupported(const std::string& what) {
  throw BridgeError("the real scheduler made " + what + ", which the bridge cannot stand for");
}

// ---- places and values

LogicalValue RealScheduler::expected(Index tensor) const {
  if (scenario_.tensors[tensor].role == TensorRole::persistent) return persistent_.expected(tensor);
  return {tensor, base_.eval, 0};
}

Index RealScheduler::copy_index(Index source, Index backend) const {
  auto& copies = run_.plan.copies;
  for (std::size_t i = 0; i < copies.size(); ++i)
    if (copies[i].source == source && copies[i].backend == backend) return static_cast<Index>(i);
  copies.push_back(
      {source, backend, scenario_.backends[backend].name + "#" + scenario_.tensors[source].name});
  return static_cast<Index>(copies.size()) - 1;
}

TensorView RealScheduler::view(const bridge::TensorRef& ref) const {
  TensorView v;
  v.region = Region{ref.buffer, ref.offset, ref.size};
  v.tensor = ref.tensor;
  v.tensor_offset = ref.tensor_offset;
  v.expected = expected(ref.tensor);
  v.backend = tensor_backend(assignment_.run().scenario, ref.tensor);
  persistent_.add_parts(v);
  const bool input = scenario_.tensors[ref.tensor].role == TensorRole::user_input;
  const bool graph_input_slot = input && (ref.copy_backend < 0 || ref.copy_backend == v.backend);
  if (graph_input_slot) {
    v.slot = ref.copy_backend < 0 ? sched_->cur_copy() : ref.slot;
  } else if (ref.copy_backend >= 0) {
    v.copy = copy_index(ref.tensor, ref.copy_backend);
    v.slot = ref.slot;
    v.backend = ref.copy_backend;
  }
  // A copy reads the input as bound now; the program's own memory has one slot.
  const bool placed = scenario_.tensors[ref.tensor].buffer != kNone;
  if (input) inputs_.add_parts(v, placed ? 0 : graph_input_slot ? v.slot : sched_->cur_copy());
  if (v.region.buffer < 0)
    throw BridgeError("tensor " + scenario_.tensors[ref.tensor].name + " has no place");
  return v;
}

TensorView RealScheduler::host_view(const bridge::MemRef& mem, const TensorView& like) const {
  TensorView v = like;
  v.region = Region{mem.buffer, mem.offset, mem.size};
  v.copy = kNone;
  // A user input read by pointer is the graph's input, bound to the current copy.
  v.slot = scenario_.tensors[like.tensor].role == TensorRole::user_input ? sched_->cur_copy() : 0;
  v.backend = scenario_.cpu_backend();
  return v;
}

// ggml's events of a backend in the order it made them: its copy-slot events (pipeline
// parallelism only), then any others, which a patched tree's scheduler makes
// (tree_event<k>).
EventId RealScheduler::event(int backend, int index) const {
  const auto& slots = run_.layout.sched_events;
  const auto& others = run_.layout.tree_events;
  auto missing = [&] {
    return BridgeError("ggml used event " + std::to_string(index) + " of " +
                       scenario_.backends[backend].name +
                       ", which the run's layout does not have (at most " +
                       std::to_string(kTreeEventsPerBackend) + " besides the copy-slot events)");
  };
  if (backend < 0 || backend >= static_cast<int>(slots.size()) || index < 0) throw missing();
  const auto& own = slots[backend];
  const int n_slot_events =
      static_cast<int>(std::count_if(own.begin(), own.end(), [](EventId e) { return e >= 0; }));
  if (index < n_slot_events) return own[index];
  const int k = index - n_slot_events;
  if (k >= static_cast<int>(others.size()) || others[k][backend] < 0) throw missing();
  return others[k][backend];
}

}  // namespace schedcheck
