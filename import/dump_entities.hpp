// The tensors of one printout and who makes them: every name a split header or node line
// mentions resolved to a node's output, a persistent tensor (weights, KV cache) in a buffer of
// the backend that holds it, or a user input, by the rules of docs/import.md; then the splits
// with their nodes in the scenario's `splits` form.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "import/backend_names.hpp"
#include "import/sched_dump.hpp"

namespace schedcheck::import {

class DumpEntities {
 public:
  DumpEntities(const DumpGraph& graph, int n_expert) : graph_(graph), n_expert_(n_expert) {}

  // backends: full names in priority order, with their kinds. Adds assumptions to `notes`.
  void build(const std::vector<std::string>& backends, const std::vector<BackendGuess>& kinds,
             std::vector<std::string>& notes);

  struct Split {
    std::string backend;
    std::optional<std::vector<std::string>> inputs;  // scenario names; none: left to the model
    nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  };
  const std::vector<Split>& splits() const { return splits_; }
  bool synthesized() const { return synthesized_; }
  int node_count() const;

  std::string output_tensor() const { return output_; }
  uint64_t size_of(const std::string& name) const;
  nlohmann::ordered_json fixed_buffers() const;
  nlohmann::ordered_json persistent_json() const;
  nlohmann::ordered_json inputs_json() const;
  nlohmann::ordered_json splits_json() const;

 private:
  enum class Role { node, persistent, input };
  struct Entity {
    Role role = Role::node;
    uint64_t size = 0;
    std::string buffer;  // persistent
    uint64_t offset = 0;
  };
  struct Context {
    const DumpSplit* split = nullptr;
    std::size_t out_split = 0;  // index into splits_
  };

  std::optional<std::string> lookup(const std::string& printed, bool cut) const;
  std::string resolve(const TensorRef& ref, const Context& c);
  std::string resolve_input(const DumpInput& in, const Context& c);
  std::string create(const std::string& full, uint64_t size, const std::string& lives_on,
                     bool copied, const Context& c);
  std::string add_persistent(const std::string& name, uint64_t size, const std::string& backend,
                             bool kv);
  std::string add_input(const std::string& name, uint64_t size);
  std::string add_elided_producer(const std::string& name, uint64_t size,
                                  const std::string& backend);
  std::string unique_name(const std::string& wanted) const;
  void remember(const std::string& printed, const std::string& scenario_name);
  std::string backend_of(const std::string& printed, const Context& c) const;
  void add_node_line(const DumpNode& node, const Context& c);
  void add_stand_in(const Context& c);
  void choose_output();
  void split_inputs(const Context& c);

  const DumpGraph& graph_;
  int n_expert_;
  std::vector<std::string> backends_;
  std::map<std::string, std::string> kinds_;
  std::map<std::string, Entity> entities_;
  std::vector<std::string> persistent_order_, input_order_;
  // printed name -> (when it was said, scenario name): the newest wins, as in graph order.
  std::map<std::string, std::pair<std::size_t, std::string>> aliases_;
  std::size_t alias_clock_ = 0;
  mutable std::map<std::string, int> next_suffix_;  // unique_name's next " (N)" per name
  std::map<std::string, uint64_t> buffer_fill_;
  std::vector<std::string> buffer_order_;
  std::vector<Split> splits_;
  std::vector<Split> elided_;  // producers of tensors made before the paste's first split
  std::vector<std::string>* notes_ = nullptr;
  std::string output_;
  bool synthesized_ = false;
  bool fragment_ = false;
};

}  // namespace schedcheck::import
