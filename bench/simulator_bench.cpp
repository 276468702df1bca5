// Simulator throughput: operations (executor calls: accesses, waits, records) checked per
// second on one core, on the canonical two-GPU pipeline-parallel scenario scaled to
// 400 ubatches (> 10,000 operations per replay), under a clean and a racy policy.
#include <benchmark/benchmark.h>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace {

using namespace schedcheck;

Scenario scaled_two_gpu(int ubatches) {
  Scenario s =
      load_scenario_file(std::string(SCHEDCHECK_SOURCE_DIR) + "/reports/canonical/two-gpu-pp.json");
  s.driver.ubatches_per_batch.assign(static_cast<std::size_t>(ubatches) / 8, 8);
  for (auto& b : s.buffers)
    if (b.name == "logits") b.size = 8 * 1024;
  return s;
}

void replay_policy(benchmark::State& state, const char* policy, bool explain_findings) {
  const Scenario s = scaled_two_gpu(static_cast<int>(state.range(0)));
  const Policy& p = *find_builtin_policy(policy);
  std::size_t operations = 0, accesses = 0;
  for (auto _ : state) {
    ReplayResult r = replay(s, p);
    if (explain_findings) benchmark::DoNotOptimize(explain(r));
    operations += r.trace.size();
    accesses += r.accesses;
    benchmark::DoNotOptimize(r.findings.data());
  }
  state.counters["operations/s"] =
      benchmark::Counter(static_cast<double>(operations), benchmark::Counter::kIsRate);
  state.counters["accesses/s"] =
      benchmark::Counter(static_cast<double>(accesses), benchmark::Counter::kIsRate);
  state.counters["operations/replay"] =
      static_cast<double>(operations) / static_cast<double>(state.iterations());
}

void BM_ReplayClean20793(benchmark::State& state) {
  replay_policy(state, "ggml-20793", false);
}
void BM_ReplayRacy17795(benchmark::State& state) {
  replay_policy(state, "ggml-17795", false);
}
void BM_ReplayAndExplainRacy17795(benchmark::State& state) {
  replay_policy(state, "ggml-17795", true);
}

BENCHMARK(BM_ReplayClean20793)->Arg(400)->Arg(4000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayRacy17795)->Arg(400)->Arg(4000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayAndExplainRacy17795)->Arg(400)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
