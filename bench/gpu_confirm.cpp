// GPU benchmark (run on the device): the time to confirm one predicted race on the GPU
// (median over runs of the targeted delay plan) against the simulator's time for the same
// scenario (median over replays), printed as a table with their ratio.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "real/real_run.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace {

using namespace schedcheck;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!cuda_available(&why)) {
    std::cerr << "gpu_confirm: " << why << "\n";
    return 3;
  }
  const std::string dir = argc > 1 ? argv[1] : "reports/canonical";
  const std::vector<std::pair<std::string, std::string>> cases{
      {dir + "/two-gpu-pp.json", "ggml-17795"}, {dir + "/two-gpu-pp.json", "ggml-26040"}};
  std::cout << fmt::format("{:<28} {:<12} {:>6} {:>14} {:>16} {:>10} {:>9}\n", "scenario", "policy",
                           "runs", "simulator (ms)", "GPU confirm (ms)", "GPU/sim", "confirmed");
  for (const auto& [file, name] : cases) {
    const Scenario s = load_scenario_file(file);
    const Policy& policy = *find_builtin_policy(name);
    std::vector<double> sim_ms;
    for (int i = 0; i < 50; ++i) {
      const auto t = Clock::now();
      const PolicyVerdict v = explain(replay(s, policy));
      sim_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    }
    const ReplayResult sim = replay(s, policy);
    const PolicyVerdict verdict = explain(sim);
    const DelayPlan plan = targeted_plan(sim, verdict.groups.front().first);
    run_on_gpu(s, policy, plan);  // warm-up: CUDA context, module load
    std::vector<double> gpu_ms;
    int confirmed = 0;
    const int runs = 20;
    for (int i = 0; i < runs; ++i) {
      const RealRunResult r = run_on_gpu(s, policy, plan);
      gpu_ms.push_back(r.seconds * 1e3);
      confirmed += !r.mismatches.empty();
    }
    const double sim_median = median(sim_ms), gpu_median = median(gpu_ms);
    std::cout << fmt::format("{:<28} {:<12} {:>6} {:>14.3f} {:>16.1f} {:>10.0f} {:>6}/{}\n", s.name,
                             name, runs, sim_median, gpu_median, gpu_median / sim_median, confirmed,
                             runs);
  }
  return 0;
}
