#include "properties/differential_search.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "properties/counterexample_search.hpp"

namespace schedcheck {
namespace {

using Clock = std::chrono::steady_clock;

bool diverges(const ScenarioSpec& spec, const Policy& model, const Policy& real) {
  const Scenario s = synthesize(spec);
  try {
    return !differential(s, model, real).agree();
  } catch (const std::exception&) {
    return false;  // a case the bridge cannot run is not the divergence being shrunk
  }
}

// Single removals while the divergence stays: a 1-minimal divergent spec.
ScenarioSpec shrink(ScenarioSpec spec, const Policy& model, const Policy& real) {
  for (bool progress = true; progress;) {
    progress = false;
    for (const ScenarioSpec& smaller : single_removals(spec))
      if (diverges(smaller, model, real)) {
        spec = smaller;
        progress = true;
        break;
      }
  }
  return spec;
}

}  // namespace

std::vector<DifferentialRun> differential_search(
    const std::vector<std::pair<Policy, Policy>>& pairs, int cases, uint64_t seed, int jobs) {
  // RapidCheck's generators keep global state: generate here, replay on the workers.
  std::vector<ScenarioSpec> specs;
  for (int i = 0; i < cases; ++i) specs.push_back(generate_case(seed, i));
  std::vector<DifferentialRun> runs;
  for (const auto& pair : pairs) {
    const Policy& model = pair.first;  // named, not bound: lambdas capture them (Clang 14)
    const Policy& real = pair.second;
    DifferentialRun run;
    run.model = model;
    run.real = real;
    run.cases = cases;
    std::mutex mutex;
    std::vector<int> divergent;
    auto worker = [&](int w) {
      double model_s = 0, real_s = 0;
      for (int i = w; i < cases; i += jobs) {
        const Scenario s = synthesize(specs[i], "generated-" + std::to_string(i));
        const auto t0 = Clock::now();
        const ReplayResult m = replay(s, model);
        const auto t1 = Clock::now();
        std::optional<ReplayResult> r;
        try {
          r = replay(s, real);
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(mutex);
          ++run.failed;
          if (run.first_failed_case < 0 || i < run.first_failed_case) {
            run.first_failed_case = i;
            run.first_failure = e.what();
          }
          continue;
        }
        const auto t2 = Clock::now();
        model_s += std::chrono::duration<double>(t1 - t0).count();
        real_s += std::chrono::duration<double>(t2 - t1).count();
        if (!differential(m, *r).agree()) {
          std::lock_guard<std::mutex> lock(mutex);
          divergent.push_back(i);
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      run.model_seconds += model_s;
      run.real_seconds += real_s;
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < jobs; ++w) threads.emplace_back(worker, w);
    worker(0);
    for (std::thread& t : threads) t.join();
    run.divergent = static_cast<int>(divergent.size());
    if (!divergent.empty()) {
      const int first = *std::min_element(divergent.begin(), divergent.end());
      DivergentCase c;
      c.case_index = first;
      c.shrunk = shrink(specs[first], model, real);
      c.scenario = synthesize(c.shrunk, "divergence-" + model.name + "-case-" + std::to_string(first));
      c.result = differential(c.scenario, model, real);
      run.first = std::move(c);
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace schedcheck
