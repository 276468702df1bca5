// "tensors", "inputs", and the graph: "graph" or "splits", their nodes, flags and experts
// (shapes, values, views and params: load_shapes.cpp).
#include "scenario/json/scenario_loader.hpp"

#include "scenario/json/limits.hpp"

namespace schedcheck::json_format {

Index ScenarioLoader::add_tensor(Tensor t, const std::string& name_path,
                                 const std::string& object_path) {
  tensor_names_claim(t.name, name_path);
  const auto index = static_cast<Index>(scenario_.tensors.size());
  tensor_names_[t.name] = TensorName{index, kNone};
  tensor_path_.push_back(object_path);
  scenario_.tensors.push_back(std::move(t));
  return index;
}

void ScenarioLoader::tensor_names_claim(const std::string& n, const std::string& path) {
  claim(tensor_name_path_, n, path, "tensor");
}

void ScenarioLoader::check_inside(const Tensor& t, const std::string& path) const {
  const Buffer& buf = scenario_.buffers[t.buffer];
  if (buf.usage == BufferUsage::compute) return;  // sized by the allocator around it
  if (*t.offset + t.size > buf.size)
    fail(path, "tensor " + in_quotes(t.name) + " [" + std::to_string(*t.offset) + ", " +
                   std::to_string(*t.offset + t.size) + ") lies outside buffer " +
                   in_quotes(buf.name) + " of size " + std::to_string(buf.size));
}

void ScenarioLoader::load_tensors(const Json& list) {
  array(list, "/tensors");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at("/tensors", i);
    const Json& j = object(
        list[i], p, {"name", "buffer", "offset", "size", "shape", "type", "values", "split"});
    Tensor t;
    t.name = name(required(j, p, "name"), at(p, "name"));
    t.role = TensorRole::persistent;
    t.buffer = buffer_ref(required(j, p, "buffer"), at(p, "buffer"));
    const BufferUsage usage = scenario_.buffers[t.buffer].usage;
    if (usage == BufferUsage::compute || usage == BufferUsage::input)
      fail(at(p, "buffer"),
           "buffer " + in_quotes(scenario_.buffers[t.buffer].name) + " is " +
               (usage == BufferUsage::compute ? "a compute buffer" : "an input buffer") +
               "; persistent tensors live in a weights, kv or output buffer");
    t.offset = unsigned_in(required(j, p, "offset"), at(p, "offset"), 0, kMaxSize);
    load_shape(j, p, t, true);
    check_inside(t, p);
    t.split = load_split(j, p, t);
    add_tensor(std::move(t), at(p, "name"), p);
  }
}

void ScenarioLoader::load_inputs(const Json& list) {
  array(list, "/inputs");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at("/inputs", i);
    const Json& j =
        object(list[i], p, {"name", "buffer", "offset", "size", "shape", "type", "values"});
    Tensor t;
    t.name = name(required(j, p, "name"), at(p, "name"));
    t.role = TensorRole::user_input;
    t.flags = kFlagInput;
    load_shape(j, p, t, true);
    // Placed by the program (ggml_backend_alloc_ctx_tensors), not by the scheduler's allocator.
    if (const Json* b = optional(j, "buffer")) {
      t.buffer = buffer_ref(*b, at(p, "buffer"));
      const Buffer& buf = scenario_.buffers[t.buffer];
      if (buf.usage != BufferUsage::input)
        fail(at(p, "buffer"), "buffer " + in_quotes(buf.name) + " has usage " +
                                  in_quotes(to_string(buf.usage)) +
                                  "; a user input is placed in a buffer with usage \"input\"");
      t.offset = unsigned_in(required(j, p, "offset"), at(p, "offset"), 0, kMaxSize);
      check_inside(t, p);
    } else if (optional(j, "offset")) {
      fail(at(p, "offset"), "an \"offset\" without a \"buffer\"");
    }
    add_tensor(std::move(t), at(p, "name"), p);
  }
}

void ScenarioLoader::load_nodes(const Json& root) {
  const Json* graph = optional(root, "graph");
  const Json* splits = optional(root, "splits");
  if (graph && splits) fail("/splits", "give either \"graph\" or \"splits\", not both");
  if (!graph && !splits) fail("", "missing required field \"graph\" (or \"splits\")");
  if (graph) {
    object(*graph, "/graph", {"nodes"});
    const Json& nodes = array(required(*graph, "/graph", "nodes"), "/graph/nodes");
    if (nodes.empty()) fail("/graph/nodes", "expected at least one node");
    for (std::size_t i = 0; i < nodes.size(); ++i)
      load_node(nodes[i], at("/graph/nodes", i), kNone);
  } else {
    load_splits(*splits);
  }
  resolve_nodes();
  check_shapes();
}

