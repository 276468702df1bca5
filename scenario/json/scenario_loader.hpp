// Maps a parsed document onto a Scenario, section by section, checking everything the file says
// by itself (names, references, sizes, the DAG, placement); each section's loader is in its own
// file. Facts that depend on a run are checked later (driver/scenario_file.hpp).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scenario/json/json_access.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck::json_format {

struct TensorName {
  Index tensor = kNone;       // the tensor of that name, or
  Index writes_node = kNone;  // a node with "writes" (a name without a tensor of its own)
};

// A node's fields that can only be resolved once every name is known.
struct PendingNode {
  std::string path;
  std::vector<std::pair<std::string, std::string>> sources;  // name, pointer
  bool views = false;   // the node gives "views" (checked once every tensor's shape is known)
  bool params = false;  // the node gives "params"
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

class ScenarioLoader : JsonAccess {
 public:
  // `builtins`: the policies a name or a "base" may refer to besides the file's own.
  ScenarioLoader(const std::string& file, const std::vector<Policy>& builtins)
      : JsonAccess(file), builtins_(builtins) {
    scenario_.file = file;
  }

  Scenario load(const Json& root);

  // A policy file: {"schema": "schedcheck-policies/1", "policies": [...]}, the policies in the
  // same form as a scenario's "policies".
  std::vector<Policy> load_policies_only(const Json& root);

 private:
  // --- names (scenario_loader.cpp) ------------------------------------------------------
  Index backend_ref(const Json& j, const std::string& path) const;
  Index buffer_ref(const Json& j, const std::string& path) const;
  Index tensor_ref(const std::string& n, const std::string& path) const;
  Index node_ref(const Json& j, const std::string& path) const;
  const Policy* find_builtin(const std::string& n) const;
  bool policy_known(const std::string& n) const;
  std::string unknown_policy(const std::string& n) const;
  void load_schema(const Json& root) const;

  // --- backends and buffers (load_backends.cpp) ----------------------------------------
  void load_backends(const Json& list);
  std::vector<CapabilityOverride> load_overrides(const Json& j, const std::string& path) const;
  void load_buffers(const Json& list);
  void resolve_reuse(Index buffer, const Json& j);
  void resolve_compute_buffers();
  // A meta backend's "devices" (load_meta.cpp): GPU backends of the scenario, each in one meta
  // backend; and, once the graph is loaded, what a scenario with one must be.
  void resolve_meta_members();
  int load_split(const Json& j, const std::string& p, const Tensor& t) const;
  void check_meta() const;

  // --- tensors, inputs, nodes (load_graph.cpp) -----------------------------------------
  Index add_tensor(Tensor t, const std::string& name_path, const std::string& object_path);

  // Tensors, inputs and nodes share one namespace (a source may name any of them).
  void tensor_names_claim(const std::string& n, const std::string& path);
  void check_inside(const Tensor& t, const std::string& path) const;
  void load_tensors(const Json& list);
  void load_inputs(const Json& list);
  void load_nodes(const Json& root);
  void load_splits(const Json& list);

  // First pass over a node: everything but the names it refers to among nodes.
  // split_backend is kNone in "graph" form (the node names its backend).
  void load_node(const Json& jn, const std::string& p, Index split_backend);
  void node_writes(const Json& jn, const Json& w, const std::string& p, Node& n, Index index);
  void node_output(const Json& jn, const std::string& p, Node& n, Index index);
  uint8_t node_flags(const Json& j, const std::string& path) const;
  void load_experts(const Json& jn, const std::string& p, Node& n, std::size_t n_sources) const;

  // --- shapes, values, views and params (load_shapes.cpp) ------------------------------
  // "shape" (with "size" optional and checked against it), and for tensors and inputs
  // ("with_values") "type" and "values"; without "shape", "size" is required as before.
  void load_shape(const Json& j, const std::string& p, Tensor& t, bool with_values) const;
  std::vector<int64_t> dims(const Json& j, const std::string& path) const;
  void load_values(const Json& j, const std::string& p, Tensor& t) const;
  // First pass over a node's "views" (syntax, one list per source) and "params".
  void load_views(const Json& jn, const std::string& p, Node& n, PendingNode& pending) const;
  ViewStep view_step(const Json& j, const std::string& path) const;
  void load_params(const Json& jn, const std::string& p, Node& n, PendingNode& pending) const;
  double number(const Json& j, const std::string& path) const;
  // Every name is resolved: shapes for every tensor or none; views and params only with
  // shapes; every reshape keeps the element count of what it reshapes.
  void check_shapes() const;

