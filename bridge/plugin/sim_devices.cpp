// Simulated devices as a ggml backend: every member the scheduler or ggml-backend.cpp calls is
// reported to schedcheck (Host), which decides what it does; nothing is computed or copied.
// The interface structs are zero-filled and set by member name, so this file compiles against
// every ggml version (members added later stay NULL, which ggml treats as "not supported").
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bridge/plugin/sim_devices.hpp"

namespace schedcheck::bridge {

Devices* make_devices(const GraphDesc& graph, Host& host) {
  require_meta_backend(graph);  // before any backend is made, so that nothing is left behind
  return new SimDevices(graph, host);
}

namespace simdev {
SimDevices::State* g_state = nullptr;
}  // namespace simdev

using namespace simdev;

namespace {

// ---- backends
const char* backend_name(ggml_backend_t b) {
  return state().names[backend_index(b)].c_str();
}
void backend_free(ggml_backend_t b) {
  delete b;
}
void set_async(ggml_backend_t b, ggml_tensor* t, const void* data, size_t offset, size_t size) {
  TensorRef dst = tensor_ref(t);
  dst.offset += offset;
  dst.size = size;
  dst.tensor_offset = offset;
  host().set_tensor_async(backend_index(b), dst, mem_ref(data, size));
}
void get_async(ggml_backend_t b, const ggml_tensor* t, void* data, size_t offset, size_t size) {
  TensorRef src = tensor_ref(t);
  src.offset += offset;
  src.size = size;
  src.tensor_offset = offset;
  host().get_tensor_async(backend_index(b), src, mem_ref(data, size), data);
}
bool cpy_async(ggml_backend_t bs, ggml_backend_t bd, const ggml_tensor* src, ggml_tensor* dst) {
  // A source backend that is not one of ours (none exists in a run) is declined.
  if (bs->iface.get_name != backend_name) return false;
  const TensorRef from = tensor_ref(src);
  return host().cpy_tensor_async(backend_index(bs), backend_index(bd), from,
                                 copy_destination_ref(dst, from));
}
void synchronize(ggml_backend_t b) {
  host().synchronize(backend_index(b));
}
void event_record(ggml_backend_t b, ggml_backend_event_t e) {
  auto* ev = static_cast<EventContext*>(e->context);
  host().event_record(backend_index(b), ev->backend, ev->index);
}
void event_wait(ggml_backend_t b, ggml_backend_event_t e) {
  auto* ev = static_cast<EventContext*>(e->context);
  host().event_wait(backend_index(b), ev->backend, ev->index);
}
enum ggml_status graph_compute(ggml_backend_t b, ggml_cgraph* g) {
  std::vector<NodeRef> nodes;
  std::string unknown;
  if (!state().graph || !state().graph->node_refs(g, &nodes, &unknown)) {
    host().unsupported("a graph node the scenario does not have: " + unknown);
    return GGML_STATUS_FAILED;
  }
  const LaunchSplit at = launch_split(state().sched, g);
  host().graph_compute(backend_index(b), at.split, at.ends, nodes);
  return GGML_STATUS_SUCCESS;
}

ggml_guid g_guid = {0x73, 0x63, 0x68, 0x65, 0x64, 0x63, 0x68, 0x65,
                    0x63, 0x6b, 0x2d, 0x73, 0x69, 0x6d, 0x76, 0x31};

// ---- devices
const char* dev_name(ggml_backend_dev_t d) {
  return state().names[static_cast<DeviceContext*>(d->context)->backend].c_str();
}
void dev_memory(ggml_backend_dev_t, size_t* free_bytes, size_t* total) {
  *free_bytes = *total = size_t{1} << 40;
}
enum ggml_backend_dev_type dev_type(ggml_backend_dev_t d) {
  switch (state().desc->backends[static_cast<DeviceContext*>(d->context)->backend].type) {
    case DeviceType::gpu:
      return GGML_BACKEND_DEVICE_TYPE_GPU;
    case DeviceType::accel:
      return GGML_BACKEND_DEVICE_TYPE_ACCEL;
    case DeviceType::cpu:
      break;
  }
  return GGML_BACKEND_DEVICE_TYPE_CPU;
}
// Caps that only some trees define (patches/ggml-head/0004): set where the tree has them. The
// plugin is C++17, as ggml, so the test is an overload that exists only with the members.
template <typename Caps>
auto set_newer_caps(Caps& caps, const BackendDesc& b, int)
    -> decltype(caps.events_cross_device = caps.async_copies_in_order = false, void()) {
  caps.events_cross_device = b.events_cross_device;
  caps.async_copies_in_order = b.async_copies_in_order;
}
template <typename Caps>
void set_newer_caps(Caps&, const BackendDesc&, long) {}
void dev_props(ggml_backend_dev_t d, ggml_backend_dev_props* p) {
  const BackendDesc& b = state().desc->backends[static_cast<DeviceContext*>(d->context)->backend];
  std::memset(p, 0, sizeof(*p));
  p->name = dev_name(d);
  p->description = dev_name(d);
  p->type = dev_type(d);
  dev_memory(d, &p->memory_free, &p->memory_total);
  p->caps.async = b.async;
  p->caps.events = b.events;
  set_newer_caps(p->caps, b, 0);
}
ggml_backend_t dev_init(ggml_backend_dev_t d, const char*) {
  const int index = static_cast<DeviceContext*>(d->context)->backend;
  const BackendDesc& b = state().desc->backends[index];
  ggml_backend_i it;
  std::memset(&it, 0, sizeof(it));
  it.get_name = backend_name;
  it.free = backend_free;
  it.graph_compute = graph_compute;
  if (b.async) it.synchronize = synchronize;
  if (b.set_get_async) {
    it.set_tensor_async = set_async;
    it.get_tensor_async = get_async;
  }
  if (b.cpy_async) it.cpy_tensor_async = cpy_async;
  if (b.events) {
    it.event_record = event_record;
    it.event_wait = event_wait;
  }
  auto* backend = new ggml_backend;
  std::memset(static_cast<void*>(backend), 0, sizeof(*backend));
  backend->guid = &g_guid;
  backend->iface = it;
  backend->device = d;
  backend->context = nullptr;
  return backend;
}
ggml_backend_buffer_type_t dev_buft(ggml_backend_dev_t d) {
  const int index = static_cast<DeviceContext*>(d->context)->backend;
  return &state().buffer_types[state().desc->backends[index].compute_buffer];
}
// ggml-blas computes matrix products only; the other simulated devices compute every op.
bool dev_supports_op(ggml_backend_dev_t d, const ggml_tensor* op) {
  const int index = static_cast<DeviceContext*>(d->context)->backend;
  if (state().desc->backends[index].type != DeviceType::accel) return true;
  return op->op == GGML_OP_MUL_MAT || op->op == GGML_OP_OUT_PROD;
}
bool dev_supports_buft(ggml_backend_dev_t d, ggml_backend_buffer_type_t t) {
  if (t->iface.get_name != buft_name) return false;
  const int index = static_cast<DeviceContext*>(d->context)->backend;
  return state().desc->backends[index].can_use[static_cast<BufferTypeContext*>(t->context)->buffer];
}
bool dev_offload_op(ggml_backend_dev_t, const ggml_tensor*) {
  return false;
}
ggml_backend_event_t dev_event_new(ggml_backend_dev_t d) {
  auto* dc = static_cast<DeviceContext*>(d->context);
  auto* e = new ggml_backend_event;
  e->device = d;
  e->context = new EventContext{dc->backend, dc->next_event++};
  return e;
}
void dev_event_free(ggml_backend_dev_t, ggml_backend_event_t e) {
  delete static_cast<EventContext*>(e->context);
  delete e;
}
void dev_event_synchronize(ggml_backend_dev_t, ggml_backend_event_t e) {
  auto* ev = static_cast<EventContext*>(e->context);
  host().event_synchronize(ev->backend, ev->index);
}

const char* reg_name(ggml_backend_reg_t) {
  return "schedcheck";
}
size_t reg_count(ggml_backend_reg_t) {
  return state().devices.size();
}
ggml_backend_dev_t reg_device(ggml_backend_reg_t, size_t i) {
  return &state().devices[i];
}

}  // namespace

SimDevices::SimDevices(const GraphDesc& graph, Host& h) : state_(new State) {
  State& s = *state_;
  g_state = state_;
  s.desc = &graph;
  s.host = &h;
  ggml_backend_reg_i ri;
  std::memset(&ri, 0, sizeof(ri));
  ri.get_name = reg_name;
  ri.get_device_count = reg_count;
  ri.get_device = reg_device;
  s.reg.api_version = GGML_BACKEND_API_VERSION;
  s.reg.iface = ri;

  const std::size_t nb = graph.backends.size();
  s.devices.resize(nb);
  s.device_contexts.resize(nb);
  for (std::size_t b = 0; b < nb; ++b) {
    const BackendDesc& desc = graph.backends[b];
    // ggml names copies "<backend>#<tensor>#<copy>" in 64 bytes: long names become "b<i>".
    s.names.push_back(desc.name.size() <= 24 && desc.name.find('#') == std::string::npos
                          ? desc.name
                          : "b" + std::to_string(b));
    ggml_backend_device_i di;
    std::memset(&di, 0, sizeof(di));
    di.get_name = dev_name;
    di.get_description = dev_name;
    di.get_memory = dev_memory;
    di.get_type = dev_type;
    di.get_props = dev_props;
    di.init_backend = dev_init;
    di.get_buffer_type = dev_buft;
    di.supports_op = dev_supports_op;
    di.supports_buft = dev_supports_buft;
    di.offload_op = dev_offload_op;
    if (desc.events) {
      di.event_new = dev_event_new;
      di.event_free = dev_event_free;
      di.event_synchronize = dev_event_synchronize;
    }
    s.device_contexts[b] = DeviceContext{state_, static_cast<int>(b), 0};
    s.devices[b].iface = di;
    s.devices[b].reg = &s.reg;
    s.devices[b].context = &s.device_contexts[b];
  }

  const std::size_t nbuf = graph.buffers.size();
  s.buffer_types.resize(nbuf);
  s.buffer_type_contexts.resize(nbuf);
  for (std::size_t i = 0; i < nbuf; ++i) {
    ggml_backend_buffer_type_i ti;
    std::memset(&ti, 0, sizeof(ti));
    ti.get_name = buft_name;
    ti.alloc_buffer = buft_alloc;
    ti.get_alignment = buft_alignment;
    ti.is_host = buft_is_host;
    s.buffer_type_contexts[i] = BufferTypeContext{state_, static_cast<int>(i)};
    const int owner = graph.buffers[i].owner;
    s.buffer_types[i].iface = ti;
    s.buffer_types[i].device = &s.devices[owner >= 0 ? owner : nb - 1];
    s.buffer_types[i].context = &s.buffer_type_contexts[i];
  }

  s.next_origin.assign(nbuf, 0);
  for (std::size_t b = 0; b < nb; ++b) {
    const std::vector<int>& members = graph.backends[b].members;
    if (members.empty()) {
      backends_.push_back(dev_init(&s.devices[b], nullptr));
      continue;
    }
    std::vector<ggml_backend_dev_t> devs;
    for (int m : members) devs.push_back(&s.devices[m]);
    backends_.push_back(new_meta_backend(devs));
    s.names[b] = ggml_backend_name(backends_.back());  // its copies are named after it
  }
  persistent_.assign(nbuf, nullptr);
  for (std::size_t i = 0; i < nbuf; ++i) {
    const BufferDesc& desc = graph.buffers[i];
    const int buffer = static_cast<int>(i);
    if (desc.compute || meta_of_buffer(graph, buffer) >= 0 || filled_by_meta_member(graph, buffer))
      continue;
    persistent_[i] = ggml_backend_buft_alloc_buffer(&s.buffer_types[i], desc.size ? desc.size : 1);
    if (desc.weights)
      ggml_backend_buffer_set_usage(persistent_[i], GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
  }
}

SimDevices::~SimDevices() {
  for (ggml_backend_buffer_t b : persistent_)
    if (b) ggml_backend_buffer_free(b);
  for (ggml_backend_t b : backends_) ggml_backend_free(b);
  if (g_state == state_) g_state = nullptr;
  delete state_;
}

ggml_backend_buffer_type_t SimDevices::buffer_type(int buffer) const {
  const int meta = meta_of_buffer(*state_->desc, buffer);
  return meta >= 0 ? meta_buffer_type(backends_[meta]) : &state_->buffer_types[buffer];
}

void SimDevices::set_scheduler(ggml_backend_sched_t sched, const GraphBuilder* graph) {
  state_->sched = sched;
  state_->graph = graph;
}

NamingContext naming_context() {
  return {state().desc, &state().names, state().host};
}

}  // namespace schedcheck::bridge
