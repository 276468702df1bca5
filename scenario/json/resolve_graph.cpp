// The second pass over the graph: sources and split inputs by name, the DAG, placed tensors.
#include "scenario/json/scenario_loader.hpp"

#include <algorithm>
#include <tuple>

#include "scenario/graph_dag.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::resolve_nodes() {
  for (std::size_t i = 0; i < scenario_.nodes.size(); ++i) {
    Node& n = scenario_.nodes[i];
    for (const auto& [src, path] : pending_nodes_[i].sources)
      n.sources.push_back(tensor_ref(src, path));
    if (n.is_mul_mat_id()) {
      const Tensor& w = scenario_.tensors[n.sources[0]];
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
    (*scenario_.given_splits)[k].inputs = std::move(inputs);
  }
  if (auto problem = check_node_dag(scenario_)) {
    const bool known =
        problem->node >= 0 && problem->node < static_cast<Index>(node_path_.size());
    fail(known ? node_path_[problem->node] : (scenario_.given_splits ? "/splits" : "/graph"),
         problem->message);
  }
}

void ScenarioLoader::check_placement() const {
  std::unordered_map<Index, std::vector<Placed>> by_buffer;
  for (Index t = 0; t < static_cast<Index>(scenario_.tensors.size()); ++t) {
    const Tensor& tensor = scenario_.tensors[t];
    if (tensor.buffer == kNone || !tensor.offset) continue;
    by_buffer[tensor.buffer].push_back({*tensor.offset, *tensor.offset + tensor.size, t});
  }
  auto important = [&](Index t) {
    return scenario_.tensors[t].role != TensorRole::node_output ||
           (scenario_.tensors[t].flags & kFlagOutput);
  };
  for (Index b = 0; b < static_cast<Index>(scenario_.buffers.size()); ++b) {
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

void ScenarioLoader::overlap(Index buffer, const Placed& x, const Placed& y) const {
  const Placed& first = x.tensor < y.tensor ? x : y;
  const Placed& second = x.tensor < y.tensor ? y : x;
  auto range = [&](const Placed& r) {
    return in_quotes(scenario_.tensors[r.tensor].name) + " [" + std::to_string(r.begin) + ", " +
           std::to_string(r.end) + ")";
  };
  fail(tensor_path_[second.tensor],
       "tensor " + range(second) + " overlaps tensor " + range(first) + " (at " +
           tensor_path_[first.tensor] + ") in buffer " + in_quotes(scenario_.buffers[buffer].name) +
           "; persistent, placed input and OUTPUT tensors must not share bytes with other tensors");
}

}  // namespace schedcheck::json_format
