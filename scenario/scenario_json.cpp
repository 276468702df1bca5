#include "scenario/scenario_json.hpp"


#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "scenario/graph_dag.hpp"

namespace schedcheck {
namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxSize = uint64_t{1} << 40;  // sizes and offsets: 1 TiB is far beyond any GPU
constexpr std::size_t kMaxDepth = 64;             // the format nests 6 deep; this bounds recursion
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
constexpr uint64_t kMaxDevice = 63;
constexpr uint64_t kMaxAlignment = 4096;
constexpr uint64_t kMaxCopies = 16;
constexpr uint64_t kMaxUbatches = 4096;
constexpr uint64_t kMaxEvaluations = 100000;
constexpr uint64_t kMaxExperts = 4096;

// ---------------------------------------------------------------------------------------------
// JSON pointers and message helpers

// RFC 6901: '~' and '/' in a key are escaped as "~0" and "~1".
std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string at(const std::string& path, std::string_view key) {
  return path + "/" + pointer_token(key);
}
std::string at(const std::string& path, std::size_t index) {
  return path + "/" + std::to_string(index);
}

std::string in_quotes(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string describe(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a floating-point number";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "an unsupported value";
  }
}

std::string limit_text(uint64_t v) {
  return v == kMaxSize ? std::to_string(v) + " (2^40)" : std::to_string(v);
}

// "1e+30" rather than the shortest round-trip form "9.999999999999999e+22" of 1e23.
std::string short_float(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", d);
  return text;
}

template <typename Range>
std::string join(const Range& names, std::string_view sep = ", ") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : std::string(sep)) + std::string(n);
  return out;
}

