#include "scenario/scenario.hpp"

#include <algorithm>
#include <numeric>

namespace schedcheck {
namespace {
template <typename T>
Index find_by_name(const std::vector<T>& items, const std::string& name) {
  for (Index i = 0; i < static_cast<Index>(items.size()); ++i)
    if (items[i].name == name) return i;
  return kNone;
}
}  // namespace

Index Scenario::cpu_backend() const {
  return static_cast<Index>(backends.size()) - 1;
}
Index Scenario::find_tensor(const std::string& n) const {
  return find_by_name(tensors, n);
}
Index Scenario::find_backend(const std::string& n) const {
  return find_by_name(backends, n);
}
Index Scenario::find_buffer(const std::string& n) const {
  return find_by_name(buffers, n);
}
Index Scenario::find_node(const std::string& n) const {
  return find_by_name(nodes, n);
}

int Scenario::total_evaluations() const {
  if (!program.empty()) return program_evaluations(program).evaluations;
  return std::accumulate(driver.ubatches_per_batch.begin(), driver.ubatches_per_batch.end(), 0);
}

bool initialized_before_run(const Scenario& s, Index tensor) {
  const Tensor& t = s.tensors[static_cast<std::size_t>(tensor)];
  return t.role == TensorRole::persistent &&
         (t.buffer == kNone || s.buffers[static_cast<std::size_t>(t.buffer)].reuses == kNone);
}

std::string not_in_ggml_trees(const Scenario& s) {
  for (const ProgramStep& p : s.program)
    if (p.kind == ProgramStep::Kind::prepare_inputs)
      return "ggml_backend_sched_prepare_inputs (llama#27311's input ring) is not in a ggml tree; "
             "leave prepare_inputs out of the program (or set the knob uma_ring to 0)";
  if (s.scheduler.copy_slots > 0)
    return "copy slots without pipeline parallelism (scheduler.copy_slots, llama#27311) are not "
           "in a ggml tree: its scheduler has one slot unless it runs pipeline-parallel";
  return "";
}

bool Scenario::has_meta_backend() const {
  return std::any_of(backends.begin(), backends.end(),
                     [](const Backend& b) { return b.kind == BackendKind::meta; });
}

std::string not_in_model(const Scenario& s) {
  if (s.has_meta_backend())
    return "the scenario has a meta backend (tensor parallelism), which the model does not "
           "simulate: run it through a real ggml tree that has ggml-backend-meta.cpp "
           "(--policy ggml@ggml-head)";
  return "";
}

Index add_persistent_tensor(Scenario& s, const std::string& name, Index buffer, uint64_t size) {
  Tensor t;
  t.name = name;
  t.role = TensorRole::persistent;
  t.size = size;
  t.buffer = buffer;
  t.offset = s.buffers[buffer].size;
  s.buffers[buffer].size += size;
  s.tensors.push_back(t);
  return static_cast<Index>(s.tensors.size()) - 1;
}

Index add_user_input(Scenario& s, const std::string& name, uint64_t size) {
  Tensor t;
  t.name = name;
  t.role = TensorRole::user_input;
  t.flags = kFlagInput;
  t.size = size;
  s.tensors.push_back(t);
  return static_cast<Index>(s.tensors.size()) - 1;
}

Index add_node(Scenario& s, const std::string& name, const std::string& op, Index backend,
               std::vector<Index> sources, uint64_t size, uint8_t flags) {
  Node n;
  n.name = name;
  n.op = op;
  n.backend = backend;
  n.sources = std::move(sources);
  n.output = static_cast<Index>(s.tensors.size());
  Tensor t;
  t.name = name;
  t.size = size;
  t.flags = flags;
  t.producer = static_cast<Index>(s.nodes.size());
  s.tensors.push_back(t);
  s.nodes.push_back(n);
  return n.output;
}

namespace {

// What ggml's backend does on the scenario's device, at every version (audit findings F2, F6,
// F11); the scenario's capability overrides still come after.
void apply_device_properties(const Backend& b, Capabilities& caps) {
  if (b.kind == BackendKind::vulkan) {
    caps.transfer_queue = caps.transfer_queue || b.transfer_queue;
    if (!b.support_async) {
      caps.graph_compute_syncs = true;  // ggml_backend_vk_graph_compute ends in a synchronize
      caps.get_async_member = false;    // ggml_backend_vk_init drops get_tensor_async
    }
  }
  if (b.kind == BackendKind::metal && b.private_buffers) caps.blocking_on_queue = true;
}

}  // namespace

Capabilities backend_capabilities(const Scenario& s, Index backend, const VersionProfile& profile) {
  const Backend& b = s.backends[backend];
  Capabilities caps = capabilities_for(b.kind, profile);
  apply_device_properties(b, caps);
  for (const auto& o : b.overrides) {
    if (set_capability(caps, o.field, o.boolean)) continue;
    if (set_capability(caps, o.field, o.host_transfer)) continue;
    set_capability(caps, o.field, o.copy_queue);
  }
  return caps;
}

bool reads_pinned_host_in_place(const Scenario& s, Index backend, const VersionProfile& profile) {
  const Backend& b = s.backends[backend];
  return b.integrated && !is_host_backend(b.kind) &&
         backend_capabilities(s, backend, profile).integrated_reads_pinned_host;
}

std::vector<bool> in_place_readers(const Scenario& s, const VersionProfile& profile) {
  std::vector<bool> out;
  for (Index b = 0; b < static_cast<Index>(s.backends.size()); ++b)
    out.push_back(reads_pinned_host_in_place(s, b, profile));
  return out;
}

bool backend_can_use_buffer(const Scenario& s, Index backend, Index buffer, bool in_place) {
  const Buffer& buf = s.buffers[buffer];
  if (is_host_backend(s.backends[backend].kind)) return is_host_buffer(buf.kind);
  if (in_place && buf.kind == BufferKind::pinned_host) return true;
  return buf.kind == BufferKind::device && buf.owner == backend;
}

Index tensor_backend(const Scenario& s, Index tensor) {
  const Tensor& t = s.tensors[tensor];
  if (t.producer != kNone && t.role == TensorRole::node_output) return s.nodes[t.producer].backend;
  if (t.buffer != kNone && s.buffers[t.buffer].kind == BufferKind::device)
    return s.buffers[t.buffer].owner;
  return s.cpu_backend();
}

}  // namespace schedcheck
