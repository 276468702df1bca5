// ggml's own backends (ggml-cuda, ggml-cpu) as the devices of a run, behind a recording proxy.
// ggml-cuda knows its own objects by their interface functions (a buffer is CUDA's if its
// free_buffer is CUDA's), so the proxy cannot be a backend object of its own: it puts its
// functions in place of the members the scheduler calls (backend members, buffer copies,
// event creation and waits, buffer allocation) and leaves the ones ggml-cuda compares alone.
// Each call is reported to schedcheck exactly as the simulated devices report it, then the
// delay schedcheck asks for is applied, then the backend's own member runs.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bridge/plugin/proxy.hpp"
#include "ggml-cpu.h"
#ifdef SCHEDCHECK_PROXY_CUDA
#include "ggml-cuda.h"
#endif

namespace schedcheck::bridge {
namespace {

struct Region {
  int buffer = -1;  // scenario buffer
  uintptr_t base = 0;
  uint64_t size = 0;
};

struct State {
  const GraphDesc* desc = nullptr;
  Host* host = nullptr;
  std::vector<ggml_backend_t> backends;
  std::vector<ggml_backend_i> real;  // per backend: its own members
  std::vector<std::unique_ptr<QueueHold>> holds;
  std::vector<std::string> names;
  std::map<ggml_backend_dev_t, ggml_backend_device_i> real_devices;
  std::map<ggml_backend_dev_t, int> device_backend;
  std::map<ggml_backend_dev_t, int> next_event;
  std::map<ggml_backend_event_t, std::pair<int, int>> events;  // -> (backend, index)
  std::map<ggml_backend_buffer_type_t, ggml_backend_buffer_type_i> real_bufts;
  std::map<ggml_backend_buffer_type_t, int> compute_of;  // buffer type -> compute buffer
  std::map<ggml_backend_buffer_t, ggml_backend_buffer_i> real_buffers;
  std::vector<Region> regions;  // persistent buffers, then the compute buffers in use
  std::vector<ggml_backend_buffer_type_t> bufts;  // per scenario buffer
  std::vector<ggml_backend_buffer_t> persistent;
  ggml_backend_sched_t sched = nullptr;  // set when the run starts: calls are reported from then
  const GraphBuilder* graph = nullptr;
};

State* g_state = nullptr;
State& state() {
  return *g_state;
}
Host& host() {
  return *g_state->host;
}
bool armed() {
  return g_state && g_state->sched;
}

int backend_index(ggml_backend_t b) {
  for (std::size_t i = 0; i < state().backends.size(); ++i)
    if (state().backends[i] == b) return static_cast<int>(i);
  return -1;
}

void apply_hold() {
  const Hold h = host().take_hold();
  if (h.host_microseconds > 0)
    std::this_thread::sleep_for(std::chrono::microseconds(h.host_microseconds));
  if (h.queue_backend >= 0 && h.queue_microseconds > 0)
    state().holds[h.queue_backend]->hold(h.queue_microseconds);
}

TensorRef part(const ggml_tensor* t, size_t offset, size_t size) {
  TensorRef r = tensor_ref(t);
  r.offset += offset;
  r.size = size;
  r.tensor_offset = offset;
  return r;
}

// ---- buffers
void buffer_set(ggml_backend_buffer_t b, ggml_tensor* t, const void* data, size_t offset,
                size_t size) {
  if (armed()) {
    host().buffer_set_tensor(part(t, offset, size), mem_ref(data, size));
    apply_hold();
  }
  state().real_buffers.at(b).set_tensor(b, t, data, offset, size);
}
void buffer_get(ggml_backend_buffer_t b, const ggml_tensor* t, void* data, size_t offset,
                size_t size) {
  if (armed()) {
    const MemRef dst = mem_ref(data, size);
    const ggml_tensor* copy = dst.buffer >= 0 ? sched_copy_at(state().sched, t, data) : nullptr;
    TensorRef copy_ref;
    if (copy) copy_ref = tensor_ref(copy);
    host().buffer_get_tensor(part(t, offset, size), dst, copy ? &copy_ref : nullptr, data);
    apply_hold();
  }
  state().real_buffers.at(b).get_tensor(b, t, data, offset, size);
}
bool buffer_cpy(ggml_backend_buffer_t b, const ggml_tensor* src, ggml_tensor* dst) {
  const ggml_backend_buffer_i& real = state().real_buffers.at(b);
  if (!armed()) return real.cpy_tensor && real.cpy_tensor(b, src, dst);
  const bool model = host().buffer_cpy_tensor(tensor_ref(src), tensor_ref(dst));
  apply_hold();
  const bool done = real.cpy_tensor && real.cpy_tensor(b, src, dst);
  if (done != model)
    host().unsupported(std::string("the buffer's cpy_tensor ") + (done ? "copied " : "declined ") +
                       src->name + " -> " + dst->name + ", which the backend profile says it " +
                       (model ? "copies" : "declines"));
  return done;
}

void hook_buffer(ggml_backend_buffer_t b) {
  state().real_buffers[b] = b->iface;
  b->iface.set_tensor = buffer_set;
  b->iface.get_tensor = buffer_get;
  if (b->iface.cpy_tensor) b->iface.cpy_tensor = buffer_cpy;
}

ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t t, size_t size) {
  ggml_backend_buffer_t b = state().real_bufts.at(t).alloc_buffer(t, size);
  auto compute = state().compute_of.find(t);
  if (!b || !armed() || compute == state().compute_of.end()) return b;
  // A compute buffer of the scheduler's allocator: the scenario's compute buffer from now on.
  auto& regions = state().regions;
  for (auto it = regions.begin(); it != regions.end();)
    it = it->buffer == compute->second ? regions.erase(it) : it + 1;
  regions.push_back({compute->second, reinterpret_cast<uintptr_t>(ggml_backend_buffer_get_base(b)),
                     ggml_backend_buffer_get_size(b)});
  hook_buffer(b);
  return b;
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
  const bool model = s >= 0 && host().cpy_tensor_async(s, d, tensor_ref(src), tensor_ref(dst));
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
  const int split = sched_split_of(state().sched, g);
  host().graph_compute(backend_index(b), split,
                       split >= 0 && sched_split_ends(state().sched, split, g), nodes);
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

ggml_backend_t init_backend(const GraphDesc& desc, int b, int* next_gpu) {
  if (desc.backends[b].type == DeviceType::cpu) {
    // ggml-cpu's default of 4 threads spins in its barriers where the machine has fewer cores.
    ggml_backend_t cpu = ggml_backend_cpu_init();
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    ggml_backend_cpu_set_n_threads(cpu, static_cast<int>(std::min(cores, 8u)));
    return cpu;
  }
  if (desc.backends[b].type == DeviceType::accel) {
    host().unsupported("backend " + desc.backends[b].name +
                       " is BLAS: ggml-blas is not among the backends built");
    return nullptr;
  }
#ifdef SCHEDCHECK_PROXY_CUDA
  const int gpus = ggml_backend_cuda_get_device_count();
  if (*next_gpu >= gpus)
    host().unsupported(
        "backend " + desc.backends[b].name + " needs CUDA device " + std::to_string(*next_gpu) +
        " and ggml-cuda has " + std::to_string(gpus) +
        " (one GPU can stand for several: GGML_CUDA_DEVICES=N, at trees that have it)");
  return ggml_backend_cuda_init((*next_gpu)++);
#else
  (void)next_gpu;
  host().unsupported(
      "backend " + desc.backends[b].name +
      " is a GPU and this plugin has ggml-cpu only (--backend ggml-cuda on a GPU machine)");
#endif
  return nullptr;
}

ggml_backend_buffer_type_t buft_for(const GraphDesc& desc,
                                    const std::vector<ggml_backend_t>& backends, int i) {
  const BufferDesc& b = desc.buffers[i];
  if (b.kind == MemoryKind::device) return ggml_backend_get_default_buffer_type(backends[b.owner]);
#ifdef SCHEDCHECK_PROXY_CUDA
  if (b.kind == MemoryKind::pinned_host) return ggml_backend_cuda_host_buffer_type();
#endif
  return ggml_backend_cpu_buffer_type();
}

class ProxyDevices final : public Devices {
 public:
  ProxyDevices(const GraphDesc& desc, Host& h) {
    if (g_state) throw std::runtime_error("one run at a time over ggml's backends");
    g_state = &s_;
    s_.desc = &desc;
    s_.host = &h;
    try {
      open(desc, h);
    } catch (...) {
      release();
      throw;
    }
  }
  ~ProxyDevices() override { release(); }

  void open(const GraphDesc& desc, Host& h) {
    int next_gpu = 0, cpus = 0;
    for (std::size_t b = 0; b < desc.backends.size(); ++b) {
      s_.backends.push_back(init_backend(desc, static_cast<int>(b), &next_gpu));
      s_.names.push_back(ggml_backend_name(s_.backends.back()));
      cpus += desc.backends[b].type == DeviceType::cpu;
    }
    if (cpus != 1) h.unsupported("a run over ggml's backends has exactly one CPU backend");
    for (std::size_t i = 0; i < desc.buffers.size(); ++i)
      s_.bufts.push_back(buft_for(desc, s_.backends, static_cast<int>(i)));
    for (std::size_t b = 0; b < desc.backends.size(); ++b) {
      ggml_backend_buffer_type_t t = s_.bufts[desc.backends[b].compute_buffer];
      if (s_.compute_of.count(t)) h.unsupported("two compute buffers of one buffer type");
      s_.compute_of[t] = desc.backends[b].compute_buffer;
    }
    s_.persistent.assign(desc.buffers.size(), nullptr);
    for (std::size_t i = 0; i < desc.buffers.size(); ++i) {
      if (desc.buffers[i].compute) continue;
      ggml_backend_buffer_t buf = ggml_backend_buft_alloc_buffer(
          s_.bufts[i], desc.buffers[i].size ? desc.buffers[i].size : 1);
      if (desc.buffers[i].weights)
        ggml_backend_buffer_set_usage(buf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
      s_.persistent[i] = buf;
      s_.regions.push_back({static_cast<int>(i),
                            reinterpret_cast<uintptr_t>(ggml_backend_buffer_get_base(buf)),
                            ggml_backend_buffer_get_size(buf)});
    }
    for (ggml_backend_t b : s_.backends) {
      s_.real.push_back(b->iface);
      s_.holds.push_back(std::make_unique<QueueHold>(b, b->iface));
    }
    install();
  }

  void release() {
    uninstall();
    for (ggml_backend_buffer_t b : s_.persistent)
      if (b) ggml_backend_buffer_free(b);
    s_.holds.clear();
    for (ggml_backend_t b : s_.backends)
      if (b) ggml_backend_free(b);
    g_state = nullptr;
  }

  ggml_backend_t backend(int b) const override { return s_.backends[b]; }
  ggml_backend_buffer_type_t buffer_type(int buffer) const override { return s_.bufts[buffer]; }
  ggml_backend_buffer_t persistent_buffer(int buffer) const override {
    return s_.persistent[buffer];
  }
  void* address(int buffer, uint64_t offset) const override {
    for (auto it = s_.regions.rbegin(); it != s_.regions.rend(); ++it)
      if (it->buffer == buffer) return reinterpret_cast<void*>(it->base + offset);
    return nullptr;
  }
  void set_scheduler(ggml_backend_sched_t sched, const GraphBuilder* graph) override {
    s_.graph = graph;
    s_.sched = sched;
  }
  std::shared_ptr<const ReferenceGraph> make_reference(const GraphDesc& graph) const override {
    return ReferenceGraph::shared(graph);
  }

 private:
  // Our members in place of the backends', buffers', buffer types' and devices' own.
  void install() {
    for (std::size_t i = 0; i < s_.backends.size(); ++i) {
      ggml_backend_i& it = s_.backends[i]->iface;
      it.graph_compute = graph_compute;
      if (it.synchronize) it.synchronize = synchronize;
      if (it.set_tensor_async) it.set_tensor_async = set_async;
      if (it.get_tensor_async) it.get_tensor_async = get_async;
      if (it.cpy_tensor_async) it.cpy_tensor_async = cpy_async;
      if (it.event_record) it.event_record = event_record;
      if (it.event_wait) it.event_wait = event_wait;
      ggml_backend_dev_t d = s_.backends[i]->device;
      if (d && !s_.real_devices.count(d)) {
        s_.real_devices[d] = d->iface;
        s_.device_backend[d] = static_cast<int>(i);
        if (d->iface.event_new) d->iface.event_new = dev_event_new;
        if (d->iface.event_synchronize) d->iface.event_synchronize = dev_event_synchronize;
      }
    }
    for (ggml_backend_buffer_type_t t : s_.bufts)
      if (!s_.real_bufts.count(t)) {
        s_.real_bufts[t] = t->iface;
        t->iface.alloc_buffer = buft_alloc;
      }
    for (ggml_backend_buffer_t b : s_.persistent)
      if (b) hook_buffer(b);
  }
  // Shared objects (devices and buffer types are ggml's statics) get their own members back.
  void uninstall() {
    for (auto& [d, real] : s_.real_devices) d->iface = real;
    for (auto& [t, real] : s_.real_bufts) t->iface = real;
    for (std::size_t i = 0; i < s_.real.size(); ++i) s_.backends[i]->iface = s_.real[i];
    for (ggml_backend_buffer_t b : s_.persistent)
      if (b && s_.real_buffers.count(b)) b->iface = s_.real_buffers.at(b);
  }

  State s_;
};

}  // namespace

Devices* make_devices(const GraphDesc& graph, Host& host) {
  for (const BackendDesc& b : graph.backends)
    if (!b.members.empty())
      throw std::runtime_error("meta backend " + b.name +
                               ": ggml's own backends do not run a "
                               "meta backend through the bridge yet (simulated devices do)");
  return new ProxyDevices(graph, host);
}

MemRef mem_ref(const void* data, uint64_t size) {
  const auto p = reinterpret_cast<uintptr_t>(data);
  MemRef m;
  m.size = size;
  for (auto it = state().regions.rbegin(); it != state().regions.rend(); ++it)
    if (p >= it->base && p < it->base + it->size) {
      m.buffer = it->buffer;
      m.offset = p - it->base;
      return m;
    }
  return m;  // the caller's own memory
}

NamingContext naming_context() {
  return {state().desc, &state().names, state().host};
}

}  // namespace schedcheck::bridge