// Line and column (both 1-based) of the byte at `position` (nlohmann counts bytes read, so the
// offending byte is position - 1).
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t position) {
  const std::size_t pos = std::min(position > 0 ? position - 1 : 0, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, pos - line_start + 1};
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
// error while parsing value - ..."; keep only the part after the location.
std::string parse_error_detail(const std::string& what) {
  std::string_view rest = what;
  if (auto close = rest.find("] "); rest.starts_with("[json.exception.") && close != rest.npos)
    rest.remove_prefix(close + 2);
  if (rest.starts_with("parse error"))
    if (auto colon = rest.find(": "); colon != rest.npos) rest.remove_prefix(colon + 2);
  if (rest.starts_with("syntax error ")) rest.remove_prefix(13);
  // The "last read" excerpt may hold invalid UTF-8 or control bytes: escape them so that the
  // message itself stays printable (and embeddable in JSON reports).
  std::string out;
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing: a SAX handler that builds the document and rejects what nlohmann's own DOM parser
// would accept silently (duplicate keys: the last one would win) or recurse on (deep nesting).

struct ParseProblem {
  std::string path;
  std::string message;
};

class DomBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit DomBuilder(const std::string& text) : text_(text) {}

  bool null() { return value(Json(nullptr)); }
  bool boolean(bool v) { return value(Json(v)); }
  bool number_integer(number_integer_t v) { return value(Json(v)); }
  bool number_unsigned(number_unsigned_t v) { return value(Json(v)); }
  bool number_float(number_float_t v, const string_t&) { return value(Json(v)); }
  bool string(string_t& v) { return value(Json(std::move(v))); }
  bool binary(binary_t&) { return fail(child_path(), "binary values are not JSON"); }
  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) return fail(at(f.path, k), "duplicate key " + in_quotes(k));
    f.key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& ex) {
    auto [line, column] = line_column(text_, position);
    return fail("", "syntax error at line " + std::to_string(line) + ", column " +
                        std::to_string(column) + ": " + parse_error_detail(ex.what()));
  }

  Json& root() { return root_; }
  const std::optional<ParseProblem>& problem() const { return problem_; }

 private:
  struct Frame {
    Json* node;
    std::string path;
    std::string key;                       // objects: the key of the next value
    std::unordered_set<std::string> keys;  // objects: keys seen so far
  };

  bool fail(std::string path, std::string message) {
    if (!problem_) problem_ = ParseProblem{std::move(path), std::move(message)};
    return false;
  }

  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    return f.node->is_array() ? at(f.path, f.node->size()) : at(f.path, f.key);
  }

  // Adds a value to the innermost container and returns where it now lives.
  Json* put(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.node->is_array()) {
      f.node->push_back(std::move(value));
      return &f.node->back();
    }
    // ordered_map is a vector underneath; key() already rejected duplicates, so append directly
    // instead of paying operator[]'s linear search.
    auto& items = f.node->get_ref<Json::object_t&>();
    items.emplace_back(std::move(f.key), std::move(value));
    return &items.back().second;
  }

  bool value(Json v) {
    put(std::move(v));
    return true;
  }

  bool open(Json container) {
    std::string path = child_path();
    if (frames_.size() >= kMaxDepth)
      return fail(path, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    Json* node = put(std::move(container));
    frames_.push_back(Frame{node, std::move(path), {}, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  const std::string& text_;
  Json root_;
  std::vector<Frame> frames_;
  std::optional<ParseProblem> problem_;
};

// ---------------------------------------------------------------------------------------------
// Validation and mapping into the Scenario.

struct TensorName {
  Index tensor = kNone;       // the tensor of that name, or
  Index writes_node = kNone;  // a node with "writes" (a name without a tensor of its own)
};

// A node's fields that can only be resolved once every name is known.
struct PendingNode {
  std::string path;
  std::vector<std::pair<std::string, std::string>> sources;  // name, pointer
};

// An explicitly placed tensor's byte range.
struct Placed {
  uint64_t begin = 0;
  uint64_t end = 0;
  Index tensor = kNone;
};

struct PendingSplit {
  std::string path;
  std::optional<std::vector<std::pair<std::string, std::string>>> inputs;
};

class Loader {
 public:
  explicit Loader(const std::string& file) : file_(file) { s_.file = file; }

  Scenario load(const Json& root) {
    if (!root.is_object()) fail("", "expected an object at the top level, got " + describe(root));
    load_schema(root);
    check_keys(root, "",
               {"schema", "name", "description", "backends", "buffers", "tensors", "inputs",
                "graph", "splits", "scheduler", "driver", "policies", "expect"});
    s_.name = name(required(root, "", "name"), "/name");
    if (const Json* d = optional(root, "description")) s_.description = string(*d, "/description");
    load_backends(required(root, "", "backends"));
    load_buffers(required(root, "", "buffers"));
    resolve_compute_buffers();
    if (const Json* t = optional(root, "tensors")) load_tensors(*t);
    if (const Json* i = optional(root, "inputs")) load_inputs(*i);
    load_nodes(root);
    check_placement();
    if (const Json* sc = optional(root, "scheduler")) load_scheduler(*sc);
    if (const Json* d = optional(root, "driver")) load_driver(*d);
    if (const Json* p = optional(root, "policies")) load_policies(*p);
    if (const Json* e = optional(root, "expect")) load_expect(*e);
    return std::move(s_);
  }

  // A policy file: {"schema": "schedcheck-policies/1", "policies": [...]}, the policies in the
  // same form as a scenario's "policies".
  std::vector<Policy> load_policies_only(const Json& root) {
    if (!root.is_object()) fail("", "expected an object at the top level, got " + describe(root));
    const Json& schema = required(root, "", "schema");
    if (!schema.is_string() || schema.get<std::string>() != kPolicySchema)
      fail("/schema", std::string("expected \"") + kPolicySchema + "\", got " + schema.dump());
    check_keys(root, "", {"schema", "policies"});
    in_scenario_ = false;
    load_policies(required(root, "", "policies"));
    return std::move(s_.custom_policies);
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw ScenarioError(file_, path, message);
  }

  // --- typed access ---------------------------------------------------------------------------

  void check_keys(const Json& obj, const std::string& path,
                  std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : obj.items()) {
      (void)value;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        fail(at(path, key), "unknown key " + in_quotes(key) + " (allowed: " + join(allowed) + ")");
    }
  }

  // Checks that j is an object with only the allowed keys.
  const Json& object(const Json& j, const std::string& path,
                     std::initializer_list<std::string_view> allowed) const {
    if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
    check_keys(j, path, allowed);
    return j;
  }

  static const Json* optional(const Json& obj, const std::string& key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  const Json& required(const Json& obj, const std::string& path, const std::string& key) const {
    const Json* v = optional(obj, key);
    if (!v) fail(path, "missing required field " + in_quotes(key));
    return *v;
  }

  std::string string(const Json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, "expected a string, got " + describe(j));
    return j.get<std::string>();
  }

  std::string name(const Json& j, const std::string& path) const {
    std::string n = string(j, path);
    if (n.empty()) fail(path, "a name must not be empty");
    return n;
  }

  bool boolean(const Json& j, const std::string& path) const {
    if (!j.is_boolean()) fail(path, "expected a boolean, got " + describe(j));
    return j.get<bool>();
  }

  const Json& array(const Json& j, const std::string& path) const {
    if (!j.is_array()) fail(path, "expected an array, got " + describe(j));
    return j;
  }

  // An unsigned integer in [lo, hi]; floating-point numbers are rejected even when integral.
  uint64_t unsigned_in(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const {
    auto range = [&](const std::string& got) {
      return "expected an unsigned integer in " + std::to_string(lo) + " .. " + limit_text(hi) +
             ", got " + got;
    };
    if (j.is_number_unsigned()) {
      const uint64_t v = j.get<uint64_t>();
      if (v < lo || v > hi) fail(path, range(std::to_string(v)));
      return v;
    }
    if (j.is_number_integer()) fail(path, range(std::to_string(j.get<int64_t>())));
    if (j.is_number_float()) {
      const double d = j.get<double>();
      if (std::floor(d) == d && (d < static_cast<double>(lo) || d > static_cast<double>(hi)))
        fail(path, range(short_float(d)));
      fail(path, "expected an unsigned integer, got a floating-point number (" + j.dump() + ")");
    }
    fail(path, "expected an unsigned integer, got " + describe(j));
  }

  int small_int(const Json& j, const std::string& path, uint64_t lo, uint64_t hi) const {
    return static_cast<int>(unsigned_in(j, path, lo, hi));
  }

  // --- names ------------------------------------------------------------------------------------

  void claim(std::unordered_map<std::string, std::string>& table, const std::string& n,
             const std::string& path, std::string_view what) const {
    auto [it, inserted] = table.emplace(n, path);
    if (!inserted)
      fail(path, "duplicate " + std::string(what) + " name " + in_quotes(n) +
                     " (first defined at " + it->second + ")");
  }

  Index backend_ref(const Json& j, const std::string& path) const {
    const std::string n = string(j, path);
    auto it = backend_index_.find(n);
    if (it == backend_index_.end()) fail(path, "unknown backend " + in_quotes(n));
    return it->second;
  }

  Index buffer_ref(const Json& j, const std::string& path) const {
    const std::string n = string(j, path);
    auto it = buffer_index_.find(n);
    if (it == buffer_index_.end()) fail(path, "unknown buffer " + in_quotes(n));
    return it->second;
  }

  Index tensor_ref(const std::string& n, const std::string& path) const {
    auto it = tensor_names_.find(n);
    if (it == tensor_names_.end()) fail(path, "unknown tensor " + in_quotes(n));
    if (it->second.tensor == kNone) {
      const Node& w = s_.nodes[it->second.writes_node];
      fail(path, "node " + in_quotes(n) + " writes " + in_quotes(s_.tensors[w.output].name) +
                     " and has no output tensor of its own; name " +
                     in_quotes(s_.tensors[w.output].name) + " instead");
    }
    return it->second.tensor;
  }

  Index node_ref(const Json& j, const std::string& path) const {
    const std::string n = string(j, path);
    auto it = node_index_.find(n);
    if (it == node_index_.end()) fail(path, "unknown node " + in_quotes(n));
    return it->second;
  }

  bool policy_known(const std::string& n) const {
    return find_builtin_policy(n) != nullptr || custom_policy_.count(n) > 0;
  }

  std::string unknown_policy(const std::string& n) const {
    std::vector<std::string> known;
    for (const auto& p : builtin_policies()) known.push_back(p.name);
    for (const auto& p : s_.custom_policies) known.push_back(p.name);
    return "unknown policy " + in_quotes(n) + " (known: " + join(known) + ")";
  }

  // --- sections ---------------------------------------------------------------------------------

  void load_schema(const Json& root) const {
    const std::string schema = string(required(root, "", "schema"), "/schema");
    if (schema != kScenarioSchema)
      fail("/schema", "unsupported schema " + in_quotes(schema) + " (this version reads " +
                          in_quotes(kScenarioSchema) + ")");
  }

  void load_backends(const Json& list) {
    array(list, "/backends");
    if (list.empty()) fail("/backends", "expected at least one backend (the CPU backend, last)");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at("/backends", i);
      const Json& j =
          object(list[i], p, {"name", "kind", "device", "compute_buffer", "capabilities"});
      Backend b;
      b.name = name(required(j, p, "name"), at(p, "name"));
      claim(backend_path_, b.name, at(p, "name"), "backend");
      const std::string kind = string(required(j, p, "kind"), at(p, "kind"));
      auto k = parse_backend_kind(kind);
      if (!k)
        fail(at(p, "kind"), "unknown backend kind " + in_quotes(kind) +
                                " (known: CPU, BLAS, CUDA, HIP, MUSA, Vulkan, Metal)");
      b.kind = *k;
      if (is_host_backend(b.kind)) {
        if (optional(j, "device"))
          fail(at(p, "device"), "a " + kind + " backend has no \"device\" (only GPU backends do)");
      } else {
        if (!optional(j, "device"))
          fail(p, "missing required field \"device\" (GPU backends name their physical device)");
        b.device = small_int(j["device"], at(p, "device"), 0, kMaxDevice);
      }
      compute_buffer_names_.push_back(
          string(required(j, p, "compute_buffer"), at(p, "compute_buffer")));
      if (const Json* caps = optional(j, "capabilities"))
        b.overrides = load_overrides(*caps, at(p, "capabilities"));
      backend_index_.emplace(b.name, static_cast<Index>(i));
      s_.backends.push_back(std::move(b));
    }
    // ggml_backend_sched requires the CPU backend, and requires it last (lowest priority).
    Index cpu = kNone;
    for (Index i = 0; i < static_cast<Index>(s_.backends.size()); ++i) {
      if (s_.backends[i].kind != BackendKind::cpu) continue;
      if (cpu != kNone)
        fail(at(at("/backends", i), "kind"), "a second CPU backend (the first is " +
                                                 at("/backends", cpu) +
                                                 "); a scenario has exactly one");
      cpu = i;
    }
    if (cpu == kNone) fail("/backends", "no CPU backend: the last backend must have kind \"CPU\"");
    if (cpu != s_.cpu_backend())
      fail(at(at("/backends", cpu), "kind"),
           "the CPU backend must be the last backend (backends are listed in priority order and "
           "the scheduler needs the CPU last)");
  }

  std::vector<CapabilityOverride> load_overrides(const Json& j, const std::string& path) const {
    if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
    std::vector<CapabilityOverride> out;
    for (const auto& item : j.items()) {
      const std::string& field = item.key();
      const Json& value = item.value();
      const std::string p = at(path, field);
      const auto& fields = capability_fields();
      auto f = std::find_if(fields.begin(), fields.end(),
                            [&](const CapabilityField& c) { return c.name == field; });
      if (f == fields.end()) {
        std::vector<std::string_view> names;
        for (const auto& c : fields) names.push_back(c.name);
        fail(p, "unknown capability field " + in_quotes(field) + " (allowed: " + join(names) + ")");
      }
      CapabilityOverride o;
      o.field = field;
      switch (f->type) {
        case CapabilityField::Type::boolean:
          o.boolean = boolean(value, p);
          break;
        case CapabilityField::Type::host_transfer: {
          const std::string text = string(value, p);
          auto t = parse_host_transfer(text);
          if (!t)
            fail(p, "expected one of at_execution|captured_at_call|blocks_host, got " +
                        in_quotes(text));
          o.host_transfer = *t;
          break;
        }
        case CapabilityField::Type::copy_queue: {
          const std::string text = string(value, p);
          auto q = parse_copy_queue(text);
          if (!q) fail(p, "expected one of source_then_event|destination, got " + in_quotes(text));
          o.copy_queue = *q;
          break;
        }
      }
      out.push_back(std::move(o));
    }
    return out;
  }

  void load_buffers(const Json& list) {
    array(list, "/buffers");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at("/buffers", i);
      const Json& j = object(list[i], p, {"name", "kind", "backend", "usage", "size", "alignment"});
      Buffer b;
      b.name = name(required(j, p, "name"), at(p, "name"));
      claim(buffer_path_, b.name, at(p, "name"), "buffer");
      const std::string kind = string(required(j, p, "kind"), at(p, "kind"));
      auto k = parse_buffer_kind(kind);
      if (!k)
        fail(at(p, "kind"), "unknown buffer kind " + in_quotes(kind) +
                                " (known: pinned_host, pageable_host, device)");
      b.kind = *k;
      const std::string usage = string(required(j, p, "usage"), at(p, "usage"));
      auto u = parse_buffer_usage(usage);
      if (!u)
        fail(at(p, "usage"),
             "unknown buffer usage " + in_quotes(usage) + " (known: weights, compute, kv, output)");
      b.usage = *u;
      if (b.kind == BufferKind::device) {
        if (!optional(j, "backend"))
          fail(p, "missing required field \"backend\" (a device buffer belongs to a GPU backend)");
        b.owner = backend_ref(j["backend"], at(p, "backend"));
        if (is_host_backend(s_.backends[b.owner].kind))
          fail(at(p, "backend"), "backend " + in_quotes(s_.backends[b.owner].name) + " is a " +
                                     std::string(to_string(s_.backends[b.owner].kind)) +
                                     " backend; a device buffer belongs to a GPU backend");
      } else if (optional(j, "backend")) {
        fail(at(p, "backend"),
             "a " + kind + " buffer has no \"backend\" (only device buffers belong to a backend)");
      }
      if (b.usage == BufferUsage::compute) {
        if (optional(j, "size"))
          fail(at(p, "size"), "a compute buffer has no \"size\": the allocator sizes it");
      } else {
        b.size = unsigned_in(required(j, p, "size"), at(p, "size"), 1, kMaxSize);
      }
      if (const Json* a = optional(j, "alignment")) {
        b.alignment = unsigned_in(*a, at(p, "alignment"), 1, kMaxAlignment);
        if ((b.alignment & (b.alignment - 1)) != 0)
          fail(at(p, "alignment"),
               "alignment must be a power of two, got " + std::to_string(b.alignment));
      }
      buffer_index_.emplace(b.name, static_cast<Index>(i));
      s_.buffers.push_back(std::move(b));
    }
  }

  void resolve_compute_buffers() {
    for (Index i = 0; i < static_cast<Index>(s_.backends.size()); ++i) {
      Backend& b = s_.backends[i];
      const std::string p = at(at("/backends", i), "compute_buffer");
      b.compute_buffer = buffer_ref(Json(compute_buffer_names_[i]), p);
      const Buffer& buf = s_.buffers[b.compute_buffer];
      if (buf.usage != BufferUsage::compute)
        fail(p, "buffer " + in_quotes(buf.name) + " has usage " + in_quotes(to_string(buf.usage)) +
                    "; a backend's compute buffer needs usage \"compute\"");
      if (is_host_backend(b.kind) && !is_host_buffer(buf.kind))
        fail(p, "buffer " + in_quotes(buf.name) + " is a device buffer; the " +
                    std::string(to_string(b.kind)) +
                    " backend computes in host memory (pinned_host or pageable_host)");
      if (!is_host_backend(b.kind) && (buf.kind != BufferKind::device || buf.owner != i))
        fail(p, "buffer " + in_quotes(buf.name) + " is not a device buffer of backend " +
                    in_quotes(b.name) + "; a GPU backend computes in its own device memory");
    }
  }

  Index add_tensor(Tensor t, const std::string& name_path, const std::string& object_path) {
    tensor_names_claim(t.name, name_path);
    const auto index = static_cast<Index>(s_.tensors.size());
    tensor_names_[t.name] = TensorName{index, kNone};
    tensor_path_.push_back(object_path);
    s_.tensors.push_back(std::move(t));
    return index;
  }

  // Tensors, inputs and nodes share one namespace (a source may name any of them).
  void tensor_names_claim(const std::string& n, const std::string& path) {
    claim(tensor_name_path_, n, path, "tensor");
  }

  void check_inside(const Tensor& t, const std::string& path) const {
    const Buffer& buf = s_.buffers[t.buffer];
    if (buf.usage == BufferUsage::compute) return;  // sized by the allocator around it
    if (*t.offset + t.size > buf.size)
      fail(path, "tensor " + in_quotes(t.name) + " [" + std::to_string(*t.offset) + ", " +
                     std::to_string(*t.offset + t.size) + ") lies outside buffer " +
                     in_quotes(buf.name) + " of size " + std::to_string(buf.size));
  }

  void load_tensors(const Json& list) {
    array(list, "/tensors");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at("/tensors", i);
      const Json& j = object(list[i], p, {"name", "buffer", "offset", "size"});
      Tensor t;
      t.name = name(required(j, p, "name"), at(p, "name"));
      t.role = TensorRole::persistent;
      t.buffer = buffer_ref(required(j, p, "buffer"), at(p, "buffer"));
      if (s_.buffers[t.buffer].usage == BufferUsage::compute)
        fail(at(p, "buffer"),
             "buffer " + in_quotes(s_.buffers[t.buffer].name) +
                 " is a compute buffer; persistent tensors live in a weights, kv or output buffer");
      t.offset = unsigned_in(required(j, p, "offset"), at(p, "offset"), 0, kMaxSize);
      t.size = unsigned_in(required(j, p, "size"), at(p, "size"), 1, kMaxSize);
      check_inside(t, p);
      add_tensor(std::move(t), at(p, "name"), p);
    }
  }

  void load_inputs(const Json& list) {
    array(list, "/inputs");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at("/inputs", i);
      const Json& j = object(list[i], p, {"name", "size"});
      Tensor t;
      t.name = name(required(j, p, "name"), at(p, "name"));
      t.role = TensorRole::user_input;
      t.flags = kFlagInput;
      t.size = unsigned_in(required(j, p, "size"), at(p, "size"), 1, kMaxSize);
      add_tensor(std::move(t), at(p, "name"), p);
    }
  }

  void load_nodes(const Json& root) {
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
  }

  void load_splits(const Json& list) {
    array(list, "/splits");
    if (list.empty()) fail("/splits", "expected at least one split");
    s_.given_splits.emplace();
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
      g.first_node = static_cast<Index>(s_.nodes.size());
      for (std::size_t i = 0; i < nodes.size(); ++i)
        load_node(nodes[i], at(at(p, "nodes"), i), g.backend);
      g.end_node = static_cast<Index>(s_.nodes.size());
      s_.given_splits->push_back(std::move(g));
      pending_splits_.push_back(std::move(pending));
    }
  }

  // First pass over a node: everything but the names it refers to among nodes.
  // split_backend is kNone in "graph" form (the node names its backend).
  void load_node(const Json& jn, const std::string& p, Index split_backend) {
    const bool in_split = split_backend != kNone;
    if (!jn.is_object()) fail(p, "expected an object, got " + describe(jn));
    if (in_split && optional(jn, "backend"))
      fail(at(p, "backend"),
           "unknown key \"backend\" (a node of a split runs on the split's backend)");
    check_keys(jn, p,
               {"name", "op", "backend", "sources", "size", "flags", "writes", "inplace", "buffer",
                "offset", "n_expert", "experts_used"});
    const auto index = static_cast<Index>(s_.nodes.size());
    Node n;
    n.name = name(required(jn, p, "name"), at(p, "name"));
    tensor_names_claim(n.name, at(p, "name"));
    node_index_.emplace(n.name, index);
    n.op = string(required(jn, p, "op"), at(p, "op"));
    if (n.op.empty()) fail(at(p, "op"), "an op must not be empty");
    n.backend =
        in_split ? split_backend : backend_ref(required(jn, p, "backend"), at(p, "backend"));

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

    if (const Json* w = optional(jn, "writes")) {
      const std::string target = string(*w, at(p, "writes"));
      auto it = tensor_names_.find(target);
      if (it == tensor_names_.end() || it->second.tensor == kNone)
        fail(at(p, "writes"), "unknown tensor " + in_quotes(target) +
                                  " (\"writes\" names a persistent tensor from \"tensors\")");
      const Tensor& t = s_.tensors[it->second.tensor];
      if (t.role != TensorRole::persistent)
        fail(at(p, "writes"),
             in_quotes(target) +
                 " is not a persistent tensor; \"writes\" names a tensor from \"tensors\"");
      for (const char* key : {"size", "flags", "buffer", "offset"})
        if (optional(jn, key))
          fail(at(p, key), "a node with \"writes\" has no " + in_quotes(key) + ": it writes " +
                               in_quotes(target) + " in place");
      n.output = it->second.tensor;
      n.writes_persistent = true;
      tensor_names_[n.name] = TensorName{kNone, index};
    } else {
      Tensor t;
      t.name = n.name;
      t.role = TensorRole::node_output;
      t.size = unsigned_in(required(jn, p, "size"), at(p, "size"), 1, kMaxSize);
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
        t.offset = unsigned_in(*offset, at(p, "offset"), 0, kMaxSize);
        check_inside(t, p);
      }
      // The tensor claims the name already claimed by the node: register it directly.
      n.output = static_cast<Index>(s_.tensors.size());
      tensor_names_[t.name] = TensorName{n.output, kNone};
      tensor_path_.push_back(p);
      s_.tensors.push_back(std::move(t));
    }

    load_experts(jn, p, n, pending.sources.size());
    node_path_.push_back(p);
    pending_nodes_.push_back(std::move(pending));
    s_.nodes.push_back(std::move(n));
  }

  uint8_t node_flags(const Json& j, const std::string& path) const {
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

  void load_experts(const Json& jn, const std::string& p, Node& n, std::size_t n_sources) const {
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

  // Second pass: every name is known; resolve sources and split inputs, then check the DAG.
  void resolve_nodes() {
    for (std::size_t i = 0; i < s_.nodes.size(); ++i) {
      Node& n = s_.nodes[i];
      for (const auto& [src, path] : pending_nodes_[i].sources)
        n.sources.push_back(tensor_ref(src, path));
      if (n.is_mul_mat_id()) {
        const Tensor& w = s_.tensors[n.sources[0]];
        if (w.size % static_cast<uint64_t>(n.n_expert) != 0)
          fail(at(node_path_[i], "n_expert"),
               "the expert weights " + in_quotes(w.name) + " (size " + std::to_string(w.size) +
                   ") do not divide into " + std::to_string(n.n_expert) + " equal experts");
      }
    }
    for (std::size_t k = 0; k < pending_splits_.size(); ++k) {
      const auto& pending = pending_splits_[k];
      if (!pending.inputs) continue;
      std::vector<Index> inputs;
      std::unordered_map<Index, std::string> seen;
      for (const auto& [in, path] : *pending.inputs) {
        Index t = tensor_ref(in, path);
        auto [it, inserted] = seen.emplace(t, path);
        if (!inserted) fail(path, in_quotes(in) + " is listed twice (first at " + it->second + ")");
        inputs.push_back(t);
      }
      (*s_.given_splits)[k].inputs = std::move(inputs);
    }
    if (auto problem = check_node_dag(s_)) {
      const bool known =
          problem->node >= 0 && problem->node < static_cast<Index>(node_path_.size());
      fail(known ? node_path_[problem->node] : (s_.given_splits ? "/splits" : "/graph"),
           problem->message);
    }
  }

  // Explicitly placed tensors sharing a buffer may alias each other only when neither holds a
  // value that outlives the graph (persistent tensors, OUTPUT-flagged results).
  void check_placement() const {
    std::unordered_map<Index, std::vector<Placed>> by_buffer;
    for (Index t = 0; t < static_cast<Index>(s_.tensors.size()); ++t) {
      const Tensor& tensor = s_.tensors[t];
      if (tensor.buffer == kNone || !tensor.offset) continue;
      by_buffer[tensor.buffer].push_back({*tensor.offset, *tensor.offset + tensor.size, t});
    }
    auto important = [&](Index t) {
      return s_.tensors[t].role == TensorRole::persistent || (s_.tensors[t].flags & kFlagOutput);
    };
    for (Index b = 0; b < static_cast<Index>(s_.buffers.size()); ++b) {
      auto it = by_buffer.find(b);
      if (it == by_buffer.end()) continue;
      auto& placed = it->second;
      std::sort(placed.begin(), placed.end(), [](const Placed& x, const Placed& y) {
        return std::tie(x.begin, x.tensor) < std::tie(y.begin, y.tensor);
      });
      // Sweep in offset order, keeping the furthest-reaching tensor seen (any, and important).
      const Placed* reach_any = nullptr;
      const Placed* reach_important = nullptr;
      for (const Placed& cur : placed) {
        const Placed* other = important(cur.tensor) ? reach_any : reach_important;
        if (other && other->end > cur.begin) overlap(b, *other, cur);
        if (!reach_any || cur.end > reach_any->end) reach_any = &cur;
        if (important(cur.tensor) && (!reach_important || cur.end > reach_important->end))
          reach_important = &cur;
      }
    }
  }

  [[noreturn]] void overlap(Index buffer, const Placed& x, const Placed& y) const {
    const Placed& first = x.tensor < y.tensor ? x : y;
    const Placed& second = x.tensor < y.tensor ? y : x;
    auto range = [&](const Placed& r) {
      return in_quotes(s_.tensors[r.tensor].name) + " [" + std::to_string(r.begin) + ", " +
             std::to_string(r.end) + ")";
    };
    fail(tensor_path_[second.tensor],
         "tensor " + range(second) + " overlaps tensor " + range(first) + " (at " +
             tensor_path_[first.tensor] + ") in buffer " + in_quotes(s_.buffers[buffer].name) +
             "; persistent and OUTPUT tensors must not share bytes with other tensors");
  }

  void load_scheduler(const Json& j) {
    object(j, "/scheduler", {"pipeline_parallel", "max_copies"});
    if (const Json* mc = optional(j, "max_copies"))
      s_.scheduler.max_copies = small_int(*mc, "/scheduler/max_copies", 1, kMaxCopies);
    if (const Json* pp = optional(j, "pipeline_parallel")) {
      s_.scheduler.pipeline_parallel = boolean(*pp, "/scheduler/pipeline_parallel");
      const auto gpus = std::count_if(s_.backends.begin(), s_.backends.end(),
                                      [](const Backend& b) { return !is_host_backend(b.kind); });
      if (s_.scheduler.pipeline_parallel && gpus < 2)
        fail("/scheduler/pipeline_parallel",
             "pipeline parallelism needs at least two GPU backends; this scenario has " +
                 std::to_string(gpus));
    }
  }

  void load_driver(const Json& j) {
    const std::string p = "/driver";
    object(j, p,
           {"ubatches_per_batch", "graph_reuse", "sync_after_batch", "outputs", "eval_callback",
            "realloc_at", "sync_before_compute"});
    DriverConfig& d = s_.driver;
    if (const Json* u = optional(j, "ubatches_per_batch")) {
      const std::string up = at(p, "ubatches_per_batch");
      array(*u, up);
      if (u->empty()) fail(up, "expected at least one batch");
      d.ubatches_per_batch.clear();
      uint64_t total = 0;
      for (std::size_t i = 0; i < u->size(); ++i) {
        d.ubatches_per_batch.push_back(small_int((*u)[i], at(up, i), 1, kMaxUbatches));
        total += static_cast<uint64_t>(d.ubatches_per_batch.back());
      }
      if (total > kMaxEvaluations)
        fail(up, "the batches add up to " + std::to_string(total) + " evaluations; at most " +
                     std::to_string(kMaxEvaluations) + " are allowed");
    }
    if (const Json* g = optional(j, "graph_reuse"))
      d.graph_reuse = boolean(*g, at(p, "graph_reuse"));
    if (const Json* sa = optional(j, "sync_after_batch"))
      d.sync_after_batch = boolean(*sa, at(p, "sync_after_batch"));
    if (const Json* o = optional(j, "outputs")) load_outputs(*o, at(p, "outputs"));
    if (const Json* cb = optional(j, "eval_callback")) load_callback(*cb, at(p, "eval_callback"));
    if (const Json* r = optional(j, "realloc_at"))
      d.realloc_at = evaluations(*r, at(p, "realloc_at"));
    if (const Json* sb = optional(j, "sync_before_compute"))
      d.sync_before_compute = evaluations(*sb, at(p, "sync_before_compute"));
  }

  void load_outputs(const Json& list, const std::string& path) {
    array(list, path);
    DriverConfig& d = s_.driver;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at(path, i);
      const Json& j = object(list[i], p, {"tensor", "buffer", "ubatches"});
      OutputRead o;
      const std::string tp = at(p, "tensor");
      o.tensor = tensor_ref(string(required(j, p, "tensor"), tp), tp);
      o.buffer = buffer_ref(required(j, p, "buffer"), at(p, "buffer"));
      const Buffer& buf = s_.buffers[o.buffer];
      if (!is_host_buffer(buf.kind))
        fail(at(p, "buffer"), "buffer " + in_quotes(buf.name) +
                                  " is a device buffer; outputs are read back into host memory "
                                  "(pinned_host or pageable_host)");
      if (buf.usage != BufferUsage::output)
        fail(at(p, "buffer"), "buffer " + in_quotes(buf.name) + " has usage " +
                                  in_quotes(to_string(buf.usage)) +
                                  "; outputs are read into a buffer with usage \"output\"");
      if (const Json* u = optional(j, "ubatches")) {
        const std::string text = string(*u, at(p, "ubatches"));
        if (text == "all")
          o.ubatches = OutputRead::When::all;
        else if (text == "last")
          o.ubatches = OutputRead::When::last;
        else if (text == "none")
          o.ubatches = OutputRead::When::none;
        else
          fail(at(p, "ubatches"), "expected one of all, last, none, got " + in_quotes(text));
      }
      d.outputs.push_back(o);
    }
    // The driver writes output rows at row * size, counting the ubatches of a batch that have
    // any output: with an "all" output present, a "last" output lands in the batch's last row.
    const int max_ubatches =
        *std::max_element(d.ubatches_per_batch.begin(), d.ubatches_per_batch.end());
    const bool any_all = std::any_of(d.outputs.begin(), d.outputs.end(), [](const OutputRead& o) {
      return o.ubatches == OutputRead::When::all;
    });
    for (std::size_t i = 0; i < d.outputs.size(); ++i) {
      const OutputRead& o = d.outputs[i];
      const uint64_t rows = o.ubatches == OutputRead::When::none ? 0
                            : o.ubatches == OutputRead::When::all || any_all
                                ? static_cast<uint64_t>(max_ubatches)
                                : 1;
      const uint64_t size = s_.tensors[o.tensor].size;
      const Buffer& buf = s_.buffers[o.buffer];
      if (rows * size > buf.size)
        fail(at(at(path, i), "buffer"),
             "buffer " + in_quotes(buf.name) + " of size " + std::to_string(buf.size) +
                 " is too small for output " + in_quotes(s_.tensors[o.tensor].name) + ": " +
                 std::to_string(rows) + " row(s) of " + std::to_string(size) + " bytes need " +
                 std::to_string(rows * size) + " bytes");
    }
  }

  void load_callback(const Json& j, const std::string& p) {
    object(j, p, {"nodes"});
    EvalCallback cb;
    const Json& nodes = required(j, p, "nodes");
    const std::string np = at(p, "nodes");
    if (nodes.is_string()) {
      if (nodes.get<std::string>() != "all")
        fail(np, "expected \"all\" or an array of node names, got " +
                     in_quotes(nodes.get<std::string>()));
      cb.all_nodes = true;
    } else {
      if (!nodes.is_array())
        fail(np, "expected \"all\" or an array of node names, got " + describe(nodes));
      std::unordered_map<Index, std::string> seen;
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Index n = node_ref(nodes[i], at(np, i));
        auto [it, inserted] = seen.emplace(n, at(np, i));
        if (!inserted)
          fail(at(np, i),
               in_quotes(s_.nodes[n].name) + " is listed twice (first at " + it->second + ")");
        cb.nodes.push_back(n);
      }
    }
    s_.driver.eval_callback = std::move(cb);
  }

  std::vector<int> evaluations(const Json& list, const std::string& path) const {
    array(list, path);
    const int total = s_.total_evaluations();
    std::vector<int> out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at(path, i);
      const Json& e = list[i];
      if (e.is_number_unsigned() && e.get<uint64_t>() >= static_cast<uint64_t>(total))
        fail(p, "evaluation " + std::to_string(e.get<uint64_t>()) +
                    " is out of range: the driver runs " + std::to_string(total) +
                    " evaluation(s), 0 .. " + std::to_string(total - 1));
      const int v = small_int(e, p, 0, static_cast<uint64_t>(total) - 1);
      if (std::find(out.begin(), out.end(), v) != out.end())
        fail(p, "evaluation " + std::to_string(v) + " is listed twice");
      out.push_back(v);
    }
    return out;
  }

  void load_policies(const Json& list) {
    array(list, "/policies");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = at("/policies", i);
      const Json& j =
          object(list[i], p,
                 {"name", "base", "commit", "reference", "description", "knobs", "skip_syncs"});
      Policy pol;
      pol.name = name(required(j, p, "name"), at(p, "name"));
      if (find_builtin_policy(pol.name))
        fail(at(p, "name"),
             in_quotes(pol.name) +
                 " is the name of a built-in policy; a custom policy needs a name of its own");
      claim(policy_path_, pol.name, at(p, "name"), "policy");
      std::string base = "ggml-v0";
      if (const Json* b = optional(j, "base")) base = string(*b, at(p, "base"));
      if (const Policy* builtin = find_builtin_policy(base)) {
        pol.knobs = builtin->knobs;
      } else if (auto it = custom_policy_.find(base); it != custom_policy_.end()) {
        pol.knobs = s_.custom_policies[it->second].knobs;
      } else {
        fail(at(p, "base"), unknown_policy(base) +
                                "; a base is a built-in policy or a custom policy defined earlier");
      }
      if (const Json* c = optional(j, "commit")) pol.commit = string(*c, at(p, "commit"));
      if (const Json* r = optional(j, "reference")) pol.reference = string(*r, at(p, "reference"));
      if (const Json* d = optional(j, "description"))
        pol.description = string(*d, at(p, "description"));
      if (const Json* knobs = optional(j, "knobs")) {
        const std::string kp = at(p, "knobs");
        if (!knobs->is_object()) fail(kp, "expected an object, got " + describe(*knobs));
        for (const auto& [knob, value] : knobs->items()) {
          const std::string vp = at(kp, knob);
          std::string text;
          if (value.is_string())
            text = value.get<std::string>();
          else if (value.is_boolean())
            text = value.get<bool>() ? "true" : "false";
          else if (value.is_number_unsigned())
            text = std::to_string(value.get<uint64_t>());
          else if (value.is_number_integer())
            text = std::to_string(value.get<int64_t>());
          else
            fail(vp, "expected a string, a boolean or an integer, got " + describe(value));
          if (auto error = set_knob(pol.knobs, knob, text)) fail(vp, *error);
        }
      }
      if (const Json* skip = optional(j, "skip_syncs")) {
        const std::string sp = at(p, "skip_syncs");
        if (!in_scenario_)
          fail(sp,
               "skip_syncs numbers the synchronizations of one scenario's run; it belongs "
               "to a policy inside that scenario, not to a policy file");
        array(*skip, sp);
        for (std::size_t n = 0; n < skip->size(); ++n) {
          const int id = small_int((*skip)[n], at(sp, n), 0, 999999);
          if (std::find(pol.skipped_syncs.begin(), pol.skipped_syncs.end(), id) !=
              pol.skipped_syncs.end())
            fail(at(sp, n), "synchronization " + std::to_string(id) + " is listed twice");
          pol.skipped_syncs.push_back(id);
        }
        pol.skipped_syncs_path = sp;  // checked against the run after loading
      }
      pol.builtin = false;
      custom_policy_.emplace(pol.name, s_.custom_policies.size());
      s_.custom_policies.push_back(std::move(pol));
    }
  }

  void load_expect(const Json& j) {
    if (!j.is_object()) fail("/expect", "expected an object, got " + describe(j));
    for (const auto& [policy, value] : j.items()) {
      const std::string p = at("/expect", policy);
      if (!policy_known(policy)) fail(p, unknown_policy(policy));
      Expectation e;
      e.policy = policy;
      std::string verdict_path = p, verdict;
      if (value.is_string()) {
        verdict = value.get<std::string>();
      } else if (value.is_object()) {
        object(value, p, {"verdict", "mechanisms"});
        verdict_path = at(p, "verdict");
        verdict = string(required(value, p, "verdict"), verdict_path);
        if (const Json* m = optional(value, "mechanisms")) {
          const std::string mp = at(p, "mechanisms");
          array(*m, mp);
          for (std::size_t i = 0; i < m->size(); ++i) {
            const std::string mech = string((*m)[i], at(mp, i));
            const bool ok = !mech.empty() && std::all_of(mech.begin(), mech.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' ||
                     c == '-';
            });
            if (!ok)
              fail(at(mp, i),
                   "mechanism " + in_quotes(mech) +
                       " must be non-empty and use only letters, digits, '_', '+' and '-'");
            e.mechanisms.push_back(mech);
          }
        }
      } else {
        fail(p, "expected a verdict string or an object with \"verdict\", got " + describe(value));
      }
      const std::optional<Verdict> parsed = parse_verdict(verdict);
      if (!parsed)
        fail(verdict_path, "unknown verdict " + in_quotes(verdict) +
                               " (known: clean, race, stale, race+stale)");
      e.verdict = *parsed;
      s_.expectations.push_back(std::move(e));
    }
  }

  const std::string& file_;
  Scenario s_;
  std::unordered_map<std::string, std::string> backend_path_, buffer_path_, tensor_name_path_,
      policy_path_;
  std::unordered_map<std::string, Index> backend_index_, buffer_index_, node_index_;
  std::unordered_map<std::string, TensorName> tensor_names_;
  std::unordered_map<std::string, std::size_t> custom_policy_;
  bool in_scenario_ = true;  // false while loading a policy file
  std::vector<std::string> compute_buffer_names_;
  std::vector<std::string> tensor_path_;  // per tensor: the object that defines it
  std::vector<std::string> node_path_;
  std::vector<PendingNode> pending_nodes_;
  std::vector<PendingSplit> pending_splits_;
};

