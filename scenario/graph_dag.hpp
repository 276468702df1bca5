// The node dependency DAG of a scenario, held in Boost.Graph: cycle detection with the cycle
// spelled out, and the check that graph order is a topological order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

struct DagProblem {
  std::string message;
  Index node = kNone;  // the node the problem is reported at
};

// Edges: producer of each source (or the last earlier writer of a persistent tensor) -> reader.
// Returns the first problem found: a cycle (named node by node), or a read before the write.
std::optional<DagProblem> check_node_dag(const Scenario& s);

// Split-level DAG: split k depends on the splits producing its inputs. Returns a problem if
// some input is produced by the same or a later split (impossible for well-formed plans).
struct SplitEdge {
  Index from;
  Index to;
};
std::optional<std::string> check_split_dag(int n_splits, const std::vector<SplitEdge>& edges);

}  // namespace schedcheck
