// GPU benchmark of the required-sync issue (run on the device; docs/performance.md): host wall
// time per ubatch of each policy on the sync-bound scenarios, as a ratio to the same trace with
// every synchronization removed (an unsafe lower bound, timing only). All variants in one process,
// run after run in rotating order; each run's median over the ubatches after its first decode,
// and ratios paired within a round of runs (the machine's speed drifts between rounds).
// Usage: gpu_sync_bench [RUNS] [BATCHES] [UBATCHES] [CSV]  (CSV: every run's numbers, a new file)
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "bench/sync_bound_scenarios.hpp"
#include "driver/sync_count.hpp"
#include "model/policies/registry.hpp"
#include "real/real_run.hpp"
#include "sim/replay.hpp"
#include "sim/sync_analysis.hpp"

namespace {

using namespace schedcheck;

struct Variant {
  Policy policy;
  bool lower_bound = false;  // every synchronization removed: races, timing only
  int host_blocking = 0;     // in its trace
  bool predicted_clean = true;
  std::vector<double> run_median_us;  // per run: median host time per ubatch after warm-up
  std::vector<double> run_whole_us;   // per run: first call to final drain, per ubatch
  int wrong_reads = 0, reads = 0;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

// Distribution-free 95 % confidence interval of the median (order statistics, normal
// approximation of the binomial ranks).
std::pair<double, double> median_ci(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double n = static_cast<double>(v.size()), half = 0.98 * std::sqrt(n);
  const auto rank = [&](double r) {
    return static_cast<std::size_t>(std::clamp(r, 1.0, n)) - 1;  // 1-based rank to index
  };
  return {v[rank(std::floor(n / 2 - half))], v[rank(std::ceil(n / 2 + half + 1))]};
}

// One-sided sign test: the probability of at least `wins` of n under a fair coin.
double sign_test_p(int wins, int n) {
  double p = 0;
  for (int k = wins; k <= n; ++k)
    p += std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) -
                  n * std::log(2.0));
  return p;
}

// Per run: a / b, for variants measured in the same rounds.
std::vector<double> paired_ratios(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  for (std::size_t r = 0; r < a.size(); ++r) out.push_back(a[r] / b[r]);
  return out;
}

Policy without_syncs(const Scenario& s, const Policy& base) {
  Policy p = base;
  p.name = base.name + " without syncs";
  p.skipped_syncs.resize(static_cast<std::size_t>(count_syncs(s, base)));
  std::iota(p.skipped_syncs.begin(), p.skipped_syncs.end(), 0);
  return p;
}

Variant variant(Policy p, bool lower_bound = false) {
  Variant v;
  v.policy = std::move(p);
  v.lower_bound = lower_bound;
  return v;
}

std::vector<Variant> variants_for(const Scenario& s) {
  std::vector<Variant> out;
  for (const Policy& p : builtin_policies()) out.push_back(variant(p));
  // The instance minimal sets: the fastest correct run of each call sequence, so a gap between
  // schedcheck-min and the unsafe bound that its own minimal set shares is a wait every correct
  // run of that sequence needs, not waste.
  for (const char* name : {"ggml-20793", "schedcheck-min"}) {
    const Policy& base = *find_builtin_policy(name);
    out.push_back(variant(minimal_set_policy(base, analyze_syncs(s, base))));
  }
  out.push_back(variant(without_syncs(s, *find_builtin_policy("ggml-20793")), true));
  out.push_back(variant(without_syncs(s, *find_builtin_policy("schedcheck-min")), true));
  for (Variant& v : out) {
    const ReplayResult r = replay(s, v.policy);
    v.predicted_clean = r.findings.empty();
    v.host_blocking = host_blocking_syncs(r.calls);
  }
  return out;
}

