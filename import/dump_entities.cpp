#include "import/dump_entities.hpp"

#include <algorithm>
#include <cctype>

#include "import/tensor_names.hpp"

namespace schedcheck::import {
namespace {

constexpr uint64_t kStandInSize = 4096;  // the output of a stand-in for a split without node lines
constexpr uint64_t kSmallSize = 256;     // a size printed as "0K"
constexpr uint64_t kPlacementAlign = 256;  // persistent tensors' offsets in their buffers

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool host_kind(const std::string& kind) {
  return kind == "CPU" || kind == "BLAS";
}

}  // namespace

void DumpEntities::build(const std::vector<std::string>& backends,
                         const std::vector<BackendGuess>& kinds, std::vector<std::string>& notes) {
  backends_ = backends;
  for (std::size_t i = 0; i < backends.size(); ++i) kinds_[backends[i]] = kinds[i].kind;
  notes_ = &notes;
  fragment_ = graph_.splits.front().index != 0;
  if (fragment_)
    notes.push_back(
        "the paste starts " +
        (graph_.splits.front().header_missing
             ? std::string("inside a split, before any split header")
             : "at split #" + std::to_string(graph_.splits.front().index)) +
        ": tensors made before it are stood in for by nodes without sources (op \"elided\")");
  int expected = graph_.splits.front().index;
  for (const DumpSplit& ds : graph_.splits) {
    if (ds.index != expected && !graph_.splits.front().header_missing)
      notes.push_back("splits #" + std::to_string(expected) + ".." + std::to_string(ds.index - 1) +
                      " are not in the paste; the splits around them are joined as printed");
    expected = ds.index + 1;
    splits_.push_back(Split{ds.backend, std::nullopt, nlohmann::ordered_json::array()});
    const Context c{&ds, splits_.size() - 1};
    if (ds.nodes.empty()) {
      add_stand_in(c);
    } else {
      for (const DumpNode& node : ds.nodes) add_node_line(node, c);
    }
    split_inputs(c);
  }
  if (synthesized_)
    notes.push_back(
        "a split without node lines (GGML_SCHED_DEBUG=1, or elided) has one stand-in node that "
        "reads "
        "its inputs; tensors later splits copy from it are made by nodes of the last earlier split "
        "on "
        "another backend");
  choose_output();
  splits_.insert(splits_.begin(), elided_.begin(), elided_.end());
}

int DumpEntities::node_count() const {
  int n = 0;
  for (const Split& s : splits_) n += static_cast<int>(s.nodes.size());
  return n;
}

uint64_t DumpEntities::size_of(const std::string& name) const {
  const auto it = entities_.find(name);
  return it == entities_.end() ? kStandInSize : it->second.size;
}

std::optional<std::string> DumpEntities::lookup(const std::string& printed, bool cut) const {
  if (const auto it = aliases_.find(printed); it != aliases_.end()) return it->second.second;
  if (!cut) return std::nullopt;
  // A name cut at 20 characters: the newest of the names it is the start of (a bounded look,
  // so that a hostile dump of many names with one start stays linear).
  constexpr int kMaxCandidates = 64;
  const std::pair<std::size_t, std::string>* best = nullptr;
  int seen = 0;
  for (auto it = aliases_.upper_bound(printed);
       it != aliases_.end() && it->first.starts_with(printed) && seen < kMaxCandidates;
       ++it, ++seen)
    if (best == nullptr || it->second.first > best->first) best = &it->second;
  if (best == nullptr) return std::nullopt;
  return best->second;
}

void DumpEntities::remember(const std::string& printed, const std::string& scenario_name) {
  aliases_[printed] = {alias_clock_++, scenario_name};
}

std::string DumpEntities::unique_name(const std::string& wanted) const {
  const std::string base = wanted.empty() ? std::string("(unnamed)") : wanted;
  if (!entities_.count(base)) return base;
  int& next = next_suffix_.try_emplace(base, 2).first->second;
  while (true) {
    const std::string candidate = base + " (" + std::to_string(next++) + ")";
    if (!entities_.count(candidate)) return candidate;
  }
}

std::string DumpEntities::backend_of(const std::string& printed, const Context& c) const {
  if (printed.empty() || printed == "NULL") return c.split->backend;
  return resolve_printed_backend(printed, backends_).value_or(c.split->backend);
}

std::string DumpEntities::add_persistent(const std::string& name, uint64_t size,
                                         const std::string& backend, bool kv) {
  const bool host = host_kind(kinds_.at(backend));
  const std::string buffer = (host ? std::string("CPU") : backend) + (kv ? "_kv" : "_weights");
  if (!buffer_fill_.count(buffer)) buffer_order_.push_back(buffer);
  uint64_t& fill = buffer_fill_[buffer];
  const uint64_t offset = (fill + kPlacementAlign - 1) / kPlacementAlign * kPlacementAlign;
  fill = offset + size;
  const std::string unique = unique_name(name);
  entities_[unique] = Entity{Role::persistent, size, buffer, offset};
  persistent_order_.push_back(unique);
  remember(name, unique);
  return unique;
}

std::string DumpEntities::add_input(const std::string& name, uint64_t size) {
  const std::string unique = unique_name(name);
  entities_[unique] = Entity{Role::input, size, {}, 0};
  input_order_.push_back(unique);
  remember(name, unique);
  return unique;
}

std::string DumpEntities::add_elided_producer(const std::string& name, uint64_t size,
                                              const std::string& backend) {
  auto it = std::find_if(elided_.begin(), elided_.end(),
                         [&](const Split& s) { return s.backend == backend; });
  if (it == elided_.end())
    it = elided_.insert(elided_.end(),
                        Split{backend, std::nullopt, nlohmann::ordered_json::array()});
  const std::string unique = unique_name(name);
  it->nodes.push_back({{"name", unique}, {"op", "elided"}, {"size", size}});
  entities_[unique] = Entity{Role::node, size, {}, 0};
  remember(name, unique);
  return unique;
}

// A tensor no earlier line makes: a user input, a weight or KV tensor where it lives, or (copied
// into the split, and made before a fragment's first split) a stand-in producer.
std::string DumpEntities::create(const std::string& full, uint64_t size,
                                 const std::string& lives_on, bool copied, const Context& c) {
  if (size == 0) size = kSmallSize;
  if (looks_like_user_input(full)) return add_input(full, size);
  if (!copied) return add_persistent(full, size, lives_on, looks_like_kv_cache(full));
  if (looks_like_weight(full) || looks_like_kv_cache(full)) {
    notes_->push_back("\"" + full + "\" is copied into split #" + std::to_string(c.split->index) +
                      ": a tensor in host memory (weights with op offload)");
    return add_persistent(full, size, "CPU", looks_like_kv_cache(full));
  }
  if (fragment_) {
    const std::string& split_backend = c.split->backend;
    std::string from = "CPU";
    if (split_backend == "CPU")
      for (const std::string& b : backends_)
        if (!host_kind(kinds_.at(b))) {
          from = b;
          break;
        }
    return add_elided_producer(full, size, from);
  }
  notes_->push_back("\"" + full + "\" is copied into split #" + std::to_string(c.split->index) +
                    " but made by no node of the dump: a user input");
  return add_input(full, size);
}

std::string DumpEntities::resolve(const TensorRef& ref, const Context& c) {
  const std::string printed = ref.name.empty() ? std::string("(unnamed)") : ref.name;
  const bool cut = may_be_cut(printed);
  std::string base = printed;
  bool copied = false;
  if (const auto copy = parse_copy_name(printed);
      copy && (std::find(backends_.begin(), backends_.end(), copy->backend) != backends_.end() ||
               resolve_printed_backend(copy->backend, backends_))) {
    base = copy->base;
    copied = true;
  }
  if (auto hit = lookup(base, cut)) return *hit;
  const std::string vb = view_base(base);
  if (vb != base)
    if (auto hit = lookup(vb, false)) return *hit;
  std::string full = vb;
  uint64_t size = ref.size.bytes;
  for (const DumpInput& in : c.split->inputs) {
    if (in.name == base || in.name == vb ||
        (cut && in.name.size() > base.size() && in.name.starts_with(base))) {
      if (auto hit = lookup(in.name, false)) return *hit;
      full = view_base(in.name);
      size = in.size.bytes;
      copied = true;
      break;
    }
  }
  return create(full, size, backend_of(ref.backend, c), copied, c);
}

void DumpEntities::add_node_line(const DumpNode& node, const Context& c) {
  const std::string op = upper(node.op);
  const bool writes_op = op == "SET_ROWS" || op == "CPY";
  const std::size_t dest = op == "SET_ROWS" ? 2 : 1;  // ggml_set_rows: src[2] is the destination
  std::vector<std::string> sources;
  std::optional<std::string> writes;
  for (std::size_t j = 0; j < node.sources.size(); ++j) {
    const std::string name = resolve(node.sources[j], c);
    if (writes_op && j == dest && entities_.at(name).role == Role::persistent) {
      writes = name;
      continue;
    }
    if (std::find(sources.begin(), sources.end(), name) == sources.end()) sources.push_back(name);
  }
  const std::string printed = node.self.name.empty() ? std::string("(unnamed)") : node.self.name;
  const std::string name = unique_name(printed);
  nlohmann::ordered_json n;
  n["name"] = name;
  std::string scenario_op = node.op.empty() ? std::string("op") : lower(node.op);
  const uint64_t size = node.self.size.bytes == 0 ? kSmallSize : node.self.size.bytes;
  if (op == "MUL_MAT_ID") {
    if (sources.size() == 3 && size_of(sources[0]) % static_cast<uint64_t>(n_expert_) == 0) {
      n["op"] = "mul_mat_id";
      n["n_expert"] = n_expert_;
    } else {
      scenario_op = "mul_mat_id_all_experts";
      notes_->push_back("MUL_MAT_ID node \"" + name +
                        "\" reads all its experts (its sources do not fit " +
                        std::to_string(n_expert_) + " experts)");
    }
  }
  if (!n.contains("op")) n["op"] = scenario_op;
  n["sources"] = sources;
  if (writes) {
    n["writes"] = *writes;
    entities_[name] = Entity{Role::node, 0, {}, 0};
    remember(printed, *writes);
    if (view_base(printed) != printed) remember(view_base(printed), *writes);
  } else {
    n["size"] = size;
    entities_[name] = Entity{Role::node, size, {}, 0};
    remember(printed, name);
    if (view_base(printed) != printed) remember(view_base(printed), name);
  }
  splits_[c.out_split].nodes.push_back(std::move(n));
}

// A split input the stand-in of a node-less split reads.
std::string DumpEntities::resolve_input(const DumpInput& in, const Context& c) {
  if (auto hit = lookup(in.name, false)) return *hit;
  if (auto hit = lookup(view_base(in.name), false)) return *hit;
  const std::string full = view_base(in.name);
  const uint64_t size = in.size.bytes == 0 ? kSmallSize : in.size.bytes;
  // llama.cpp's "inp_embd" is the token-embedding lookup (GET_ROWS), not a user input.
  const bool made_by_graph = full.starts_with("inp_embd") && c.out_split > 0;
  if (!made_by_graph &&
      (looks_like_user_input(full) || looks_like_weight(full) || looks_like_kv_cache(full)))
    return create(full, size, "CPU", true, c);
  for (std::size_t j = c.out_split; j-- > 0;) {
    Split& earlier = splits_[j];
    if (earlier.backend == c.split->backend) continue;
    nlohmann::ordered_json n{{"name", unique_name(full)},
                             {"op", "compute"},
                             {"sources", nlohmann::ordered_json::array()}};
    for (const auto& e : earlier.nodes)
      if (e.contains("size")) {
        n["sources"].push_back(e["name"]);
        break;
      }
    n["size"] = size;
    const std::string name = n["name"];
    entities_[name] = Entity{Role::node, size, {}, 0};
    remember(full, name);
    earlier.nodes.push_back(std::move(n));
    return name;
  }
  return create(full, size, "CPU", true, c);
}

void DumpEntities::add_stand_in(const Context& c) {
  synthesized_ = true;
  std::vector<std::string> sources;
  for (const DumpInput& in : c.split->inputs) {
    const std::string name = resolve_input(in, c);
    if (std::find(sources.begin(), sources.end(), name) == sources.end()) sources.push_back(name);
  }
  const std::string name =
      unique_name("split #" + std::to_string(c.split->index) + " (" + c.split->backend + ")");
  entities_[name] = Entity{Role::node, kStandInSize, {}, 0};
  remember(name, name);
  splits_[c.out_split].nodes.push_back(
      {{"name", name}, {"op", "compute"}, {"sources", sources}, {"size", kStandInSize}});
}

void DumpEntities::split_inputs(const Context& c) {
  const DumpSplit& ds = *c.split;
  if (ds.header_missing) return;  // its inputs are in the part of the dump not pasted
  const std::string where = "split #" + std::to_string(ds.index);
  if (ds.inputs_elided || static_cast<int>(ds.inputs.size()) != ds.n_inputs) {
    notes_->push_back(where + ": the paste lists " + std::to_string(ds.inputs.size()) + " of " +
                      std::to_string(ds.n_inputs) + " inputs; the model forms them");
    return;
  }
  std::vector<std::string> names;
  for (const DumpInput& in : ds.inputs) {
    auto hit = lookup(in.name, false);
    if (!hit) hit = lookup(view_base(in.name), false);
    if (!hit) {
      notes_->push_back(where + ": input \"" + in.name +
                        "\" is read by no node line; the model forms the inputs");
      return;
    }
    if (std::find(names.begin(), names.end(), *hit) != names.end()) {
      notes_->push_back(
          where + ": two inputs are both \"" + in.name +
          "\" (two tensors of one name); the scenario has one, and the model forms the inputs");
      return;
    }
    names.push_back(*hit);
  }
  splits_[c.out_split].inputs = names;
}

void DumpEntities::choose_output() {
  for (const char* wanted : {"result_output", "result_norm", "result_embd_pooled", "result_embd"}) {
    const auto hit = lookup(wanted, false);
    if (hit && entities_.at(*hit).role == Role::node && entities_.at(*hit).size > 0) {
      output_ = *hit;
      break;
    }
  }
  if (output_.empty()) {
    for (auto s = splits_.rbegin(); s != splits_.rend() && output_.empty(); ++s)
      for (auto n = s->nodes.rbegin(); n != s->nodes.rend(); ++n)
        if (n->contains("size")) {
          output_ = (*n)["name"];
          break;
        }
    if (!output_.empty())
      notes_->push_back("no result_output node: the last node, \"" + output_ +
                        "\", is the graph's output");
  }
  for (Split& s : splits_)
    for (auto& n : s.nodes)
      if (n["name"] == output_) n["flags"] = {"OUTPUT"};
}

nlohmann::ordered_json DumpEntities::fixed_buffers() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& b : buffer_order_) {
    const bool kv = b.ends_with("_kv");
    const std::string backend = b.substr(0, b.size() - (kv ? 3 : 8));
    nlohmann::ordered_json j{{"name", b}};
    if (backend == "CPU") {
      j["kind"] = "pageable_host";
    } else {
      j["kind"] = "device";
      j["backend"] = backend;
    }
    j["usage"] = kv ? "kv" : "weights";
    j["size"] = std::max<uint64_t>(buffer_fill_.at(b), 1);
    out.push_back(j);
  }
  return out;
}

nlohmann::ordered_json DumpEntities::persistent_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& n : persistent_order_) {
    const Entity& e = entities_.at(n);
    out.push_back({{"name", n}, {"buffer", e.buffer}, {"offset", e.offset}, {"size", e.size}});
  }
  return out;
}

nlohmann::ordered_json DumpEntities::inputs_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& n : input_order_)
    out.push_back({{"name", n}, {"size", entities_.at(n).size}});
  return out;
}

nlohmann::ordered_json DumpEntities::splits_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Split& s : splits_) {
    nlohmann::ordered_json j{{"backend", s.backend}};
    if (s.inputs) j["inputs"] = *s.inputs;
    j["nodes"] = s.nodes;
    out.push_back(j);
  }
  return out;
}

}  // namespace schedcheck::import