void ScenarioLoader::load_splits(const Json& list) {
  array(list, "/splits");
  if (list.empty()) fail("/splits", "expected at least one split");
  scenario_.given_splits.emplace();
  for (std::size_t k = 0; k < list.size(); ++k) {
    const std::string p = at("/splits", k);
    const Json& j = object(list[k], p, {"backend", "inputs", "nodes"});
    GivenSplit g;
    g.backend = backend_ref(required(j, p, "backend"), at(p, "backend"));
    PendingSplit pending{p, std::nullopt};
    if (const Json* in = optional(j, "inputs")) {
      array(*in, at(p, "inputs"));
      pending.inputs.emplace();
      for (std::size_t i = 0; i < in->size(); ++i) {
        const std::string ip = at(at(p, "inputs"), i);
        pending.inputs->emplace_back(string((*in)[i], ip), ip);
      }
    }
    const Json& nodes = array(required(j, p, "nodes"), at(p, "nodes"));
    if (nodes.empty()) fail(at(p, "nodes"), "a split needs at least one node");
    g.first_node = static_cast<Index>(scenario_.nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i)
      load_node(nodes[i], at(at(p, "nodes"), i), g.backend);
    g.end_node = static_cast<Index>(scenario_.nodes.size());
    scenario_.given_splits->push_back(std::move(g));
    pending_splits_.push_back(std::move(pending));
  }
}

void ScenarioLoader::load_node(const Json& jn, const std::string& p, Index split_backend) {
  const bool in_split = split_backend != kNone;
  if (!jn.is_object()) fail(p, "expected an object, got " + describe(jn));
  if (in_split && optional(jn, "backend"))
    fail(at(p, "backend"),
         "unknown key \"backend\" (a node of a split runs on the split's backend)");
  check_keys(jn, p,
             {"name", "op", "backend", "sources", "size", "flags", "writes", "inplace", "buffer",
              "offset", "n_expert", "experts_used", "shape", "views", "params"});
  const auto index = static_cast<Index>(scenario_.nodes.size());
  Node n;
  n.name = name(required(jn, p, "name"), at(p, "name"));
  tensor_names_claim(n.name, at(p, "name"));
  node_index_.emplace(n.name, index);
  n.op = string(required(jn, p, "op"), at(p, "op"));
  if (n.op.empty()) fail(at(p, "op"), "an op must not be empty");
  n.backend = in_split ? split_backend : backend_ref(required(jn, p, "backend"), at(p, "backend"));

  PendingNode pending{p, {}};
  if (const Json* src = optional(jn, "sources")) {
    array(*src, at(p, "sources"));
    for (std::size_t i = 0; i < src->size(); ++i) {
      const std::string sp = at(at(p, "sources"), i);
      pending.sources.emplace_back(string((*src)[i], sp), sp);
    }
  }
  if (const Json* inplace = optional(jn, "inplace"))
    n.inplace = boolean(*inplace, at(p, "inplace"));

  if (const Json* w = optional(jn, "writes"))
    node_writes(jn, *w, p, n, index);
  else
    node_output(jn, p, n, index);

  load_experts(jn, p, n, pending.sources.size());
  load_views(jn, p, n, pending);
  load_params(jn, p, n, pending);
  node_path_.push_back(p);
  pending_nodes_.push_back(std::move(pending));
  scenario_.nodes.push_back(std::move(n));
}

// A node with "writes": it has no tensor of its own and writes a persistent one in place.
void ScenarioLoader::node_writes(const Json& jn, const Json& w, const std::string& p, Node& n,
                                 Index index) {
  const std::string target = string(w, at(p, "writes"));
  auto it = tensor_names_.find(target);
  if (it == tensor_names_.end() || it->second.tensor == kNone)
    fail(at(p, "writes"), "unknown tensor " + in_quotes(target) +
                              " (\"writes\" names a persistent tensor from \"tensors\")");
  const Tensor& t = scenario_.tensors[it->second.tensor];
  if (t.role != TensorRole::persistent)
    fail(at(p, "writes"),
         in_quotes(target) +
             " is not a persistent tensor; \"writes\" names a tensor from \"tensors\"");
  for (const char* key : {"size", "shape", "flags", "buffer", "offset"})
    if (optional(jn, key))
      fail(at(p, key), "a node with \"writes\" has no " + in_quotes(key) + ": it writes " +
                           in_quotes(target) + " in place");
  n.output = it->second.tensor;
  n.writes_persistent = true;
  tensor_names_[n.name] = TensorName{kNone, index};
}