// ---------------------------------------------------------------------------------------------
// Saving

Json knob_json(const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  if (!value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == value.npos)
    return std::stoi(value);
  return value;
}

Json save_node(const Scenario& s, Index i, bool with_backend) {
  const Node& n = s.nodes[i];
  Json j = Json::object();
  j["name"] = n.name;
  j["op"] = n.op;
  if (with_backend) j["backend"] = s.backends[n.backend].name;
  Json sources = Json::array();
  for (Index t : n.sources) sources.push_back(s.tensors[t].name);
  j["sources"] = std::move(sources);
  const Tensor& out = s.tensors[n.output];
  if (n.writes_persistent) {
    j["writes"] = out.name;
  } else {
    j["size"] = out.size;
    if (out.flags & kFlagOutput) j["flags"] = Json::array({"OUTPUT"});
    if (out.buffer != kNone && out.offset) {
      j["buffer"] = s.buffers[out.buffer].name;
      j["offset"] = *out.offset;
    }
  }
  if (n.inplace) j["inplace"] = true;
  if (n.is_mul_mat_id() && n.n_expert > 0) j["n_expert"] = n.n_expert;
  if (!n.experts_used.empty()) j["experts_used"] = n.experts_used;
  return j;
}

Json save_overrides(const std::vector<CapabilityOverride>& overrides) {
  Json j = Json::object();
  for (const auto& o : overrides) {
    const auto& fields = capability_fields();
    auto f = std::find_if(fields.begin(), fields.end(),
                          [&](const CapabilityField& c) { return c.name == o.field; });
    if (f == fields.end()) continue;
    switch (f->type) {
      case CapabilityField::Type::boolean:
        j[o.field] = o.boolean;
        break;
      case CapabilityField::Type::host_transfer:
        j[o.field] = std::string(to_string(o.host_transfer));
        break;
      case CapabilityField::Type::copy_queue:
        j[o.field] = std::string(to_string(o.copy_queue));
        break;
    }
  }
  return j;
}