void measure(const Scenario& s, int runs, int warmup_evals, std::ostream* csv) {
  std::vector<Variant> vs = variants_for(s);
  for (const Variant& v : vs) run_on_gpu(s, v.policy, DelayPlan{});  // warm-up
  for (int run = 0; run < runs; ++run)
    for (std::size_t i = 0; i < vs.size(); ++i) {
      Variant& v = vs[(i + static_cast<std::size_t>(run)) % vs.size()];  // rotate the order
      const RealRunResult r = run_on_gpu(s, v.policy, DelayPlan{});
      const auto& t = r.eval_start_seconds;
      std::vector<double> ubatch_us;
      for (std::size_t e = static_cast<std::size_t>(warmup_evals); e < t.size(); ++e) {
        const double end = e + 1 < t.size() ? t[e + 1] : r.finish_seconds;
        ubatch_us.push_back((end - t[e]) * 1e6);
      }
      v.run_median_us.push_back(percentile(ubatch_us, 0.5));
      v.run_whole_us.push_back((r.finish_seconds - t.front()) * 1e6 /
                               static_cast<double>(t.size()));
      v.wrong_reads += static_cast<int>(r.mismatches.size());
      v.reads += r.host_reads_checked;
      if (csv)
        *csv << fmt::format("{},{},{},{:.2f},{:.2f}\n", s.name, v.policy.name, run,
                            v.run_median_us.back(), v.run_whole_us.back());
    }
  // The lower bound of a run is the faster of the bound variants in the same round.
  std::vector<double> bound(static_cast<std::size_t>(runs), 1e300);
  for (const Variant& v : vs)
    if (v.lower_bound)
      for (int r = 0; r < runs; ++r)
        bound[r] = std::min(bound[r], v.run_median_us[static_cast<std::size_t>(r)]);
  const Variant& min = *std::find_if(
      vs.begin(), vs.end(), [](const Variant& v) { return v.policy.name == "schedcheck-min"; });
  std::cout << fmt::format(
      "\n{}: {} runs of every variant x {} ubatches ({} decodes); per run the median host time "
      "per ubatch after the first {} ubatches; ratios paired within a round of runs: median "
      "over rounds [95 % confidence interval of that median]; p: one-sided sign test of "
      "schedcheck-min being faster\n\n",
      s.name, runs, s.total_evaluations(), s.driver.ubatches_per_batch.size(), warmup_evals);
  std::cout << "| variant | host-blocking syncs / ubatch | us / ubatch | ratio to lower bound | "
               "schedcheck-min / variant (runs min faster) | whole run us / ubatch | wrong "
               "host reads |\n|---|---|---|---|---|---|---|\n";
  for (const Variant& v : vs) {
    const std::vector<double> ratio = paired_ratios(v.run_median_us, bound);
    const auto [ci_low, ci_high] = median_ci(ratio);
    const std::vector<double> vs_min = paired_ratios(min.run_median_us, v.run_median_us);
    const auto faster = std::count_if(vs_min.begin(), vs_min.end(), [](double x) { return x < 1; });
    std::cout << fmt::format(
        "| {}{} | {:.2f} | {:.1f} | {:.3f} [{:.3f}-{:.3f}] | {} | {:.1f} | {} of {}{} |\n",
        v.policy.name, v.lower_bound ? " (lower bound, unsafe)" : "",
        static_cast<double>(v.host_blocking) / s.total_evaluations(),
        percentile(v.run_median_us, 0.5), percentile(ratio, 0.5), ci_low, ci_high,
        &v == &min ? std::string("-")
                   : fmt::format("{:.3f} ({}/{}, p={:.2g})", percentile(vs_min, 0.5), faster, runs,
                                 sign_test_p(static_cast<int>(faster), runs)),
        percentile(v.run_whole_us, 0.5), v.wrong_reads, v.reads,
        v.predicted_clean ? "" : " (races predicted)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!cuda_available(&why)) {
    std::cerr << "gpu_sync_bench: " << why << "\n";
    return 3;
  }
  const int runs = argc > 1 ? std::atoi(argv[1]) : 10;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 25;
  const int ubatches = argc > 3 ? std::atoi(argv[3]) : 8;
  if (runs < 1 || batches < 2 || ubatches < 1) {
    std::cerr << "gpu_sync_bench: expected RUNS >= 1, BATCHES >= 2, UBATCHES >= 1\n";
    return 2;
  }
  std::cout << fmt::format("gpu_sync_bench: {} runs, {} decodes x {} ubatches per run\n", runs,
                           batches, ubatches);
  std::ofstream csv;
  if (argc > 4) {
    if (std::filesystem::exists(argv[4])) {
      std::cerr << "gpu_sync_bench: " << argv[4] << " exists; not overwritten\n";
      return 2;
    }
    csv.open(argv[4]);
    csv << "scenario,variant,run,median_us_per_ubatch,whole_run_us_per_ubatch\n";
  }
  for (const Scenario& s : sync_bound_scenarios(batches, ubatches))
    measure(s, runs, ubatches, csv.is_open() ? &csv : nullptr);
  return 0;
}
