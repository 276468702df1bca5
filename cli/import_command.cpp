// `schedcheck import DUMP`: a pasted GGML_SCHED_DEBUG dump as a scenario file (import/), with
// every line it could not use and every assumption said, and how to replay it.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "import/dump_parser.hpp"
#include "import/dump_scenario.hpp"
#include "scenario/json/strict_reader.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck {
namespace {

std::string lines_text(const import::UnusedLines& u) {
  return u.first == u.last ? std::to_string(u.first)
                           : std::to_string(u.first) + "-" + std::to_string(u.last);
}

std::optional<import::ImportOptions> options_of(const ImportArgs& a, const std::string& stem) {
  import::ImportOptions o;
  o.source = std::filesystem::path(a.dump).filename().string();
  o.name = stem;
  o.n_copies = a.n_copies;
  o.ubatches = a.ubatches;
  o.graph = a.graph;
  o.n_expert = a.n_expert;
  if (a.pinned && a.pageable) {
    std::cerr << "schedcheck: import: --pinned and --pageable contradict each other\n";
    return std::nullopt;
  }
  if (a.pinned || a.pageable) o.pinned = a.pinned;
  for (const std::string& k : a.kinds) {
    const std::size_t eq = k.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == k.size()) {
      std::cerr << "schedcheck: import: --kind \"" << k
                << "\": expected NAME=KIND (e.g. SYCL0=CUDA)\n";
      return std::nullopt;
    }
    o.kinds[k.substr(0, eq)] = k.substr(eq + 1);
  }
  return o;
}

}  // namespace

int run_import(const ImportArgs& a) {
  const std::string stem = std::filesystem::path(a.dump).stem().string();
  const std::string out = a.out.empty() ? stem + ".json" : a.out;
  const auto options = options_of(a, stem.empty() ? std::string("imported") : stem);
  if (!options) return kExitBadInput;
  if (std::filesystem::exists(out)) {
    std::cerr << "schedcheck: import: " << out
              << ": the file exists; choose a new name with --out\n";
    return kExitBadInput;
  }
  std::string text;
  try {
    text = json_format::read_text_file(a.dump);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: import: " << e.file() << ": " << e.message() << "\n";
    return kExitBadInput;
  }
  const import::SchedDump dump = import::parse_sched_dump(text);
  for (const auto& u : dump.unused)
    std::cerr << a.dump << ":" << lines_text(u) << ": " << (a.strict ? "error" : "skipped") << ": "
              << u.reason << "\n";
  if (a.strict && !dump.unused.empty()) {
    std::cerr << "schedcheck: import: " << dump.unused.size()
              << " part(s) of the paste cannot be used (--strict); nothing written\n";
    return kExitBadInput;
  }
  import::ImportResult r;
  try {
    r = import::dump_to_scenario(dump, *options);
  } catch (const import::ImportError& e) {
    std::cerr << "schedcheck: import: " << a.dump << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: import: " << a.dump
              << ": the scenario made from the dump does not load (please report this): "
              << e.what() << "\n";
    return kExitBadInput;
  }
  std::ofstream f(out);
  f << r.scenario.dump(2) << "\n";
  f.close();
  if (!f) {
    std::cerr << "schedcheck: import: " << out << ": cannot write\n";
    return kExitBadInput;
  }
  std::cout << "wrote " << out << ": printout " << r.graph << " of " << dump.graphs.size() << ", "
            << r.splits << " splits, " << r.nodes << " nodes, backends";
  for (const auto& b : r.scenario["backends"])
    std::cout << " " << b["name"].get<std::string>() << " (" << b["kind"].get<std::string>() << ")";
  std::cout << "\n";
  for (const std::string& n : dump.notes) std::cout << "read: " << n << "\n";
  std::cout << "assumed (also in the scenario's description):\n";
  for (const std::string& n : r.assumptions) std::cout << "  - " << n << "\n";
  std::cout << "replay it: schedcheck replay " << out << " --policy all\n"
            << "advice:    schedcheck advise " << out << " --policy ggml-26040\n";
  return kExitClean;
}

}  // namespace schedcheck
