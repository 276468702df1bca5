// GPU benchmark of the required-sync issue (run on the device; docs/performance.md): host wall
// time per ubatch of each policy on the sync-bound scenarios, as a ratio to the same trace with
// every synchronization removed (an unsafe lower bound, timing only). All variants in one run,
// interleaved; median over the ubatches after the first decode of every run.
// Usage: gpu_sync_bench [RUNS] [BATCHES] [UBATCHES]
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "bench/sync_bound_scenarios.hpp"
#include "model/sync_count.hpp"
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
  std::vector<double> ubatch_us;  // host time per ubatch after warm-up
  std::vector<double> run_us;     // whole run (first call to drained) per ubatch
  int wrong_reads = 0, reads = 0;
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
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
  const Policy& v3 = *find_builtin_policy("ggml-20793");
  out.push_back(variant(minimal_set_policy(v3, analyze_syncs(s, v3))));
  out.push_back(variant(without_syncs(s, *find_builtin_policy("ggml-20793")), true));
  out.push_back(variant(without_syncs(s, *find_builtin_policy("schedcheck-min")), true));
  for (Variant& v : out) {
    const ReplayResult r = replay(s, v.policy);
    v.predicted_clean = r.findings.empty();
    v.host_blocking = host_blocking_syncs(r.calls);
  }
  return out;
}

void measure(const Scenario& s, int runs, int warmup_evals) {
  std::vector<Variant> vs = variants_for(s);
  for (const Variant& v : vs) run_on_gpu(s, v.policy, DelayPlan{});  // warm-up
  for (int run = 0; run < runs; ++run)
    for (std::size_t i = 0; i < vs.size(); ++i) {
      Variant& v = vs[(i + static_cast<std::size_t>(run)) % vs.size()];  // rotate the order
      const RealRunResult r = run_on_gpu(s, v.policy, DelayPlan{});
      const auto& t = r.eval_start_seconds;
      for (std::size_t e = static_cast<std::size_t>(warmup_evals); e < t.size(); ++e) {
        const double end = e + 1 < t.size() ? t[e + 1] : r.finish_seconds;
        v.ubatch_us.push_back((end - t[e]) * 1e6);
      }
      v.run_us.push_back((r.finish_seconds - t.front()) * 1e6 / static_cast<double>(t.size()));
      v.wrong_reads += static_cast<int>(r.mismatches.size());
      v.reads += r.host_reads_checked;
    }
  double bound = 1e300;
  for (const Variant& v : vs)
    if (v.lower_bound) bound = std::min(bound, percentile(v.ubatch_us, 0.5));
  const double evals = s.total_evaluations();
  std::cout << fmt::format(
      "\n{}: {} runs x {} ubatches ({} decodes), first {} ubatches of a run "
      "not counted\n\n",
      s.name, runs, s.total_evaluations(), s.driver.ubatches_per_batch.size(), warmup_evals);
  std::cout << "| variant | host-blocking syncs / ubatch | median us / ubatch | p90 | ratio to "
               "lower bound | whole run us / ubatch | wrong host reads "
               "|\n|---|---|---|---|---|---|---|\n";
  for (const Variant& v : vs) {
    const double med = percentile(v.ubatch_us, 0.5);
    std::cout << fmt::format("| {}{} | {:.2f} | {:.1f} | {:.1f} | {:.3f} | {:.1f} | {} of {}{} |\n",
                             v.policy.name, v.lower_bound ? " (lower bound, unsafe)" : "",
                             v.host_blocking / evals, med, percentile(v.ubatch_us, 0.9),
                             med / bound, percentile(v.run_us, 0.5), v.wrong_reads, v.reads,
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
  for (const Scenario& s : sync_bound_scenarios(batches, ubatches)) measure(s, runs, ubatches);
  return 0;
}
