// The real-ggml bridge's two costs, one run: building the plugins of all seven trees of the
// ggml bundle into an empty cache (the first use of each tree), and generated scenarios checked
// per second through each version's real scheduler next to its model, on one core.
// Usage: real_ggml_bench [CASES] [SEED]   (needs ../shared/upstream/ggml-versions.bundle)
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include <unistd.h>

#include "bridge/ggml_tree.hpp"
#include "bridge/plugin_build.hpp"
#include "bridge/real_policy.hpp"
#include "properties/counterexample_search.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int run(int cases, uint64_t seed) {
  if (!find_bundle()) {
    std::cerr << "real_ggml_bench: no ggml bundle (../shared/upstream/ggml-versions.bundle)\n";
    return 2;
  }
  const std::filesystem::path cache =
      std::filesystem::temp_directory_path() / ("schedcheck-bench-cache-" + std::to_string(getpid()));
  setenv("SCHEDCHECK_CACHE", cache.c_str(), 1);
  std::cout << "## Building the seven plugins from the bundle (empty cache, "
            << std::thread::hardware_concurrency() << " cores)\n\n| tree | compiled | seconds |\n|---|---|---|\n";
  const auto all = Clock::now();
  for (const std::string& tag : bundle_tags()) {
    const PluginBuild b = build_plugin(resolve_tree(tag), 4);
    std::cout << fmt::format("| {} | {} files | {:.1f} |\n", tag, b.objects_compiled, b.seconds);
  }
  std::cout << fmt::format("| all seven (extraction included) | | {:.1f} |\n\n", since(all));

  std::vector<Scenario> scenarios;
  for (int i = 0; i < cases; ++i) scenarios.push_back(synthesize(generate_case(seed, i)));
  // Plugins for every GGML_SCHED_MAX_COPIES the scenarios use are built before timing.
  std::cout << fmt::format("## {} generated scenarios (seed {}), one core\n\n", cases, seed)
            << "| version | model scenarios/s | real scheduler scenarios/s |\n|---|---|---|\n";
  for (const Policy& model : ggml_versions()) {
    const Policy& real = real_policy("ggml@" + model.name);
    for (int c = 1; c <= 4; ++c) {
      Scenario warm = scenarios.front();
      warm.scheduler.max_copies = c;
      replay(warm, real);
    }
    auto t = Clock::now();
    for (const Scenario& s : scenarios) replay(s, model);
    const double model_s = since(t);
    t = Clock::now();
    for (const Scenario& s : scenarios) replay(s, real);
    const double real_s = since(t);
    std::cout << fmt::format("| {} | {:.0f} | {:.0f} |\n", model.name, cases / model_s,
                             cases / real_s);
  }
  std::filesystem::remove_all(cache);
  return 0;
}

}  // namespace
}  // namespace schedcheck

int main(int argc, char** argv) {
  const int cases = argc > 1 ? std::atoi(argv[1]) : 2000;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  return schedcheck::run(cases, seed);
}
