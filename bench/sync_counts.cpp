// Host-blocking synchronizations per ubatch of every built-in policy (the six ggml versions and
// schedcheck-min) on the canonical scenarios, the sync-bound benchmark scenarios and generated
// scenarios, as a Markdown table (docs/policies.md). Usage: sync_counts [CASES] [SEED] [SAVE_DIR]
// SAVE_DIR: also write the sync-bound scenarios (2 decodes x 8 ubatches) there as JSON files.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/sync_bound_scenarios.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "sim/sync_analysis.hpp"

namespace schedcheck {
namespace {

struct Count {
  int host_blocking = 0;
  bool clean = true;
};

Count count(const Scenario& s, const Policy& p) {
  const ReplayResult r = replay(s, p);
  Count c;
  c.host_blocking = host_blocking_syncs(r.calls);
  c.clean = r.findings.empty();
  return c;
}

int minimal_host_blocking(const Scenario& s, const Policy& p) {
  const SyncAnalysis a = analyze_syncs(s, p);
  int n = 0;
  for (const SyncVerdict& v : a.syncs)
    if (v.host_blocking && std::find(a.minimal_set.begin(), a.minimal_set.end(), v.call.sync_id) !=
                               a.minimal_set.end())
      ++n;
  return n;
}

void fixed_scenario_row(const Scenario& s) {
  const double evals = s.total_evaluations();
  std::string row = fmt::format("| {} |", s.name);
  for (const Policy& p : builtin_policies()) {
    const Count c = count(s, p);
    row += fmt::format(" {:.2f}{} |", c.host_blocking / evals, c.clean ? "" : " (races)");
  }
  row += fmt::format(" {:.2f} |",
                     minimal_host_blocking(s, *find_builtin_policy("ggml-20793")) / evals);
  std::cout << row << "\n";
}

}  // namespace
}  // namespace schedcheck

int main(int argc, char** argv) {
  using namespace schedcheck;
  const int cases = argc > 1 ? std::atoi(argv[1]) : 2000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  if (argc > 3)
    for (const Scenario& s : sync_bound_scenarios(2, 8)) {
      const auto file = std::filesystem::path(argv[3]) / (s.name + ".json");
      if (std::filesystem::exists(file)) {
        std::cerr << "sync_counts: " << file.string() << " exists; not overwritten\n";
        return 2;
      }
      std::ofstream(file) << save_scenario(s).dump(2) << "\n";
    }
  std::string header = "| scenario |", rule = "|---|";
  for (const Policy& p : builtin_policies()) {
    header += " " + p.name + " |";
    rule += "---|";
  }
  std::cout << header << " minimal set of ggml-20793's run |\n" << rule << "---|\n";
  for (const char* name : {"single-gpu", "two-gpu-pp"})
    fixed_scenario_row(load_scenario_file(std::string(SCHEDCHECK_SOURCE_DIR) +
                                          "/reports/canonical/" + name + ".json"));
  for (const Scenario& s : sync_bound_scenarios(2, 8)) fixed_scenario_row(s);

  // Generated scenarios: host-blocking synchronizations per ubatch, averaged over the cases.
  std::vector<double> sum(builtin_policies().size(), 0);
  std::vector<int> racy(builtin_policies().size(), 0);
  for (int i = 0; i < cases; ++i) {
    const Scenario s = synthesize(generate_case(seed, i));
    const double evals = s.total_evaluations();
    for (std::size_t k = 0; k < builtin_policies().size(); ++k) {
      const Count c = count(s, builtin_policies()[k]);
      sum[k] += c.host_blocking / evals;
      racy[k] += !c.clean;
    }
  }
  std::string row = fmt::format("| {} generated (seed {}), mean |", cases, seed);
  for (std::size_t k = 0; k < sum.size(); ++k)
    row += fmt::format(" {:.2f} ({} racy) |", sum[k] / cases, racy[k]);
  std::cout << row << " - |\n";
  return 0;
}