Json save_driver(const Scenario& s) {
  const DriverConfig& d = s.driver;
  const DriverConfig defaults;
  Json j = Json::object();
  if (d.ubatches_per_batch != defaults.ubatches_per_batch)
    j["ubatches_per_batch"] = d.ubatches_per_batch;
  if (d.graph_reuse != defaults.graph_reuse) j["graph_reuse"] = d.graph_reuse;
  if (d.sync_after_batch != defaults.sync_after_batch) j["sync_after_batch"] = d.sync_after_batch;
  if (!d.outputs.empty()) {
    Json outputs = Json::array();
    for (const auto& o : d.outputs) {
      Json oj = Json::object();
      oj["tensor"] = s.tensors[o.tensor].name;
      oj["buffer"] = s.buffers[o.buffer].name;
      oj["ubatches"] = o.ubatches == OutputRead::When::all    ? "all"
                       : o.ubatches == OutputRead::When::last ? "last"
                                                              : "none";
      outputs.push_back(std::move(oj));
    }
    j["outputs"] = std::move(outputs);
  }
  if (d.eval_callback) {
    Json cb = Json::object();
    if (d.eval_callback->all_nodes) {
      cb["nodes"] = "all";
    } else {
      Json nodes = Json::array();
      for (Index n : d.eval_callback->nodes) nodes.push_back(s.nodes[n].name);
      cb["nodes"] = std::move(nodes);
    }
    j["eval_callback"] = std::move(cb);
  }
  if (!d.realloc_at.empty()) j["realloc_at"] = d.realloc_at;
  if (!d.sync_before_compute.empty()) j["sync_before_compute"] = d.sync_before_compute;
  return j;
}

}  // namespace

