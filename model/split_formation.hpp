// Split formation (spec §3.5 pass 5): cut the node list into splits per backend, create split
// inputs with n_copies copy slots, rewrite node sources to the copies, multiply user inputs.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

enum class InputKind { user_input, activation, weight };
std::string_view to_string(InputKind k);

// A split-input copy "<backend>#<source>": the source tensor copied onto a backend.
struct CopyTensor {
  Index source = kNone;
  Index backend = kNone;
  std::string name;
};

struct SplitInput {
  Index source = kNone;  // tensor
  Index copy = kNone;    // CopyTensor
  InputKind kind = InputKind::activation;
};

struct Split {
  Index backend = kNone;
  Index first_node = 0;
  Index end_node = 0;  // exclusive
  std::vector<SplitInput> inputs;
  bool empty() const { return first_node == end_node; }
};

// A node's source after rewriting: the original tensor, or a copy of it.
struct SourceRef {
  Index tensor = kNone;
  Index copy = kNone;  // kNone: read the tensor where it lives
};

struct SplitPlan {
  int n_copies = 1;
  std::vector<Split> splits;
  std::vector<CopyTensor> copies;
  std::vector<std::vector<SourceRef>> node_sources;  // per node, per source
  std::vector<Index> graph_inputs;  // user inputs multiplied per slot (n_copies > 1)
  std::vector<Index> node_split;    // split of each node
};

struct SplitOptions {
  int n_copies = 1;
  int max_split_inputs = 30;  // 0 = growable
  std::vector<bool> in_place_readers;  // per backend (in_place_readers()); empty: none
};

// Throws ScenarioError (file + JSON path) when given splits disagree with what the graph needs.
SplitPlan form_splits(const Scenario& s, const SplitOptions& options);

// The buffer a tensor lives in: explicit placement or its backend's compute buffer.
Index tensor_buffer(const Scenario& s, Index tensor);

}  // namespace schedcheck
