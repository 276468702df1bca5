// ggml's tensor-parallel meta backend (src/ggml-backend-meta.cpp, llama.cpp's `-sm tensor`) over
// the plugin's devices: the tree's own code, with the split of each weight the scenario gives.
// The plugin compiles against trees without it too; there it refuses a meta backend.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "bridge/plugin/plugin.hpp"
#include "ggml-backend-impl.h"

namespace schedcheck::bridge {

namespace {

[[noreturn]] void refuse_meta_backend() {
  throw std::runtime_error(
      "this ggml tree has no meta backend (src/ggml-backend-meta.cpp, tensor parallelism); a "
      "scenario with a backend of kind meta needs a tree that has it, such as ggml-head");
}

}  // namespace

#ifdef GGML_BACKEND_META_MAX_DEVICES

namespace {

// ggml's own graph_compute of the meta backend (one for every meta backend of the tree).
ggml_status (*g_meta_graph_compute)(ggml_backend_t, ggml_cgraph*) = nullptr;
ggml_backend_sched_t g_sched = nullptr;
bool g_in_compute = false;
int g_split = -1;

ggml_status meta_graph_compute(ggml_backend_t backend, ggml_cgraph* graph) {
  g_in_compute = true;
  g_split = g_sched ? sched_split_of(g_sched, graph) : -1;
  struct Leave {
    ~Leave() {
      g_in_compute = false;
      g_split = -1;
    }
  } leave;
  return g_meta_graph_compute(backend, graph);
}

// How the members hold a tensor of a meta backend's weights buffer (llama.cpp's callback
// decides this by the tensor's name): the scenario's split, in equal slices.
ggml_backend_meta_split_state split_state(const ggml_tensor* t, void*) {
  const NamingContext c = naming_context();
  const GraphDesc& desc = *c.desc;
  const ParsedName name = parse_tensor_name(t->name, desc, *c.backends);
  ggml_backend_meta_split_state s;
  std::memset(&s, 0, sizeof(s));
  s.axis = GGML_BACKEND_SPLIT_AXIS_MIRRORED;
  s.nr[0] = 1;
  s.n_segments = 1;
  if (name.tensor < 0) return s;
  const TensorDesc& td = desc.tensors[static_cast<std::size_t>(name.tensor)];
  if (td.split < 0 || td.split >= GGML_MAX_DIMS || td.buffer < 0) return s;
  const int owner = desc.buffers[static_cast<std::size_t>(td.buffer)].owner;
  const auto n =
      static_cast<int64_t>(desc.backends[static_cast<std::size_t>(owner)].members.size());
  s.axis = static_cast<ggml_backend_meta_split_axis>(td.split);
  for (int64_t j = 0; j < n; ++j) s.ne[j] = t->ne[td.split] / n;
  return s;
}

}  // namespace

bool tree_has_meta_backend() {
  return true;
}

ggml_backend_t new_meta_backend(const std::vector<ggml_backend_dev_t>& members) {
  // ggml caches meta devices by (devices, callback, user data) and their buffer types by
  // device, in statics: a user data of its own per run keeps a run from meeting the devices of
  // an earlier one at a reused address.
  static std::atomic<uintptr_t> runs{0};
  void* run = reinterpret_cast<void*>(++runs);
  std::vector<ggml_backend_dev_t> devs = members;
  ggml_backend_dev_t dev = ggml_backend_meta_device(devs.data(), devs.size(), split_state, run);
  ggml_backend_t backend = ggml_backend_dev_init(dev, nullptr);
  if (!backend) throw std::runtime_error("ggml_backend_dev_init of the meta device failed");
  if (backend->iface.graph_compute != meta_graph_compute) {
    g_meta_graph_compute = backend->iface.graph_compute;
    backend->iface.graph_compute = meta_graph_compute;
  }
  return backend;
}

ggml_backend_buffer_type_t meta_buffer_type(ggml_backend_t meta) {
  return ggml_backend_get_default_buffer_type(meta);
}

void set_meta_scheduler(ggml_backend_sched_t sched) {
  g_sched = sched;
}

bool in_meta_compute() {
  return g_in_compute;
}

int meta_split() {
  return g_split;
}

#else  // a tree before the meta backend

bool tree_has_meta_backend() {
  return false;
}

ggml_backend_t new_meta_backend(const std::vector<ggml_backend_dev_t>&) {
  refuse_meta_backend();
}

ggml_backend_buffer_type_t meta_buffer_type(ggml_backend_t) {
  return nullptr;
}

void set_meta_scheduler(ggml_backend_sched_t) {}

bool in_meta_compute() {
  return false;
}

int meta_split() {
  return -1;
}

#endif

LaunchSplit launch_split(ggml_backend_sched_t sched, ggml_cgraph* graph) {
  LaunchSplit r;
  if (in_meta_compute()) {
    r.split = meta_split();  // a member's subgraph or AllReduce step: part of the meta's split
  } else if (sched) {
    r.split = sched_split_of(sched, graph);
    r.ends = r.split >= 0 && sched_split_ends(sched, r.split, graph);
  }
  return r;
}

int meta_purpose_buffer(const GraphDesc& desc, int compute, bool scheduler_exists, uint64_t size,
                        std::vector<uint64_t>& next_origin, uint64_t* origin) {
  const int owner = desc.buffers[static_cast<std::size_t>(compute)].owner;
  if (owner < 0 || desc.backends[static_cast<std::size_t>(owner)].meta < 0) return compute;
  const BackendDesc& member = desc.backends[static_cast<std::size_t>(owner)];
  const int to = in_meta_compute()   ? member.reduce_buffer
                 : !scheduler_exists ? member.weights_buffer
                                     : compute;
  if (to == compute || to < 0) return compute;
  uint64_t& end = next_origin[static_cast<std::size_t>(to)];
  *origin = end;
  end += (size + 255) / 256 * 256;
  return to;
}

bool has_meta_backend(const GraphDesc& desc) {
  for (const BackendDesc& b : desc.backends)
    if (!b.members.empty()) return true;
  return false;
}

void require_meta_backend(const GraphDesc& desc) {
  if (!tree_has_meta_backend() && has_meta_backend(desc)) refuse_meta_backend();
}

}  // namespace schedcheck::bridge
