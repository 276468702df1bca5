// Scenarios computed with their own ops: tensor shapes, element types and values, the views a
// node reads its sources through, and its op's parameters (docs/scenario-format.md "Shapes,
// values and views").
#include <array>
#include <limits>

#include "scenario/json/limits.hpp"
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {

namespace {

constexpr uint64_t kElementBytes = 4;  // f32 and i32
constexpr uint64_t kMaxElements = kMaxSize / kElementBytes;
constexpr std::size_t kMaxDims = 4;
// Token ids are i32: every id below "below" must fit.
constexpr uint64_t kMaxBelow = uint64_t{std::numeric_limits<int32_t>::max()} + 1;

uint64_t elements(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

std::string dims_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t d = 0; d < shape.size(); ++d)
    s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + "]";
}

std::string_view type_name(ElementType type) { return type == ElementType::i32 ? "i32" : "f32"; }

// How one tensor of the namespace is called in messages.
std::string tensor_what(const Tensor& t) {
  const char* kind = t.role == TensorRole::persistent   ? "tensor "
                     : t.role == TensorRole::user_input ? "input "
                                                        : "node ";
  return kind + in_quotes(t.name);
}

}  // namespace

std::vector<int64_t> ScenarioLoader::dims(const Json& j, const std::string& path) const {
  array(j, path);
  if (j.empty() || j.size() > kMaxDims)
    fail(path, "expected 1 to 4 dimensions (ne0, ne1, ...), got " + std::to_string(j.size()));
  std::vector<int64_t> shape;
  uint64_t n = 1;
  for (std::size_t d = 0; d < j.size(); ++d) {
    const uint64_t ne = unsigned_in(j[d], at(path, d), 1, kMaxElements);
    if (n > kMaxElements / ne)
      fail(path, "more than " + std::to_string(kMaxElements) +
                     " elements: a tensor holds at most 2^40 bytes of 4-byte elements");
    n *= ne;
    shape.push_back(static_cast<int64_t>(ne));
  }
  return shape;
}

void ScenarioLoader::load_shape(const Json& j, const std::string& p, Tensor& t,
                                bool with_values) const {
  const Json* shape = optional(j, "shape");
  if (!shape) {
    if (with_values)
      for (const char* key : {"type", "values"})
        if (optional(j, key))
          fail(at(p, key), in_quotes(key) + " is only given with \"shape\"");
    t.size = unsigned_in(required(j, p, "size"), at(p, "size"), 1, kMaxSize);
    return;
  }
  t.shape = dims(*shape, at(p, "shape"));
  const uint64_t bytes = elements(t.shape) * kElementBytes;
  if (const Json* size = optional(j, "size")) {
    const uint64_t given = unsigned_in(*size, at(p, "size"), 1, kMaxSize);
    if (given != bytes)
      fail(at(p, "size"), "\"size\" " + std::to_string(given) + " disagrees with \"shape\" " +
                              dims_text(t.shape) + ": " + std::to_string(elements(t.shape)) +
                              " elements of 4 bytes are " + std::to_string(bytes) + " bytes");
  }
  t.size = bytes;
  if (!with_values) return;
  if (const Json* type = optional(j, "type")) {
    const std::string name = string(*type, at(p, "type"));
    if (name == "f32")
      t.type = ElementType::f32;
    else if (name == "i32")
      t.type = ElementType::i32;
    else
      fail(at(p, "type"), "unknown type " + in_quotes(name) + " (known: f32, i32)");
  }
  const Json* values = optional(j, "values");
  if (values) load_values(*values, at(p, "values"), t);
  if (t.type == ElementType::i32 && t.values.fill == TensorValues::Fill::uniform)
    fail(values ? at(at(p, "values"), "fill") : at(p, "type"),
         "an i32 tensor needs \"values\" with fill \"tokens\" or \"positions\" (fill "
         "\"uniform\", the default, makes f32 values)");
}

void ScenarioLoader::load_values(const Json& j, const std::string& p, Tensor& t) const {
  using Fill = TensorValues::Fill;
  object(j, p, {"fill", "scale", "below"});
  const std::string fill = string(required(j, p, "fill"), at(p, "fill"));
  TensorValues& v = t.values;
  if (fill == "uniform")
    v.fill = Fill::uniform;
  else if (fill == "tokens")
    v.fill = Fill::tokens;
  else if (fill == "positions")
    v.fill = Fill::positions;
  else if (fill == "causal_mask")
    v.fill = Fill::causal_mask;
  else
    fail(at(p, "fill"),
         "unknown fill " + in_quotes(fill) + " (known: uniform, tokens, positions, causal_mask)");

  const bool ints = v.fill == Fill::tokens || v.fill == Fill::positions;
  if (ints && t.type != ElementType::i32)
    fail(at(p, "fill"), "fill " + in_quotes(fill) + " makes integers: it needs \"type\": \"i32\", " +
                            "the tensor is " + std::string(type_name(t.type)));
  if (v.fill == Fill::causal_mask) {
    if (t.type != ElementType::f32)
      fail(at(p, "fill"), "fill \"causal_mask\" needs \"type\": \"f32\", the tensor is " +
                              std::string(type_name(t.type)));
    if (t.shape.size() != 2)
      fail(at(p, "fill"), "fill \"causal_mask\" needs a shape of 2 dimensions [cells, tokens], "
                          "the tensor has " + std::to_string(t.shape.size()));
  }

  if (const Json* scale = optional(j, "scale")) {
    if (v.fill != Fill::uniform)
      fail(at(p, "scale"), "\"scale\" is only for fill \"uniform\", not " + in_quotes(fill));
    v.scale = number(*scale, at(p, "scale"));
    if (!(v.scale > 0))
      fail(at(p, "scale"), "expected a number above 0, got " + scale->dump());
  }
  const Json* below = optional(j, "below");
  if (below && v.fill != Fill::tokens)
    fail(at(p, "below"), "\"below\" is only for fill \"tokens\", not " + in_quotes(fill));
  if (v.fill == Fill::tokens) {
    if (!below)
      fail(p, "missing required field \"below\" (fill \"tokens\" makes ids in [0, below))");
    v.below = static_cast<int64_t>(unsigned_in(*below, at(p, "below"), 1, kMaxBelow));
  }
}