namespace {

template <typename Result, typename LoadFn>
Result parse_document(const std::string& text, const std::string& file, LoadFn load) {
  try {
    DomBuilder builder(text);
    const bool ok = Json::sax_parse(text, &builder, Json::input_format_t::json, true, false);
    if (const auto& problem = builder.problem())
      throw ScenarioError(file, problem->path, problem->message);
    if (!ok) throw ScenarioError(file, "", "syntax error");
    Loader loader(file);
    return load(loader, builder.root());
  } catch (const ScenarioError&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    // Validation checks types before every access; this is a safety net, not a code path.
    throw ScenarioError(file, "", std::string("malformed document: ") + e.what());
  }
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ScenarioError(path, "", "cannot read the file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ScenarioError(path, "",
                        std::string("cannot open the file for reading: ") + std::strerror(errno));
  // Read in chunks with a cap, so that a pipe or a device file cannot exhaust memory.
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)
      throw ScenarioError(
          path, "", "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  if (in.bad()) throw ScenarioError(path, "", "error while reading the file");
  return text;
}

}  // namespace

Scenario parse_scenario_text(const std::string& text, const std::string& file) {
  return parse_document<Scenario>(text, file,
                                  [](Loader& l, const Json& root) { return l.load(root); });
}

Scenario parse_scenario_file(const std::string& path) {
  return parse_scenario_text(read_text_file(path), path);
}

