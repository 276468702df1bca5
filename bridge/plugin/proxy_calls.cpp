// The proxy's members in place of ggml's own (ggml-cuda, ggml-cpu): each call is reported to
// schedcheck exactly as the simulated devices report it, then the delay schedcheck asks for is
// applied, then the backend's own member runs. ggml-cuda knows its own objects by some of their
// members (a buffer is CUDA's if its free_buffer is CUDA's), which are left alone.
#include <chrono>
#include <string>
#include <thread>

#include "bridge/plugin/proxy_devices.hpp"

namespace schedcheck::bridge::proxydev {
namespace {

void apply_hold() {
  const Hold h = host().take_hold();
  if (h.host_microseconds > 0)
    std::this_thread::sleep_for(std::chrono::microseconds(h.host_microseconds));
  if (h.queue_backend >= 0 && h.queue_microseconds > 0 && state().holds[h.queue_backend])
    state().holds[h.queue_backend]->hold(h.queue_microseconds);
}

TensorRef part(const ggml_tensor* t, size_t offset, size_t size) {
  TensorRef r = tensor_ref(t);
  r.offset += offset;
  r.size = size;
  r.tensor_offset = offset;
  return r;
}

// ggml-head's 2-D copies go as the row copies ggml makes where a buffer or backend has none,
// each reported, as over simulated devices. Trees before them have no such members.
template <typename I>
auto clear_2d_copies(I& it, int) -> decltype(it.set_tensor_2d = nullptr, void()) {
  it.set_tensor_2d = nullptr;
  it.get_tensor_2d = nullptr;
}
template <typename I>
auto clear_2d_copies(I& it, long) -> decltype(it.set_tensor_2d_async = nullptr, void()) {
  it.set_tensor_2d_async = nullptr;
  it.get_tensor_2d_async = nullptr;
}
template <typename I>
void clear_2d_copies(I&, ...) {}

// ---- buffers
void buffer_set(ggml_backend_buffer_t b, ggml_tensor* t, const void* data, size_t offset,
                size_t size) {
  if (reporting()) {
    host().buffer_set_tensor(part(t, offset, size), mem_ref(data, size));
    apply_hold();
  }
  state().real_buffers.at(b).set_tensor(b, t, data, offset, size);
}
void buffer_get(ggml_backend_buffer_t b, const ggml_tensor* t, void* data, size_t offset,
                size_t size) {
  if (reporting()) {
    const MemRef dst = mem_ref(data, size);
    const ggml_tensor* copy =
        dst.buffer >= 0 && armed() ? sched_copy_at(state().sched, t, data) : nullptr;
    TensorRef copy_ref;
    if (copy) copy_ref = tensor_ref(copy);
    host().buffer_get_tensor(part(t, offset, size), dst, copy ? &copy_ref : nullptr, data);
    apply_hold();
  }
  state().real_buffers.at(b).get_tensor(b, t, data, offset, size);
}
bool buffer_cpy(ggml_backend_buffer_t b, const ggml_tensor* src, ggml_tensor* dst) {
  const ggml_backend_buffer_i& real = state().real_buffers.at(b);
  if (!reporting()) return real.cpy_tensor && real.cpy_tensor(b, src, dst);
  const TensorRef from = tensor_ref(src);
  const bool model = host().buffer_cpy_tensor(from, copy_destination_ref(dst, from));
  apply_hold();
  const bool done = real.cpy_tensor && real.cpy_tensor(b, src, dst);
  if (done != model)
    host().unsupported(std::string("the buffer's cpy_tensor ") + (done ? "copied " : "declined ") +
                       src->name + " -> " + dst->name + ", which the backend profile says it " +
                       (model ? "copies" : "declines"));
  return done;
}

// ---- backends
const ggml_backend_i& real(ggml_backend_t b) {
  return state().real[backend_index(b)];
}

void synchronize(ggml_backend_t b) {
  host().synchronize(backend_index(b));
  apply_hold();
  real(b).synchronize(b);
}
void set_async(ggml_backend_t b, ggml_tensor* t, const void* data, size_t offset, size_t size) {
  host().set_tensor_async(backend_index(b), part(t, offset, size), mem_ref(data, size));
  apply_hold();
  real(b).set_tensor_async(b, t, data, offset, size);
}
void get_async(ggml_backend_t b, const ggml_tensor* t, void* data, size_t offset, size_t size) {
  host().get_tensor_async(backend_index(b), part(t, offset, size), mem_ref(data, size), data);
  apply_hold();
  real(b).get_tensor_async(b, t, data, offset, size);
}
bool cpy_async(ggml_backend_t bs, ggml_backend_t bd, const ggml_tensor* src, ggml_tensor* dst) {
  const int s = backend_index(bs), d = backend_index(bd);
  const TensorRef from = tensor_ref(src);
  const bool model = s >= 0 && host().cpy_tensor_async(s, d, from, copy_destination_ref(dst, from));
  apply_hold();
  const bool done = real(bd).cpy_tensor_async(bs, bd, src, dst);
  if (done != model)
    host().unsupported(std::string("cpy_tensor_async of ") + state().names[d] + " " +
                       (done ? "copied " : "declined ") + src->name + " -> " + dst->name +
                       ", which the backend profile says it " + (model ? "copies" : "declines"));
  return done;
}
std::pair<int, int> event_of(ggml_backend_event_t e) {
  auto it = state().events.find(e);
  if (it == state().events.end()) host().unsupported("an event the scheduler did not create");
  return it->second;
}
void event_record(ggml_backend_t b, ggml_backend_event_t e) {
  const auto [eb, ei] = event_of(e);
  host().event_record(backend_index(b), eb, ei);
  apply_hold();
  real(b).event_record(b, e);
}
void event_wait(ggml_backend_t b, ggml_backend_event_t e) {
  const auto [eb, ei] = event_of(e);
  host().event_wait(backend_index(b), eb, ei);
  apply_hold();
  real(b).event_wait(b, e);
}
enum ggml_status graph_compute(ggml_backend_t b, ggml_cgraph* g) {
  std::vector<NodeRef> nodes;
  std::string unknown;
  if (!state().graph->node_refs(g, &nodes, &unknown)) {
    host().unsupported("a graph node the scenario does not have: " + unknown);
    return GGML_STATUS_FAILED;
  }
  const LaunchSplit at = launch_split(state().sched, g);
  host().graph_compute(backend_index(b), at.split, at.ends, nodes);
  apply_hold();
  return real(b).graph_compute(b, g);
}

// ---- devices
ggml_backend_event_t dev_event_new(ggml_backend_dev_t d) {
  ggml_backend_event_t e = state().real_devices.at(d).event_new(d);
  if (e) state().events[e] = {state().device_backend.at(d), state().next_event[d]++};
  return e;
}
void dev_event_synchronize(ggml_backend_dev_t d, ggml_backend_event_t e) {
  if (armed()) {
    const auto [eb, ei] = event_of(e);
    host().event_synchronize(eb, ei);
    apply_hold();
  }
  state().real_devices.at(d).event_synchronize(d, e);
}

}  // namespace

int backend_index(ggml_backend_t b) {
  for (std::size_t i = 0; i < state().backends.size(); ++i)
    if (state().backends[i] == b) return static_cast<int>(i);
  return -1;
}

void hook_buffer(ggml_backend_buffer_t b) {
  state().real_buffers[b] = b->iface;
  b->iface.set_tensor = buffer_set;
  b->iface.get_tensor = buffer_get;
  if (b->iface.cpy_tensor) b->iface.cpy_tensor = buffer_cpy;
  clear_2d_copies(b->iface, 0);
}

ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t t, size_t size) {
  ggml_backend_buffer_t b = state().real_bufts.at(t).alloc_buffer(t, size);
  auto compute = state().compute_of.find(t);
  if (!b || compute == state().compute_of.end()) return b;
  uint64_t origin = 0;
  // A meta backend member's weights' slices and AllReduce buffers get bytes of their own.
  const int buffer = meta_purpose_buffer(*state().desc, compute->second, armed(), size,
                                         state().next_origin, &origin);
  if (buffer == compute->second && !armed()) return b;
  // The scenario buffer from now on: where a compute buffer was before, and any memory this
  // allocation reuses, is gone.
  const auto base = reinterpret_cast<uintptr_t>(ggml_backend_buffer_get_base(b));
  const uint64_t bytes = ggml_backend_buffer_get_size(b);
  auto& regions = state().regions;
  for (auto it = regions.begin(); it != regions.end();) {
    const bool replaced = buffer == compute->second && it->buffer == buffer;
    const bool reused = it->base < base + bytes && base < it->base + it->size;
    it = replaced || reused ? regions.erase(it) : it + 1;
  }
  regions.push_back({buffer, base, bytes, origin});
  hook_buffer(b);
  return b;
}

void hook_backend(ggml_backend_t backend) {
  ggml_backend_i& it = backend->iface;
  it.graph_compute = graph_compute;
  if (it.synchronize) it.synchronize = synchronize;
  if (it.set_tensor_async) it.set_tensor_async = set_async;
  if (it.get_tensor_async) it.get_tensor_async = get_async;
  if (it.cpy_tensor_async) it.cpy_tensor_async = cpy_async;
  if (it.event_record) it.event_record = event_record;
  if (it.event_wait) it.event_wait = event_wait;
  clear_2d_copies(it, 0);
}

void hook_device(ggml_backend_dev_t d, int backend) {
  if (!d || state().real_devices.count(d)) return;
  state().real_devices[d] = d->iface;
  state().device_backend[d] = backend;
  if (d->iface.event_new) d->iface.event_new = dev_event_new;
  if (d->iface.event_synchronize) d->iface.event_synchronize = dev_event_synchronize;
}

}  // namespace schedcheck::bridge::proxydev
