#include "scenario/graph_dag.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

namespace schedcheck {
namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

struct BackEdgeFound {
  Vertex from;
  Vertex to;
};

struct CycleVisitor : boost::default_dfs_visitor {
  std::vector<Vertex>* parent;
  template <typename Edge, typename G>
  void tree_edge(Edge e, const G& g) const {
    (*parent)[boost::target(e, g)] = boost::source(e, g);
  }
  template <typename Edge, typename G>
  void back_edge(Edge e, const G& g) const {
    throw BackEdgeFound{boost::source(e, g), boost::target(e, g)};
  }
};

// Returns the cycle as a vertex path (first == last), or empty if the graph is acyclic.
std::vector<Vertex> find_cycle(const Graph& g) {
  std::vector<Vertex> parent(boost::num_vertices(g));
  for (Vertex v = 0; v < parent.size(); ++v) parent[v] = v;
  CycleVisitor vis;
  vis.parent = &parent;
  try {
    boost::depth_first_search(g, boost::visitor(vis));
  } catch (const BackEdgeFound& found) {
    std::vector<Vertex> path{found.to};
    for (Vertex v = found.from; v != found.to; v = parent[v]) path.insert(path.begin() + 1, v);
    path.push_back(found.to);
    return path;
  }
  return {};
}

}  // namespace

std::optional<DagProblem> check_node_dag(const Scenario& s) {
  const auto n = s.nodes.size();
  Graph g(n);
  std::vector<std::pair<Index, Index>> edges;
  for (Index v = 0; v < static_cast<Index>(n); ++v) {
    for (Index t : s.nodes[v].sources) {
      const Tensor& tensor = s.tensors[t];
      if (tensor.role == TensorRole::node_output) {
        if (tensor.producer != kNone) edges.emplace_back(tensor.producer, v);
        continue;
      }
      // Persistent tensors: the last writer earlier in graph order, if any.
      for (Index u = v - 1; u >= 0; --u)
        if (s.nodes[u].output == t) {
          edges.emplace_back(u, v);
          break;
        }
    }
  }
  for (auto [u, v] : edges) boost::add_edge(u, v, g);

  if (auto cycle = find_cycle(g); !cycle.empty()) {
    std::string text;
    for (Vertex v : cycle) text += (text.empty() ? "" : " -> ") + s.nodes[v].name;
    return DagProblem{"the graph has a cycle: " + text, static_cast<Index>(cycle.front())};
  }
  for (auto [u, v] : edges)
    if (u > v)
      return DagProblem{"node \"" + s.nodes[v].name + "\" reads \"" +
                            s.tensors[s.nodes[u].output].name + "\", which node \"" +
                            s.nodes[u].name +
                            "\" produces later in graph order (nodes must be listed in a "
                            "topological order)",
                        v};
  return std::nullopt;
}

std::optional<std::string> check_split_dag(int n_splits, const std::vector<SplitEdge>& edges) {
  Graph g(n_splits);
  for (const auto& e : edges) {
    if (e.from >= e.to)
      return "split " + std::to_string(e.to) + " consumes an input produced by split " +
             std::to_string(e.from) + ", which does not run before it";
    boost::add_edge(e.from, e.to, g);
  }
  std::vector<Vertex> order;
  try {
    boost::topological_sort(g, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    return std::string("the split graph has a cycle");
  }
  return std::nullopt;
}

}  // namespace schedcheck
