// How the plugin names ggml tensors so that every tensor a device sees maps back to the
// scenario: parsed in place, since this runs for every source of every node of every launch.
#include <cstdlib>
#include <cstring>

#include "bridge/plugin/plugin.hpp"

namespace schedcheck::bridge {

std::string tensor_name(int tensor) {
  return "t" + std::to_string(tensor);
}
std::string view_name(int node) {
  return "v" + std::to_string(node);
}

ParsedName parse_tensor_name(const char* name, const GraphDesc& desc,
                             const std::vector<std::string>& backends) {
  ParsedName r;
  // A split-input copy: "<backend>#<name>#<copy>".
  const char* last = std::strrchr(name, '#');
  if (last && last > name) {
    const char* mid = last - 1;
    while (mid > name && *mid != '#') --mid;
    if (*mid == '#') {
      const std::size_t len = static_cast<std::size_t>(mid - name);
      for (std::size_t b = 0; b < backends.size(); ++b)
        if (backends[b].size() == len && std::memcmp(backends[b].data(), name, len) == 0)
          r.copy_backend = static_cast<int>(b);
      r.slot = std::atoi(last + 1);
      name = mid + 1;
    }
  }
  if (name[0] == 't') r.tensor = std::atoi(name + 1);
  if (name[0] == 'v') {
    const int node = std::atoi(name + 1);
    if (node >= 0 && node < static_cast<int>(desc.nodes.size())) r.tensor = desc.nodes[node].output;
  }
  if (r.tensor >= static_cast<int>(desc.tensors.size())) r.tensor = -1;
  return r;
}

TensorRef tensor_ref(const ggml_tensor* t) {
  const NamingContext c = naming_context();
  const ParsedName name = parse_tensor_name(t->name, *c.desc, *c.backends);
  if (name.tensor < 0)
    c.host->unsupported(std::string("a tensor the scenario does not have: ") + t->name);
  TensorRef r = tensor_ref_as(t, name.tensor);
  r.copy_backend = name.copy_backend;
  r.slot = name.slot;
  return r;
}

TensorRef tensor_ref_as(const ggml_tensor* t, int tensor) {
  TensorRef r;
  r.tensor = tensor;
  const ggml_tensor* base = t->view_src ? t->view_src : t;
  if (t->data) {
    const MemRef m = mem_ref(t->data, ggml_nbytes(t));
    r.buffer = m.buffer;
    r.offset = m.offset;
  } else if (base->data) {
    r.buffer = mem_ref(base->data, 0).buffer;
  }
  r.size = ggml_nbytes(t);
  return r;
}

TensorRef copy_destination_ref(const ggml_tensor* dst, const TensorRef& from) {
  return dst->name[0] ? tensor_ref(dst) : tensor_ref_as(dst, from.tensor);
}

}  // namespace schedcheck::bridge
