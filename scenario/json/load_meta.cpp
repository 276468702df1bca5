// A meta backend (ggml's tensor parallelism, docs/meta-backend.md): its member devices, the
// split of the tensors it holds, and what a scenario with one must be.
#include <algorithm>

#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {
namespace {

// GGML_BACKEND_META_MAX_DEVICES.
constexpr std::size_t kMaxMetaDevices = 16;

}  // namespace

void ScenarioLoader::resolve_meta_members() {
  for (const auto& [meta, list] : meta_devices_) {
    const std::string p = at(at("/backends", meta), "devices");
    array(*list, p);
    if (list->size() < 2 || list->size() > kMaxMetaDevices)
      fail(p, "a meta backend has 2 to 16 member devices, got " + std::to_string(list->size()));
    Backend& b = scenario_.backends[meta];
    for (std::size_t k = 0; k < list->size(); ++k) {
      const std::string mp = at(p, k);
      const Index m = backend_ref((*list)[k], mp);
      Backend& member = scenario_.backends[m];
      if (member.kind == BackendKind::meta || is_host_backend(member.kind))
        fail(mp, "backend " + in_quotes(member.name) + " is a " +
                     std::string(to_string(member.kind)) +
                     " backend; a meta backend's devices are GPU backends");
      if (member.meta != kNone)
        fail(mp, "backend " + in_quotes(member.name) + " is already a device of meta backend " +
                     in_quotes(scenario_.backends[member.meta].name));
      member.meta = meta;
      b.members.push_back(m);
    }
  }
}

int ScenarioLoader::load_split(const Json& j, const std::string& p, const Tensor& t) const {
  const Buffer& buf = scenario_.buffers[t.buffer];
  const bool of_meta =
      buf.kind == BufferKind::device && scenario_.backends[buf.owner].kind == BackendKind::meta;
  const Json* split = optional(j, "split");
  if (!split) {
    if (of_meta)
      fail(p, "missing required field \"split\" (tensor " + in_quotes(t.name) + " is held by " +
                  "meta backend " + in_quotes(scenario_.backends[buf.owner].name) +
                  ": \"mirrored\", or {\"axis\": 0-3})");
    return Tensor::kNotSplit;
  }
  const std::string sp = at(p, "split");
  if (!of_meta)
    fail(sp, "buffer " + in_quotes(buf.name) +
                 " is not a device buffer of a meta backend; only "
                 "tensors a meta backend holds are split across its devices");
  if (split->is_string()) {
    if (split->get<std::string>() != "mirrored")
      fail(sp, "expected \"mirrored\" or {\"axis\": 0-3}, got " + describe(*split));
    return Tensor::kMirrored;
  }
  const Json& o = object(*split, sp, {"axis"});
  const std::string ap = at(sp, "axis");
  const int axis = small_int(required(o, sp, "axis"), ap, 0, 3);
  if (t.shape.empty())
    fail(ap, "tensor " + in_quotes(t.name) + " has no \"shape\" to split along an axis");
  if (static_cast<std::size_t>(axis) >= t.shape.size())
    fail(ap, "tensor " + in_quotes(t.name) + " has " + std::to_string(t.shape.size()) +
                 " dimensions; axis " + std::to_string(axis) + " is not one of them");
  const auto n = static_cast<int64_t>(scenario_.backends[buf.owner].members.size());
  if (t.shape[static_cast<std::size_t>(axis)] % n != 0)
    fail(ap, "dimension " + std::to_string(axis) + " of tensor " + in_quotes(t.name) + " (" +
                 std::to_string(t.shape[static_cast<std::size_t>(axis)]) +
                 ") is not a multiple of the " + std::to_string(n) + " devices of " +
                 in_quotes(scenario_.backends[buf.owner].name));
  return axis;
}

void ScenarioLoader::check_meta() const {
  if (!scenario_.has_meta_backend()) return;
  const auto meta = static_cast<std::size_t>(
      std::find_if(scenario_.backends.begin(), scenario_.backends.end(),
                   [](const Backend& b) { return b.kind == BackendKind::meta; }) -
      scenario_.backends.begin());
  if (!scenario_.has_shapes())
    fail(at("/backends", meta),
         "a meta backend splits tensors by their shapes and ops: give "
         "every tensor a \"shape\" (docs/scenario-format.md)");
  if (scenario_.given_splits)
    fail("/splits",
         "a scenario with a meta backend gives its \"graph\"; ggml's scheduler and "
         "the meta backend form the splits and subgraphs");
  for (std::size_t n = 0; n < scenario_.nodes.size(); ++n) {
    const Node& node = scenario_.nodes[n];
    const Backend& b = scenario_.backends[node.backend];
    if (b.meta != kNone)
      fail(at(node_path_[n], "backend"),
           "backend " + in_quotes(b.name) + " is a device of meta backend " +
               in_quotes(scenario_.backends[b.meta].name) + "; assign the node to " +
               in_quotes(scenario_.backends[b.meta].name) +
               " (its devices are not the "
               "scheduler's backends)");
    if (b.kind == BackendKind::meta && node.writes_persistent)
      fail(node_path_[n], "node " + in_quotes(node.name) +
                              " writes a persistent tensor on meta "
                              "backend " +
                              in_quotes(b.name) +
                              "; in-place writes (a KV cache) "
                              "on a meta backend are not supported yet");
  }
}

}  // namespace schedcheck::json_format
