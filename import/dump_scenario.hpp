// A parsed dump as a scenario (`splits` form): the graph's splits, nodes and inputs as the dump
// shows them; what it does not show (sizes below fmt_size's unit, buffer kinds, pipeline
// parallelism, ubatches, outputs) from documented defaults and flags. Every such choice is an
// assumption, listed in the result and in the scenario's description (docs/import.md).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "import/sched_dump.hpp"

namespace schedcheck::import {

struct ImportOptions {
  std::string source;           // the dump's file name, for the description
  std::string name;             // the scenario's name
  std::optional<int> n_copies;  // --n-copies
  int ubatches = 6;             // --ubatches: evaluations of one decode
  std::optional<bool> pinned;   // --pinned / --pageable: the CPU backend's compute buffer
  std::map<std::string, std::string> kinds;  // --kind NAME=KIND
  std::optional<int> graph;                  // --graph K (1-based); default: the last printout
  int n_expert = 8;                          // --n-expert: MUL_MAT_ID's experts
};

// The dump cannot become a scenario (no split, an unknown backend kind, a bad option).
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImportResult {
  nlohmann::ordered_json scenario;
  std::vector<std::string> assumptions;
  int graph = 0;  // 1-based printout used
  int splits = 0;
  int nodes = 0;
  bool synthesized_nodes = false;  // a split without node lines got a stand-in node
};

// Throws ImportError; ScenarioError if the scenario made does not load (a bug of the importer).
// The scenario is checked against the model's split formation: a split's `inputs` that the
// model forms differently are taken out, each removal an assumption.
ImportResult dump_to_scenario(const SchedDump& dump, const ImportOptions& options);

}  // namespace schedcheck::import
