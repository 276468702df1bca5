#include "properties/counterexample_search.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "properties/scenario_generators.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// RapidCheck's size grows with the case index, capped at its nominal size.
int case_size(int case_index) {
  return std::min(case_index, rc::kNominalSize);
}

bool keeps(const ScenarioSpec& spec, const Policy& policy, Mechanism mechanism) {
  const auto found = finding_mechanisms(spec, policy);
  return std::find(found.begin(), found.end(), mechanism) != found.end();
}

}  // namespace

uint64_t case_seed(uint64_t seed, int case_index) {
  // splitmix64 of the pair: nearby seeds and cases give unrelated streams.
  uint64_t z =
      seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(case_index) + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static rc::Shrinkable<ScenarioSpec> case_shrinkable(uint64_t seed, int case_index) {
  return gen_scenario_spec()(rc::Random(case_seed(seed, case_index)), case_size(case_index));
}

ScenarioSpec generate_case(uint64_t seed, int case_index) {
  return case_shrinkable(seed, case_index).value();
}

std::vector<Mechanism> finding_mechanisms(const ScenarioSpec& spec, const Policy& policy) {
  const PolicyVerdict v = explain(replay(synthesize(spec), policy));
  std::vector<Mechanism> out;
  for (const auto& g : v.groups)
    if (std::find(out.begin(), out.end(), g.mechanism) == out.end()) out.push_back(g.mechanism);
  return out;
}

std::vector<ScenarioSpec> single_removals(const ScenarioSpec& spec) {
  std::vector<ScenarioSpec> out;
  for (std::size_t k = 0; k < spec.splits.size(); ++k) {
    ScenarioSpec s = spec;
    s.splits.erase(s.splits.begin() + static_cast<long>(k));
    out.push_back(s);
  }
  for (std::size_t k = 0; k < spec.splits.size(); ++k)
    for (std::size_t i = 0; i < spec.splits[k].inputs.size(); ++i) {
      ScenarioSpec s = spec;
      s.splits[k].inputs.erase(s.splits[k].inputs.begin() + static_cast<long>(i));
      out.push_back(s);
    }
  for (std::size_t b = 0; b < spec.ubatches.size(); ++b) {
    ScenarioSpec s = spec;
    if (s.ubatches[b] > 1) {
      --s.ubatches[b];
    } else {
      s.ubatches.erase(s.ubatches.begin() + static_cast<long>(b));
    }
    out.push_back(s);
  }
  if (spec.gpus.size() > 1)
    for (std::size_t g = 0; g < spec.gpus.size(); ++g) {
      ScenarioSpec s = spec;
      s.gpus.erase(s.gpus.begin() + static_cast<long>(g));
      for (SplitSpec& sp : s.splits)  // keep every split on the backend it was on, or the next one
        if (sp.backend > static_cast<int>(g)) --sp.backend;
      out.push_back(s);
    }
  if (spec.blas) {
    ScenarioSpec s = spec;
    s.blas = false;
    out.push_back(s);
  }
  return out;
}

int minimize_by_removal(ScenarioSpec& spec, const Policy& policy, Mechanism mechanism) {
  int steps = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (ScenarioSpec& candidate : single_removals(spec))
      if (keeps(candidate, policy, mechanism)) {
        spec = std::move(candidate);
        ++steps;
        progress = true;
        break;
      }
  }
  return steps;
}

namespace {

Counterexample shrink_case(const Policy& policy, uint64_t seed, int case_index,
                           Mechanism mechanism) {
  const auto start = Clock::now();
  Counterexample c;
  c.seed = seed;
  c.case_index = case_index;
  c.mechanism = mechanism;
  rc::Shrinkable<ScenarioSpec> current = case_shrinkable(seed, case_index);
  c.original = current.value();
  // Greedy descent through RapidCheck's shrink tree: take the first shrink that still shows
  // the mechanism, until none does.
  for (bool improved = true; improved;) {
    improved = false;
    auto shrinks = current.shrinks();
    while (auto candidate = shrinks.next()) {
      if (!keeps(candidate->value(), policy, mechanism)) continue;
      current = *candidate;
      ++c.shrink_steps;
      improved = true;
      break;
    }
  }
  c.shrunk = current.value();
  c.shrink_steps += minimize_by_removal(c.shrunk, policy, mechanism);
  c.scenario = synthesize(c.shrunk, "counterexample-" + policy.name + "-" +
                                            std::string(to_string(mechanism)));
  c.verdict = explain(replay(c.scenario, policy));
  c.size = spec_size(c.scenario);
  c.original_size = spec_size(synthesize(c.original));
  c.shrink_seconds = since(start);
  return c;
}

}  // namespace

PolicySearch search_policy(const Policy& policy, const SearchOptions& o) {
  PolicySearch result;
  result.policy = policy;
  const auto start = Clock::now();
  // This shard's cases, in order: i = shard_index, shard_index + shard_count, ...
  auto case_at = [&](long long k) { return static_cast<int>(k * o.shard_count + o.shard_index); };
  const long long shard_cases =
      o.cases > o.shard_index ? (o.cases - o.shard_index + o.shard_count - 1) / o.shard_count : 0;

  // Waves of cases in parallel; results are taken in case order, as with one job.
  std::vector<std::pair<int, Mechanism>> firsts;  // (case, mechanism) in discovery order
  std::vector<double> found_at;
  const long long wave = static_cast<long long>(std::max(1, o.jobs)) * 8;
  bool done = false;
  for (long long w = 0; w < shard_cases && !done; w += wave) {
    if (o.time_budget_s > 0 && since(start) >= o.time_budget_s) {
      result.stopped_by_time = true;
      break;
    }
    const long long end = std::min(shard_cases, w + wave);
    // RapidCheck's generators keep global state: generate here, replay on the workers.
    std::vector<ScenarioSpec> specs;
    for (long long k = w; k < end; ++k) specs.push_back(generate_case(o.seed, case_at(k)));
    std::vector<std::vector<Mechanism>> mechanisms(specs.size());
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i; (i = next++) < specs.size();)
        mechanisms[i] = finding_mechanisms(specs[i], policy);
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < o.jobs; ++j) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < specs.size() && !done; ++i) {
      ++result.cases_run;
      for (const Mechanism m : mechanisms[i]) {
        if (std::any_of(firsts.begin(), firsts.end(), [&](const auto& f) { return f.second == m; }))
          continue;
        firsts.emplace_back(case_at(w + static_cast<long long>(i)), m);
        found_at.push_back(since(start));
      }
      done = o.first_only && !firsts.empty();
    }
  }
  for (std::size_t k = 0; k < firsts.size(); ++k) {
    Counterexample c = shrink_case(policy, o.seed, firsts[k].first, firsts[k].second);
    c.find_seconds = found_at[k];
    result.found.push_back(std::move(c));
  }
  result.seconds = since(start);
  return result;
}

}  // namespace schedcheck
