// ggml's own backends (ggml-cuda, ggml-cpu) as the devices of a run, behind a recording proxy
// (proxy_calls.cpp). ggml-cuda knows its own objects by their interface functions, so the
// proxy cannot be a backend object of its own: it puts its functions in place of the members
// the scheduler calls and leaves the ones ggml-cuda compares alone. A meta backend (tensor
// parallelism) is ggml's own over these devices; the proxy stands in its members, not in it.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bridge/plugin/proxy_devices.hpp"
#include "ggml-cpu.h"
#ifdef SCHEDCHECK_PROXY_CUDA
#include "ggml-cuda.h"
#endif

namespace schedcheck::bridge {
namespace proxydev {
State* g_state = nullptr;
}  // namespace proxydev

using namespace proxydev;

namespace {

// The CUDA device a GPU backend of the scenario stands on: the next one.
ggml_backend_dev_t next_cuda_device(const GraphDesc& desc, int b, int* next_gpu) {
#ifdef SCHEDCHECK_PROXY_CUDA
  const int gpus = ggml_backend_cuda_get_device_count();
  if (*next_gpu >= gpus)
    host().unsupported(
        "backend " + desc.backends[b].name + " needs CUDA device " + std::to_string(*next_gpu) +
        " and ggml-cuda has " + std::to_string(gpus) +
        " (one GPU can stand for several: GGML_CUDA_DEVICES=N, at trees that have it)");
  return ggml_backend_reg_dev_get(ggml_backend_cuda_reg(), static_cast<size_t>((*next_gpu)++));
#else
  (void)next_gpu;
  host().unsupported(
      "backend " + desc.backends[b].name +
      " is a GPU and this plugin has ggml-cpu only (--backend ggml-cuda on a GPU machine)");
  return nullptr;
#endif
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
  return ggml_backend_dev_init(next_cuda_device(desc, b, next_gpu), nullptr);
}

#ifdef SCHEDCHECK_PROXY_CUDA
// ggml-cuda's own AllReduce (NCCL, or its internal one) runs below the bridge, where no call
// reaches the proxy: a meta backend runs with its generic AllReduce, which the simulated
// devices run too (GGML_CUDA_ALLREDUCE=none, set here where it is not set). Asked for by name,
// ggml-cuda's own runs, and only the reads are checked (the CLI says so; docs/meta-backend.md).
void choose_allreduce() {
  const char* chosen = std::getenv("GGML_CUDA_ALLREDUCE");
  if (!chosen) {
    setenv("GGML_CUDA_ALLREDUCE", "none", 0);
    return;
  }
  const std::string error = cuda_allreduce_error(chosen);
  if (!error.empty()) throw std::runtime_error(error);
}
#endif

// The meta backend makes its members' backends itself (ggml_backend_dev_init of each device):
// each becomes the scenario backend of its device here.
ggml_backend_t init_member(ggml_backend_dev_t d, const char* params) {
  ggml_backend_t b = state().real_init.at(d)(d, params);
  if (b) state().backends[static_cast<std::size_t>(state().member_devices.at(d))] = b;
  return b;
}

ggml_backend_t init_meta(const GraphDesc& desc, int meta,
                         const std::vector<ggml_backend_dev_t>& devices) {
  std::vector<ggml_backend_dev_t> members;
  for (int m : desc.backends[meta].members) {
    ggml_backend_dev_t d = devices[static_cast<std::size_t>(m)];
    state().member_devices[d] = m;
    state().real_init[d] = d->iface.init_backend;
    d->iface.init_backend = init_member;
    members.push_back(d);
  }
  struct Restore {
    ~Restore() {
      for (auto& [d, init] : state().real_init) d->iface.init_backend = init;
      state().real_init.clear();
      state().member_devices.clear();
    }
  } restore;
  ggml_backend_t b = new_meta_backend(members);
  for (int m : desc.backends[meta].members)
    if (!state().backends[static_cast<std::size_t>(m)])
      host().unsupported("meta backend " + desc.backends[meta].name + " did not make member " +
                         desc.backends[m].name);
  return b;
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
    const std::size_t nb = desc.backends.size();
    int next_gpu = 0, cpus = 0;
    s_.backends.assign(nb, nullptr);
    std::vector<ggml_backend_dev_t> device_of(nb, nullptr);  // a meta backend's members' devices
    for (std::size_t b = 0; b < nb; ++b) {
      const int i = static_cast<int>(b);
      if (desc.backends[b].meta >= 0)  // made by its meta backend, on this device
        device_of[b] = next_cuda_device(desc, i, &next_gpu);
      else if (!is_meta(i))
        s_.backends[b] = init_backend(desc, i, &next_gpu);
      cpus += desc.backends[b].type == DeviceType::cpu;
    }
    for (std::size_t b = 0; b < nb; ++b)
      if (is_meta(static_cast<int>(b)))
        s_.backends[b] = init_meta(desc, static_cast<int>(b), device_of);
    for (ggml_backend_t b : s_.backends) s_.names.push_back(ggml_backend_name(b));
    if (cpus != 1) h.unsupported("a run over ggml's backends has exactly one CPU backend");
    for (std::size_t i = 0; i < desc.buffers.size(); ++i)
      s_.bufts.push_back(buft_for(desc, s_.backends, static_cast<int>(i)));
    for (std::size_t b = 0; b < nb; ++b) {
      if (is_meta(static_cast<int>(b))) continue;  // ggml's meta buffer type, not the proxy's
      ggml_backend_buffer_type_t t = s_.bufts[desc.backends[b].compute_buffer];
      if (s_.compute_of.count(t)) h.unsupported("two compute buffers of one buffer type");
      s_.compute_of[t] = desc.backends[b].compute_buffer;
    }
    s_.persistent.assign(desc.buffers.size(), nullptr);
    s_.next_origin.assign(desc.buffers.size(), 0);
    for (std::size_t i = 0; i < desc.buffers.size(); ++i) {
      const BufferDesc& d = desc.buffers[i];
      const int buffer = static_cast<int>(i);
      if (d.compute || meta_of_buffer(desc, buffer) >= 0 || filled_by_meta_member(desc, buffer))
        continue;
      ggml_backend_buffer_t buf = ggml_backend_buft_alloc_buffer(s_.bufts[i], d.size ? d.size : 1);
      if (d.weights) ggml_backend_buffer_set_usage(buf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
      s_.persistent[i] = buf;
      s_.regions.push_back({static_cast<int>(i),
                            reinterpret_cast<uintptr_t>(ggml_backend_buffer_get_base(buf)),
                            ggml_backend_buffer_get_size(buf), 0});
    }
    for (std::size_t b = 0; b < nb; ++b) {
      ggml_backend_t backend = s_.backends[b];
      s_.real.push_back(backend->iface);
      s_.holds.push_back(is_meta(static_cast<int>(b))
                             ? nullptr
                             : std::make_unique<QueueHold>(backend, backend->iface));
    }
    s_.has_meta = has_meta_backend(desc);
    install();
  }

  void release() {
    uninstall();
    for (ggml_backend_buffer_t b : s_.persistent)
      if (b) ggml_backend_buffer_free(b);
    s_.holds.clear();
    for (std::size_t b = 0; b < s_.backends.size(); ++b)  // a meta backend frees its members
      if (s_.backends[b] && s_.desc->backends[b].meta < 0) ggml_backend_free(s_.backends[b]);
    g_state = nullptr;
  }

  ggml_backend_t backend(int b) const override { return s_.backends[b]; }
  ggml_backend_buffer_type_t buffer_type(int buffer) const override { return s_.bufts[buffer]; }
  ggml_backend_buffer_t persistent_buffer(int buffer) const override {
    return s_.persistent[buffer];
  }
  void* address(int buffer, uint64_t offset) const override {
    for (auto it = s_.regions.rbegin(); it != s_.regions.rend(); ++it)
      if (it->buffer == buffer && offset >= it->origin && offset - it->origin <= it->size)
        return reinterpret_cast<void*>(it->base + offset - it->origin);
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
  // Our members in place of the backends', buffers', buffer types' and devices' own; a meta
  // backend keeps its own (its calls reach its members, which are ours).
  void install() {
    for (std::size_t i = 0; i < s_.backends.size(); ++i) {
      if (is_meta(static_cast<int>(i))) continue;
      hook_backend(s_.backends[i]);
      hook_device(s_.backends[i]->device, static_cast<int>(i));
    }
    for (const auto& [t, compute] : s_.compute_of)
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
  // Before any backend is made, so that nothing is left behind.
  require_meta_backend(graph);
#ifdef SCHEDCHECK_PROXY_CUDA
  if (has_meta_backend(graph)) choose_allreduce();
#endif
  return new ProxyDevices(graph, host);
}

MemRef mem_ref(const void* data, uint64_t size) {
  const auto p = reinterpret_cast<uintptr_t>(data);
  MemRef m;
  m.size = size;
  for (auto it = state().regions.rbegin(); it != state().regions.rend(); ++it)
    if (p >= it->base && p < it->base + it->size) {
      m.buffer = it->buffer;
      m.offset = p - it->base + it->origin;
      return m;
    }
  return m;  // the caller's own memory
}

NamingContext naming_context() {
  return {state().desc, &state().names, state().host};
}

}  // namespace schedcheck::bridge