void ScenarioLoader::load_views(const Json& jn, const std::string& p, Node& n,
                                PendingNode& pending) const {
  const Json* views = optional(jn, "views");
  if (!views) return;
  pending.views = true;
  const std::string vp = at(p, "views");
  array(*views, vp);
  if (views->size() != pending.sources.size())
    fail(vp, "\"views\" has " + std::to_string(views->size()) + " entr" +
                 (views->size() == 1 ? "y" : "ies") + ", the node has " +
                 std::to_string(pending.sources.size()) +
                 " source(s): one list of steps per source, [] for none");
  for (std::size_t s = 0; s < views->size(); ++s) {
    const std::string sp = at(vp, s);
    const Json& steps = array((*views)[s], sp);
    std::vector<ViewStep> list;
    for (std::size_t k = 0; k < steps.size(); ++k) list.push_back(view_step(steps[k], at(sp, k)));
    n.source_views.push_back(std::move(list));
  }
}

ViewStep ScenarioLoader::view_step(const Json& j, const std::string& path) const {
  ViewStep step;
  if (j.is_string()) {
    const std::string text = j.get<std::string>();
    if (text != "transpose")
      fail(path, "unknown view step " + in_quotes(text) +
                     " (expected \"transpose\", {\"reshape\": [...]} or {\"permute\": [...]})");
    step.kind = ViewStep::Kind::transpose;
    return step;
  }
  if (!j.is_object())
    fail(path, "expected \"transpose\", {\"reshape\": [...]} or {\"permute\": [...]}, got " +
                   describe(j));
  object(j, path, {"reshape", "permute"});
  if (j.size() != 1)
    fail(path, "a step is one view: expected exactly one of \"reshape\" and \"permute\", got " +
                   std::to_string(j.size()) + " keys");
  if (const Json* reshape = optional(j, "reshape")) {
    step.kind = ViewStep::Kind::reshape;
    step.dims = dims(*reshape, at(path, "reshape"));
    return step;
  }
  const std::string pp = at(path, "permute");
  const Json& axes = array(*optional(j, "permute"), pp);
  if (axes.size() != kMaxDims)
    fail(pp, "expected 4 axes (a permutation of 0, 1, 2, 3), got " + std::to_string(axes.size()));
  step.kind = ViewStep::Kind::permute;
  std::array<bool, kMaxDims> seen{};
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const int axis = small_int(axes[a], at(pp, a), 0, kMaxDims - 1);
    if (seen[static_cast<std::size_t>(axis)])
      fail(at(pp, a), "axis " + std::to_string(axis) +
                          " is listed twice: expected a permutation of 0, 1, 2, 3");
    seen[static_cast<std::size_t>(axis)] = true;
    step.dims.push_back(axis);
  }
  return step;
}

double ScenarioLoader::number(const Json& j, const std::string& path) const {
  if (!j.is_number()) fail(path, "expected a number, got " + describe(j));
  return j.get<double>();
}

void ScenarioLoader::load_params(const Json& jn, const std::string& p, Node& n,
                                 PendingNode& pending) const {
  const Json* params = optional(jn, "params");
  if (!params) return;
  pending.params = true;
  const std::string pp = at(p, "params");
  object(*params, pp, {"eps", "scale", "n_dims", "mode", "freq_base"});
  for (const auto& [key, value] : params->items()) n.params[key] = number(value, at(pp, key));
}

void ScenarioLoader::check_shapes() const {
  const auto& tensors = scenario_.tensors;
  Index with = kNone, without = kNone;
  for (Index t = 0; t < static_cast<Index>(tensors.size()); ++t) {
    Index& first = tensors[t].shape.empty() ? without : with;
    if (first == kNone) first = t;
  }
  if (with != kNone && without != kNone)
    fail(tensor_path_[without], tensor_what(tensors[without]) + " has no \"shape\" but " +
                                    tensor_what(tensors[with]) + " (at " + tensor_path_[with] +
                                    ") has one: shapes are given for every tensor or for none");
  for (std::size_t i = 0; i < scenario_.nodes.size(); ++i) {
    const PendingNode& pending = pending_nodes_[i];
    if (with == kNone) {
      const char* key = pending.views ? "views" : pending.params ? "params" : nullptr;
      if (key)
        fail(at(node_path_[i], key),
             in_quotes(key) + " needs shapes, and this scenario gives none: views and params "
                              "are for scenarios computed with their own ops, where every "
                              "tensor has a \"shape\"");
      continue;
    }
    // Follow each source's shape through its steps: only a reshape changes the count.
    const Node& n = scenario_.nodes[i];
    for (std::size_t s = 0; s < n.source_views.size(); ++s) {
      uint64_t count = elements(tensors[n.sources[s]].shape);
      for (std::size_t k = 0; k < n.source_views[s].size(); ++k) {
        const ViewStep& step = n.source_views[s][k];
        if (step.kind != ViewStep::Kind::reshape) continue;
        const uint64_t to = elements(step.dims);
        if (to != count)
          fail(at(at(at(node_path_[i], "views"), s), k),
               "reshape to " + dims_text(step.dims) + " has " + std::to_string(to) +
                   " elements, the source viewed has " + std::to_string(count));
        count = to;
      }
    }
  }
}

}  // namespace schedcheck::json_format
