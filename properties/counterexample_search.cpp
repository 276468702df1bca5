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

// What shrinking keeps: a mechanism, or one variant of it.
struct ShrinkTarget {
  Mechanism mechanism = Mechanism::other;
  std::optional<FindingVariant> variant;

  bool kept_by(const ScenarioSpec& spec, const Policy& policy) const {
    const auto found = finding_variants(spec, policy);
    return std::any_of(found.begin(), found.end(), [&](const FindingVariant& v) {
      return variant ? v == *variant : v.mechanism == mechanism;
    });
  }
};

}  // namespace

uint64_t case_seed(uint64_t seed, int case_index) {
  // splitmix64 of the pair: nearby seeds and cases give unrelated streams.
  uint64_t z =
      seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(case_index) + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static rc::Shrinkable<ScenarioSpec> case_shrinkable(uint64_t seed, int case_index,
                                                    const std::string& shape) {
  const rc::Gen<ScenarioSpec> gen = shape.empty() ? gen_scenario_spec() : gen_shape(shape);
  return gen(rc::Random(case_seed(seed, case_index)), case_size(case_index));
}

ScenarioSpec generate_case(uint64_t seed, int case_index, const std::string& shape) {
  return case_shrinkable(seed, case_index, shape).value();
}

std::vector<FindingVariant> finding_variants(const ScenarioSpec& spec, const Policy& policy) {
  return finding_variants(replay(synthesize(spec), policy));
}

// The variants come in report order, so their mechanisms do too (no need for explain()).
std::vector<Mechanism> finding_mechanisms(const ScenarioSpec& spec, const Policy& policy) {
  std::vector<Mechanism> out;
  for (const FindingVariant& v : finding_variants(spec, policy))
    if (std::find(out.begin(), out.end(), v.mechanism) == out.end()) out.push_back(v.mechanism);
  return out;
}

// A tensor-parallel spec one step smaller: a block, a device, a part of a block or of the graph.
std::vector<ScenarioSpec> tensor_parallel_removals(const ScenarioSpec& spec) {
  std::vector<ScenarioSpec> out;
  const TensorParallelSpec& tp = spec.tensor_parallel;
  for (std::size_t k = 0; tp.blocks.size() > 1 && k < tp.blocks.size(); ++k) {
    ScenarioSpec s = spec;
    s.tensor_parallel.blocks.erase(s.tensor_parallel.blocks.begin() + static_cast<long>(k));
    out.push_back(s);
  }
  if (tp.devices > 2) {
    ScenarioSpec s = spec;
    --s.tensor_parallel.devices;
    s.gpus.pop_back();
    out.push_back(s);
  }
  for (std::size_t k = 0; k < tp.blocks.size(); ++k)
    for (bool TpBlockSpec::*part :
         {&TpBlockSpec::attention, &TpBlockSpec::gated, &TpBlockSpec::norm})
      if (tp.blocks[k].*part) {
        ScenarioSpec s = spec;
        s.tensor_parallel.blocks[k].*part = false;
        out.push_back(s);
      }
  for (bool TensorParallelSpec::*part :
       {&TensorParallelSpec::cpu_embedding, &TensorParallelSpec::output_head})
    if (tp.*part) {
      ScenarioSpec s = spec;
      s.tensor_parallel.*part = false;
      out.push_back(s);
    }
  return out;
}

// One ubatch fewer in each batch (a batch of one ubatch goes).
void ubatch_removals(const ScenarioSpec& spec, std::vector<ScenarioSpec>& out) {
  for (std::size_t b = 0; b < spec.ubatches.size(); ++b) {
    ScenarioSpec s = spec;
    if (s.ubatches[b] > 1) {
      --s.ubatches[b];
    } else {
      s.ubatches.erase(s.ubatches.begin() + static_cast<long>(b));
    }
    out.push_back(s);
  }
}

std::vector<ScenarioSpec> single_removals(const ScenarioSpec& spec) {
  std::vector<ScenarioSpec> out;
  if (spec.tensor_parallel.devices >= 2) {  // the splits and GPUs of the spec are not used
    out = tensor_parallel_removals(spec);
    ubatch_removals(spec, out);
    return out;
  }
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
  ubatch_removals(spec, out);
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

namespace {

int minimize(ScenarioSpec& spec, const Policy& policy, const ShrinkTarget& target) {
  int steps = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (ScenarioSpec& candidate : single_removals(spec))
      if (target.kept_by(candidate, policy)) {
        spec = std::move(candidate);
        ++steps;
        progress = true;
        break;
      }
  }
  return steps;
}

}  // namespace

int minimize_by_removal(ScenarioSpec& spec, const Policy& policy, Mechanism mechanism) {
  return minimize(spec, policy, ShrinkTarget{mechanism, std::nullopt});
}

namespace {

// The variant a scenario shows for `mechanism` (it shows one: shrinking kept the mechanism).
FindingVariant variant_shown(const ScenarioSpec& spec, const Policy& policy, Mechanism mechanism) {
  for (FindingVariant& v : finding_variants(spec, policy))
    if (v.mechanism == mechanism) return std::move(v);
  FindingVariant none;
  none.mechanism = mechanism;
  return none;
}

Counterexample shrink_case(const Policy& policy, uint64_t seed, int case_index,
                           const std::string& shape, const ShrinkTarget& target) {
  const auto start = Clock::now();
  Counterexample c;
  c.seed = seed;
  c.case_index = case_index;
  c.mechanism = target.mechanism;
  rc::Shrinkable<ScenarioSpec> current = case_shrinkable(seed, case_index, shape);
  c.original = current.value();
  // Greedy descent through RapidCheck's shrink tree: take the first shrink that still shows
  // the target, until none does.
  for (bool improved = true; improved;) {
    improved = false;
    auto shrinks = current.shrinks();
    while (auto candidate = shrinks.next()) {
      if (!target.kept_by(candidate->value(), policy)) continue;
      current = *candidate;
      ++c.shrink_steps;
      improved = true;
      break;
    }
  }
  c.shrunk = current.value();
  c.shrink_steps += minimize(c.shrunk, policy, target);
  c.variant_kept = target.variant.has_value();
  c.variant = c.variant_kept ? *target.variant : variant_shown(c.shrunk, policy, c.mechanism);
  c.scenario = synthesize(
      c.shrunk, "counterexample-" + policy.name + "-" +
                    (c.variant_kept ? slug(c.variant) : std::string(to_string(c.mechanism))));
  c.verdict = explain(replay(c.scenario, policy));
  c.size = spec_size(c.scenario);
  c.original_size = spec_size(synthesize(c.original));
  c.shrink_seconds = since(start);
  return c;
}

}  // namespace

namespace {

// The variants of every spec, replayed on `jobs` threads.
std::vector<std::vector<FindingVariant>> replay_wave(const std::vector<ScenarioSpec>& specs,
                                                     const Policy& policy, int jobs) {
  std::vector<std::vector<FindingVariant>> variants(specs.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < specs.size();)
      variants[i] = finding_variants(specs[i], policy);
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return variants;
}

// The first case that showed a variant the search keeps, and what its shrinking keeps.
struct Discovery {
  int case_index = 0;
  ShrinkTarget target;
  double found_at = 0;
};

// Takes the variants of the cases in case order: a variant not seen before is kept while its
// mechanism has fewer than max_variants kept, else it is only listed as not kept.
class VariantTally {
 public:
  explicit VariantTally(int max_variants) : max_variants_(std::max(1, max_variants)) {}

  void take(int case_index, const std::vector<FindingVariant>& variants, double found_at) {
    for (const FindingVariant& v : variants) {
      if (std::find(seen_.begin(), seen_.end(), v) != seen_.end()) continue;
      seen_.push_back(v);
      const auto same_mechanism = [&](const Discovery& d) {
        return d.target.mechanism == v.mechanism;
      };
      if (std::count_if(kept_.begin(), kept_.end(), same_mechanism) >= max_variants_) {
        not_kept_.push_back(v);
        continue;
      }
      // One variant per mechanism: shrink keeping the mechanism alone, as before variants.
      std::optional<FindingVariant> keep;
      if (max_variants_ > 1) keep = v;
      kept_.push_back({case_index, ShrinkTarget{v.mechanism, std::move(keep)}, found_at});
    }
  }
  const std::vector<Discovery>& kept() const { return kept_; }
  const std::vector<FindingVariant>& not_kept() const { return not_kept_; }

 private:
  int max_variants_;
  std::vector<FindingVariant> seen_;
  std::vector<Discovery> kept_;
  std::vector<FindingVariant> not_kept_;
};

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
  VariantTally tally(o.max_variants);
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
    for (long long k = w; k < end; ++k) specs.push_back(generate_case(o.seed, case_at(k), o.shape));
    const auto variants = replay_wave(specs, policy, o.jobs);
    for (std::size_t i = 0; i < specs.size() && !done; ++i) {
      ++result.cases_run;
      tally.take(case_at(w + static_cast<long long>(i)), variants[i], since(start));
      done = o.first_only && !tally.kept().empty();
    }
  }
  for (const Discovery& d : tally.kept()) {
    Counterexample c = shrink_case(policy, o.seed, d.case_index, o.shape, d.target);
    c.find_seconds = d.found_at;
    result.found.push_back(std::move(c));
  }
  result.not_kept = tally.not_kept();
  result.seconds = since(start);
  return result;
}

}  // namespace schedcheck
