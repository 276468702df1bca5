#include "model/split_formation.hpp"

#include <algorithm>
#include <map>

#include "scenario/graph_dag.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {

std::string_view to_string(InputKind k) {
  switch (k) {
    case InputKind::user_input:
      return "user input";
    case InputKind::activation:
      return "activation";
    case InputKind::weight:
      return "weight";
  }
  return "?";
}

Index tensor_buffer(const Scenario& s, Index tensor) {
  const Tensor& t = s.tensors[tensor];
  if (t.buffer != kNone) return t.buffer;
  return s.backends[tensor_backend(s, tensor)].compute_buffer;
}

namespace {

bool needs_copy(const Scenario& s, const SplitOptions& o, Index tensor, Index backend) {
  const bool in_place = static_cast<std::size_t>(backend) < o.in_place_readers.size() &&
                        o.in_place_readers[backend];
  return tensor_backend(s, tensor) != backend &&
         !backend_can_use_buffer(s, backend, tensor_buffer(s, tensor), in_place);
}

InputKind input_kind(const Scenario& s, Index tensor) {
  const Tensor& t = s.tensors[tensor];
  if (t.role == TensorRole::user_input) return InputKind::user_input;
  if (s.buffers[tensor_buffer(s, tensor)].usage == BufferUsage::weights) return InputKind::weight;
  return InputKind::activation;
}

class SplitBuilder {
 public:
  SplitBuilder(const Scenario& s, const SplitOptions& o) : scenario_(s), options_(o) {
    plan_.n_copies = o.n_copies;
    plan_.node_sources.resize(s.nodes.size());
    plan_.node_split.resize(s.nodes.size(), kNone);
  }

  SplitPlan build() {
    std::vector<bool> given_start(scenario_.nodes.size(), false);
    if (scenario_.given_splits)
      for (const auto& g : *scenario_.given_splits)
        if (g.first_node < static_cast<Index>(scenario_.nodes.size()))
          given_start[g.first_node] = true;

    for (Index i = 0; i < static_cast<Index>(scenario_.nodes.size()); ++i) {
      const Node& node = scenario_.nodes[i];
      bool cut = scenario_.given_splits ? given_start[i] : starts_new_split(node);
      if (plan_.splits.empty() || cut) plan_.splits.push_back(Split{node.backend, i, i, {}});
      Split& split = plan_.splits.back();
      split.end_node = i + 1;
      plan_.node_split[i] = static_cast<Index>(plan_.splits.size()) - 1;
      for (Index src : node.sources) plan_.node_sources[i].push_back(rewrite(src, split));
    }
    if (scenario_.given_splits) apply_given_input_order();
    check_split_order();
    return std::move(plan_);
  }

 private:
  bool starts_new_split(const Node& node) const {
    if (plan_.splits.empty() || node.backend != plan_.splits.back().backend) return true;
    const Split& cur = plan_.splits.back();
    if (!cur.inputs.empty())
      for (Index src : node.sources)
        if (input_kind(scenario_, src) == InputKind::weight &&
            needs_copy(scenario_, options_, src, node.backend))
          return true;  // "so the memory of previously offloaded weights can be reused"
    if (options_.max_split_inputs > 0 &&
        static_cast<int>(cur.inputs.size()) >= options_.max_split_inputs)
      for (Index src : node.sources)
        if (needs_copy(scenario_, options_, src, node.backend) && !copy_of_.count({src, node.backend}))
          return true;
    return false;
  }

  SourceRef rewrite(Index src, Split& split) {
    if (scenario_.tensors[src].role == TensorRole::user_input && plan_.n_copies > 1 &&
        std::find(plan_.graph_inputs.begin(), plan_.graph_inputs.end(), src) ==
            plan_.graph_inputs.end())
      plan_.graph_inputs.push_back(src);
    if (!needs_copy(scenario_, options_, src, split.backend)) return {src, kNone};
    auto key = std::make_pair(src, split.backend);
    auto it = copy_of_.find(key);
    if (it == copy_of_.end()) {
      Index c = static_cast<Index>(plan_.copies.size());
      plan_.copies.push_back(
          {src, split.backend,
           scenario_.backends[split.backend].name + "#" + scenario_.tensors[src].name});
      it = copy_of_.emplace(key, c).first;
      split.inputs.push_back({src, c, input_kind(scenario_, src)});
    }
    return {src, it->second};
  }

  // A dump gives the input order; it must list exactly the inputs the graph needs.
  void apply_given_input_order() {
    for (std::size_t k = 0; k < plan_.splits.size(); ++k) {
      const auto& given = (*scenario_.given_splits)[k];
      if (!given.inputs) continue;
      Split& split = plan_.splits[k];
      std::vector<SplitInput> ordered;
      const std::string where = "/splits/" + std::to_string(k) + "/inputs";
      for (std::size_t j = 0; j < given.inputs->size(); ++j) {
        Index src = (*given.inputs)[j];
        auto it = std::find_if(split.inputs.begin(), split.inputs.end(),
                               [&](const SplitInput& in) { return in.source == src; });
        if (it == split.inputs.end())
          throw ScenarioError(
              scenario_.file, where + "/" + std::to_string(j),
              "\"" + scenario_.tensors[src].name +
                  "\" is not an input of this split: " + describe_why_not(src, split));
        ordered.push_back(*it);
      }
      for (const auto& in : split.inputs)
        if (std::none_of(ordered.begin(), ordered.end(),
                         [&](const SplitInput& o) { return o.source == in.source; }))
          throw ScenarioError(scenario_.file, where,
                              "missing input \"" + scenario_.tensors[in.source].name +
                                  "\": a node of "
                                  "this split reads it from backend " +
                                  scenario_.backends[tensor_backend(scenario_, in.source)].name +
                                  " and no earlier split on " +
                                  scenario_.backends[split.backend].name + " copied it");
      split.inputs = std::move(ordered);
    }
  }

  std::string describe_why_not(Index src, const Split& split) const {
    if (!needs_copy(scenario_, options_, src, split.backend))
      return "backend " + scenario_.backends[split.backend].name + " reads it in place";
    return "an earlier split on " + scenario_.backends[split.backend].name +
           " already copied it, or no "
           "node of this split reads it";
  }

  void check_split_order() const {
    std::vector<SplitEdge> edges;
    for (Index k = 0; k < static_cast<Index>(plan_.splits.size()); ++k)
      for (const auto& in : plan_.splits[k].inputs) {
        Index producer = scenario_.tensors[in.source].producer;
        if (producer != kNone && scenario_.tensors[in.source].role == TensorRole::node_output)
          edges.push_back({plan_.node_split[producer], k});
      }
    if (auto problem = check_split_dag(static_cast<int>(plan_.splits.size()), edges))
      throw ScenarioError(scenario_.file, scenario_.given_splits ? "/splits" : "/graph", *problem);
  }

  const Scenario& scenario_;
  const SplitOptions& options_;
  SplitPlan plan_;
  std::map<std::pair<Index, Index>, Index> copy_of_;
};

}  // namespace

SplitPlan form_splits(const Scenario& s, const SplitOptions& options) {
  return SplitBuilder(s, options).build();
}

}  // namespace schedcheck