std::vector<Policy> load_policy_file(const std::string& path) {
  return parse_document<std::vector<Policy>>(
      read_text_file(path), path,
      [](Loader& l, const Json& root) { return l.load_policies_only(root); });
}

nlohmann::ordered_json save_scenario(const Scenario& s) {
  Json j = Json::object();
  j["schema"] = kScenarioSchema;
  j["name"] = s.name;
  if (!s.description.empty()) j["description"] = s.description;

  Json backends = Json::array();
  for (const Backend& b : s.backends) {
    Json bj = Json::object();
    bj["name"] = b.name;
    bj["kind"] = std::string(to_string(b.kind));
    if (!is_host_backend(b.kind)) bj["device"] = b.device;
    if (b.compute_buffer != kNone) bj["compute_buffer"] = s.buffers[b.compute_buffer].name;
    if (!b.overrides.empty()) bj["capabilities"] = save_overrides(b.overrides);
    backends.push_back(std::move(bj));
  }
  j["backends"] = std::move(backends);

  Json buffers = Json::array();
  for (const Buffer& b : s.buffers) {
    Json bj = Json::object();
    bj["name"] = b.name;
    bj["kind"] = std::string(to_string(b.kind));
    if (b.owner != kNone) bj["backend"] = s.backends[b.owner].name;
    bj["usage"] = std::string(to_string(b.usage));
    if (b.usage != BufferUsage::compute) bj["size"] = b.size;
    if (b.alignment != Buffer{}.alignment) bj["alignment"] = b.alignment;
    buffers.push_back(std::move(bj));
  }
  j["buffers"] = std::move(buffers);

  Json tensors = Json::array();
  Json inputs = Json::array();
  for (const Tensor& t : s.tensors) {
    Json tj = Json::object();
    tj["name"] = t.name;
    if (t.role == TensorRole::persistent) {
      if (t.buffer != kNone) tj["buffer"] = s.buffers[t.buffer].name;
      if (t.offset) tj["offset"] = *t.offset;
      tj["size"] = t.size;
      tensors.push_back(std::move(tj));
    } else if (t.role == TensorRole::user_input) {
      tj["size"] = t.size;
      inputs.push_back(std::move(tj));
    }
  }
  if (!tensors.empty()) j["tensors"] = std::move(tensors);
  if (!inputs.empty()) j["inputs"] = std::move(inputs);

  if (s.given_splits) {
    Json splits = Json::array();
    for (const GivenSplit& g : *s.given_splits) {
      Json sj = Json::object();
      sj["backend"] = s.backends[g.backend].name;
      if (g.inputs) {
        Json in = Json::array();
        for (Index t : *g.inputs) in.push_back(s.tensors[t].name);
        sj["inputs"] = std::move(in);
      }
      Json nodes = Json::array();
      for (Index n = g.first_node; n < g.end_node; ++n) nodes.push_back(save_node(s, n, false));
      sj["nodes"] = std::move(nodes);
      splits.push_back(std::move(sj));
    }
    j["splits"] = std::move(splits);
  } else {
    Json nodes = Json::array();
    for (Index n = 0; n < static_cast<Index>(s.nodes.size()); ++n)
      nodes.push_back(save_node(s, n, true));
    j["graph"] = Json::object({{"nodes", std::move(nodes)}});
  }

  const SchedulerConfig sched_defaults;
  Json sched = Json::object();
  if (s.scheduler.pipeline_parallel != sched_defaults.pipeline_parallel)
    sched["pipeline_parallel"] = s.scheduler.pipeline_parallel;
  if (s.scheduler.max_copies != sched_defaults.max_copies)
    sched["max_copies"] = s.scheduler.max_copies;
  if (!sched.empty()) j["scheduler"] = std::move(sched);

  if (Json driver = save_driver(s); !driver.empty()) j["driver"] = std::move(driver);

  if (!s.custom_policies.empty()) {
    // Knobs are saved as the difference from ggml-v0, the default base.
    const auto base = describe_knobs(find_builtin_policy("ggml-v0")->knobs);
    Json policies = Json::array();
    for (const Policy& p : s.custom_policies) {
      Json pj = Json::object();
      pj["name"] = p.name;
      if (!p.commit.empty()) pj["commit"] = p.commit;
      if (!p.reference.empty()) pj["reference"] = p.reference;
      if (!p.description.empty()) pj["description"] = p.description;
      Json knobs = Json::object();
      const auto settings = describe_knobs(p.knobs);
      for (std::size_t k = 0; k < settings.size(); ++k)
        if (k >= base.size() || settings[k].value != base[k].value)
          knobs[settings[k].name] = knob_json(settings[k].value);
      if (!knobs.empty()) pj["knobs"] = std::move(knobs);
      if (!p.skipped_syncs.empty()) pj["skip_syncs"] = p.skipped_syncs;
      policies.push_back(std::move(pj));
    }
    j["policies"] = std::move(policies);
  }

  if (!s.expectations.empty()) {
    Json expect = Json::object();
    for (const Expectation& e : s.expectations) {
      if (e.mechanisms.empty()) {
        expect[e.policy] = to_string(e.verdict);
      } else {
        Json ej = Json::object();
        ej["verdict"] = to_string(e.verdict);
        ej["mechanisms"] = e.mechanisms;
        expect[e.policy] = std::move(ej);
      }
    }
    j["expect"] = std::move(expect);
  }
  return j;
}

}  // namespace schedcheck
