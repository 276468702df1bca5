// The scenario as the plugin receives it: backends with the capabilities of their kind under
// the run's version profile, one buffer type per buffer, tensors and nodes by index.
#include "bridge/real_scheduler.hpp"

namespace schedcheck {
namespace {

bridge::MemoryKind memory_kind(BufferKind k) {
  switch (k) {
    case BufferKind::device:
      return bridge::MemoryKind::device;
    case BufferKind::pinned_host:
      return bridge::MemoryKind::pinned_host;
    case BufferKind::pageable_host:
      break;
  }
  return bridge::MemoryKind::pageable_host;
}

bridge::DeviceType device_type(BackendKind k) {
  if (k == BackendKind::cpu) return bridge::DeviceType::cpu;
  if (k == BackendKind::blas) return bridge::DeviceType::accel;
  return bridge::DeviceType::gpu;
}

bridge::Fill fill_of(TensorValues::Fill f) {
  switch (f) {
    case TensorValues::Fill::tokens:
      return bridge::Fill::tokens;
    case TensorValues::Fill::positions:
      return bridge::Fill::positions;
    case TensorValues::Fill::causal_mask:
      return bridge::Fill::causal_mask;
    case TensorValues::Fill::uniform:
      break;
  }
  return bridge::Fill::uniform;
}

bridge::ViewDesc view_of(const ViewStep& v) {
  bridge::ViewDesc d;
  d.kind = v.kind == ViewStep::Kind::permute     ? bridge::ViewDesc::Kind::permute
           : v.kind == ViewStep::Kind::transpose ? bridge::ViewDesc::Kind::transpose
                                                 : bridge::ViewDesc::Kind::reshape;
  d.dims = v.dims;
  return d;
}

[[noreturn]] void refuse(const Scenario& s, const std::string& what) {
  throw BridgeError("scenario \"" + s.name + "\": " + what);
}

}  // namespace

bridge::GraphDesc graph_desc(const PreparedRun& run) {
  const Scenario& s = run.scenario;
  bridge::GraphDesc g;
  for (Index b = 0; b < static_cast<Index>(s.backends.size()); ++b) {
    const Capabilities& c = run.layout.caps[b];
    bridge::BackendDesc d;
    d.name = s.backends[b].name;
    d.type = device_type(s.backends[b].kind);
    d.async = c.async_queue;
    d.events = c.async_queue && c.events;
    d.set_get_async = c.async_queue && c.set_get_async;
    d.cpy_async = c.async_queue && c.cpy_async_member;
    // As patches/ggml-head/0004 sets them: ggml-cuda alone (built for the CUDA family from one
    // source), cross-device waits in its CUDA build only; a tree without these caps ignores them.
    const BackendKind kind = s.backends[b].kind;
    d.events_cross_device = d.events && waits_on_other_devices_events(kind);
    d.async_copies_in_order = d.set_get_async && is_cuda_family(kind) && !c.transfer_queue;
    d.compute_buffer = s.backends[b].compute_buffer;
    if (d.compute_buffer == kNone) refuse(s, "backend " + d.name + " has no compute buffer");
    // An integrated GPU's device accepts the pinned host buffer type, as ggml-cuda's does.
    const bool in_place = reads_pinned_host_in_place(s, b, run.policy.knobs.profile);
    for (Index buf = 0; buf < static_cast<Index>(s.buffers.size()); ++buf)
      d.can_use.push_back(backend_can_use_buffer(s, b, buf, in_place));
    d.members = s.backends[b].members;
    d.meta = s.backends[b].meta;
    if (auto it = run.meta_buffers.find(b); it != run.meta_buffers.end()) {
      d.weights_buffer = it->second.weights;
      d.reduce_buffer = it->second.reduce;
    }
    g.backends.push_back(std::move(d));
  }
  for (Index buf = 0; buf < static_cast<Index>(s.buffers.size()); ++buf) {
    const Buffer& b = s.buffers[buf];
    bridge::BufferDesc d;
    d.name = b.name;
    d.kind = memory_kind(b.kind);
    d.owner = b.owner;
    d.alignment = b.alignment;
    d.compute = b.usage == BufferUsage::compute;
    d.size = d.compute ? 0 : run.alloc.buffer_size[buf];
    d.weights = b.usage == BufferUsage::weights;
    g.buffers.push_back(std::move(d));
  }
  for (const Tensor& t : s.tensors) {
    bridge::TensorDesc d;
    d.role = t.role == TensorRole::persistent   ? bridge::TensorRole::persistent
             : t.role == TensorRole::user_input ? bridge::TensorRole::user_input
                                                : bridge::TensorRole::node_output;
    d.size = t.size;
    d.input = (t.flags & kFlagInput) != 0;
    d.output = (t.flags & kFlagOutput) != 0;
    d.buffer = t.buffer;
    d.offset = t.offset ? static_cast<int64_t>(*t.offset) : -1;
    d.shape = t.shape;
    d.type = t.type == ElementType::i32 ? bridge::ElementType::i32 : bridge::ElementType::f32;
    d.fill = fill_of(t.values.fill);
    d.scale = t.values.scale;
    d.below = t.values.below;
    d.split = t.split;
    if (d.buffer != kNone && s.buffers[d.buffer].usage == BufferUsage::compute)
      refuse(s, "tensor " + t.name + " is placed in a compute buffer");
    if (t.role == TensorRole::persistent && (d.buffer == kNone || d.offset < 0))
      refuse(s, "persistent tensor " + t.name + " has no explicit place");
    g.tensors.push_back(d);
  }
  for (const Node& n : s.nodes) {
    bridge::NodeDesc d;
    d.op = n.op;
    d.backend = n.backend;
    d.sources = n.sources;
    d.output = n.output;
    d.writes_persistent = n.writes_persistent;
    d.inplace = n.inplace;
    for (const auto& steps : n.source_views) {
      d.views.emplace_back();
      for (const ViewStep& v : steps) d.views.back().push_back(view_of(v));
    }
    d.params.assign(n.params.begin(), n.params.end());
    if (n.is_mul_mat_id() && n.n_expert > 0 && n.sources.size() >= 3) {
      bridge::TensorDesc& experts = g.tensors[n.sources[0]];
      bridge::TensorDesc& ids = g.tensors[n.sources[2]];
      if (experts.size % static_cast<uint64_t>(n.n_expert) != 0 || ids.size % 4 != 0)
        refuse(s, "MUL_MAT_ID node " + n.name + ": sizes are not whole experts or int32 ids");
      experts.expert_rows = static_cast<uint64_t>(n.n_expert);
      ids.ids = true;
    }
    if (n.sources.size() > 10) refuse(s, "node " + n.name + " has more than 10 sources");
    g.nodes.push_back(std::move(d));
  }
  g.parallel = run.layout.pipeline_parallel;
  g.max_copies = s.scheduler.max_copies;
  if (const auto& cb = s.driver.eval_callback) {
    g.eval_callback = true;
    g.callback_all_nodes = cb->all_nodes;
    g.callback_nodes = cb->nodes;
  }
  return g;
}

}  // namespace schedcheck