  // --- second pass (resolve_graph.cpp) -------------------------------------------------
  // Every name is known: resolve sources and split inputs, then check the DAG.
  void resolve_nodes();

  // Explicitly placed tensors sharing a buffer may alias each other only when neither holds a
  // value that outlives the graph (persistent tensors, OUTPUT-flagged results).
  void check_placement() const;
  [[noreturn]] void overlap(Index buffer, const Placed& x, const Placed& y) const;

  // --- scheduler and driver (load_driver.cpp) ------------------------------------------
  void load_scheduler(const Json& j);
  void load_driver(const Json& j);
  void load_outputs(const Json& list, const std::string& path);
  void load_callback(const Json& j, const std::string& p);
  void load_sequences(const Json& j, const std::string& p);  // load_sequences.cpp
  std::vector<int> evaluations(const Json& list, const std::string& path) const;
  std::vector<int> batch_list(const Json& list, const std::string& path) const;
  std::vector<int> index_list(const Json& list, const std::string& path, int total,
                              const std::string& what, const std::string& plural) const;

  // --- program (load_program.cpp) ------------------------------------------------------
  void load_program(const Json& list);
  // Step j's object, with "step", "name" and the keys of its kind only.
  const Json& step_object(const Json& j, const std::string& p, ProgramStep::Kind k) const;
  Index program_step_ref(const std::string& n, const std::string& path) const;
  // free_buffer, alloc_buffer and upload against the buffers in memory (load_program_buffers.cpp).
  void buffer_step(ProgramStep& s, const Json& j, const std::string& p,
                   std::vector<bool>& live) const;
  // set_backend: the node (by its output) and the backend (load_program_assign.cpp).
  void assign_step(ProgramStep& s, const Json& j, const std::string& p) const;
  // A compute needs every buffer its graph reads or writes in memory.
  void check_graph_buffers(const std::string& p, const std::vector<bool>& live) const;
  // set_input: the bytes it writes, the host buffer it copies from, asynchronously or not.
  void input_write_step(ProgramStep& s, const Json& j, const std::string& p,
                        const std::vector<bool>& live) const;
  // get_output's "into", set_input's "from": a host buffer of `usage` and a row of `bytes`.
  void host_row(ProgramStep& s, const Json& j, const std::string& p, const std::string& key,
                BufferUsage usage, uint64_t bytes, const std::string& why) const;

  // --- policies (load_policies.cpp) and expectations (load_expect.cpp) ------------------
  void load_policies(const Json& list);
  void load_expect(const Json& j);
  SyncExpectation load_host_syncs(const Json& j, const std::string& p) const;
  SyncBound load_sync_bound(const Json& j, const std::string& p) const;

  Scenario scenario_;
  std::unordered_map<std::string, std::string> backend_path_, buffer_path_, tensor_name_path_,
      policy_path_;
  std::unordered_map<std::string, Index> backend_index_, buffer_index_, node_index_;
  std::unordered_map<std::string, TensorName> tensor_names_;
  std::unordered_map<std::string, std::size_t> custom_policy_;
  bool in_scenario_ = true;  // false while loading a policy file
  const std::vector<Policy>& builtins_;
  std::vector<std::string> compute_buffer_names_;
  std::vector<std::pair<Index, const Json*>> meta_devices_;  // meta backend, its "devices"
  std::vector<std::string> tensor_path_;  // per tensor: the object that defines it
  std::vector<std::string> node_path_;
  std::vector<PendingNode> pending_nodes_;
  std::vector<PendingSplit> pending_splits_;
};

}  // namespace schedcheck::json_format