// A node's own output tensor, optionally placed at "buffer" + "offset".
void ScenarioLoader::node_output(const Json& jn, const std::string& p, Node& n, Index index) {
  Tensor t;
  t.name = n.name;
  t.role = TensorRole::node_output;
  load_shape(jn, p, t, false);
  t.producer = index;
  if (const Json* flags = optional(jn, "flags")) t.flags = node_flags(*flags, at(p, "flags"));
  const Json* buffer = optional(jn, "buffer");
  const Json* offset = optional(jn, "offset");
  if (buffer && !offset)
    fail(p,
         "missing required field \"offset\" (\"buffer\" and \"offset\" place the output "
         "together)");
  if (offset && !buffer)
    fail(p,
         "missing required field \"buffer\" (\"buffer\" and \"offset\" place the output "
         "together)");
  if (buffer) {
    t.buffer = buffer_ref(*buffer, at(p, "buffer"));
    if (scenario_.buffers[t.buffer].usage == BufferUsage::input)
      fail(at(p, "buffer"), "buffer " + in_quotes(scenario_.buffers[t.buffer].name) +
                                " holds inputs; a node's output is placed in another buffer");
    t.offset = unsigned_in(*offset, at(p, "offset"), 0, kMaxSize);
    check_inside(t, p);
  }
  // The tensor claims the name already claimed by the node: register it directly.
  n.output = static_cast<Index>(scenario_.tensors.size());
  tensor_names_[t.name] = TensorName{n.output, kNone};
  tensor_path_.push_back(p);
  scenario_.tensors.push_back(std::move(t));
}

uint8_t ScenarioLoader::node_flags(const Json& j, const std::string& path) const {
  array(j, path);
  uint8_t flags = 0;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string f = string(j[i], at(path, i));
    if (f != "OUTPUT")
      fail(at(path, i),
           "unknown flag " + in_quotes(f) +
               " (nodes may only be flagged \"OUTPUT\"; inputs are declared under \"inputs\")");
    if (flags & kFlagOutput) fail(at(path, i), "flag \"OUTPUT\" is given twice");
    flags |= kFlagOutput;
  }
  return flags;
}

void ScenarioLoader::load_experts(const Json& jn, const std::string& p, Node& n,
                                  std::size_t n_sources) const {
  const Json* n_expert = optional(jn, "n_expert");
  const Json* used = optional(jn, "experts_used");
  if (!n.is_mul_mat_id()) {
    if (n_expert) fail(at(p, "n_expert"), "\"n_expert\" is only for op \"mul_mat_id\"");
    if (used) fail(at(p, "experts_used"), "\"experts_used\" is only for op \"mul_mat_id\"");
    return;
  }
  if (n_sources != 3)
    fail(optional(jn, "sources") ? at(p, "sources") : p,
         "op \"mul_mat_id\" needs exactly 3 sources (expert weights, activations, ids), got " +
             std::to_string(n_sources));
  if (!n_expert) fail(p, "missing required field \"n_expert\" (op \"mul_mat_id\" needs it)");
  n.n_expert = small_int(*n_expert, at(p, "n_expert"), 1, kMaxExperts);
  if (!used) return;
  const std::string up = at(p, "experts_used");
  array(*used, up);
  if (used->empty()) fail(up, "expected at least one list of experts (or leave it out)");
  for (std::size_t u = 0; u < used->size(); ++u) {
    const std::string ep = at(up, u);
    const Json& ids = array((*used)[u], ep);
    if (ids.empty()) fail(ep, "expected at least one expert id");
    std::vector<int> experts;
    for (std::size_t e = 0; e < ids.size(); ++e) {
      const Json& id = ids[e];
      if (id.is_number_unsigned() && id.get<uint64_t>() >= static_cast<uint64_t>(n.n_expert))
        fail(at(ep, e), "expert " + std::to_string(id.get<uint64_t>()) +
                            " is out of range: the node has " + std::to_string(n.n_expert) +
                            " experts (0 .. " + std::to_string(n.n_expert - 1) + ")");
      experts.push_back(small_int(id, at(ep, e), 0, static_cast<uint64_t>(n.n_expert) - 1));
    }
    n.experts_used.push_back(std::move(experts));
  }
}

}  // namespace schedcheck::json_format
