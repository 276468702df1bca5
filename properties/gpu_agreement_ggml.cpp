// Agreement on generated scenarios between the simulation of a real ggml tree and the same tree
// over ggml's own CUDA backend (docs/agreement.md, "Through ggml-cuda"): a scenario the
// simulation calls clean matches ggml-cpu's reference under random delays; each race it
// predicts that reaches a host read shows a mismatch under the plan targeted at it (at most 2
// runs); every recorded run issues the simulated calls. Every GPU backend becomes a CUDA one;
// scenarios with more GPU backends than ggml-cuda devices, a BLAS backend, or MUL_MAT_ID nodes
// are skipped.
// Trees: SCHEDCHECK_AGREEMENT_TREES (default "ggml-17795 ggml-20793 ggml-head"); cases
// SCHEDCHECK_AGREEMENT_CASES (default 100), seed SCHEDCHECK_AGREEMENT_SEED (default 1),
// SCHEDCHECK_AGREEMENT_GPUS (default 2): how many ggml-cuda devices there are.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "bridge/real_policy.hpp"
#include "bridge/real_scheduler.hpp"
#include "properties/counterexample_search.hpp"
#include "real/real_run.hpp"
#include "real/recorded_run.hpp"
#include "sim/differential.hpp"
#include "sim/race_report.hpp"

namespace schedcheck {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

struct Tally {
  int scenarios = 0, skipped = 0;
  int clean_runs = 0, clean_mismatches = 0;
  int races = 0, confirmed = 0, unobservable = 0, unobservable_seen = 0;
  int runs = 0, runs_as_simulated = 0;
  int errors = 0;
  std::map<std::string, std::pair<int, int>> by_mechanism;  // confirmed, total
};

// The scenario with CUDA backends only; nullopt when it cannot run over `gpus` devices.
std::optional<Scenario> for_cuda(Scenario s, int gpus) {
  int used = 0;
  for (Backend& b : s.backends) {
    if (b.kind == BackendKind::blas) return std::nullopt;  // ggml-blas is not built
    if (!is_host_backend(b.kind)) {
      const std::string name = b.name;
      const Index buffer = b.compute_buffer;
      b = Backend{};  // a discrete CUDA GPU of its own, as ggml-cuda's devices are given out
      b.name = name;
      b.kind = BackendKind::cuda;
      b.device = used++;
      b.compute_buffer = buffer;
    }
  }
  for (const Node& n : s.nodes)
    if (n.is_mul_mat_id()) return std::nullopt;
  if (used > gpus) return std::nullopt;
  return scenario_for_ggml_backends(std::move(s), "ggml-cuda");
}

class TreeAgreement {
 public:
  TreeAgreement(const std::string& tree, uint64_t seed)
      : sim_(real_policy("ggml@" + tree + ",graph=computable")),
        real_(real_policy("ggml@" + tree + ",devices=ggml-cuda")),
        seed_(seed) {}

  // A run that stops (a call the backend profile gets wrong, an error inside ggml) is counted
  // and shown, and the next scenario goes on.
  void check(const Scenario& s, int index) {
    try {
      check_runs(s, index);
    } catch (const BridgeError& e) {
      ++t_.errors;
      std::cout << "ERROR " << real_.name << " case " << index << ": " << e.what() << "\n";
    }
  }

  void check_runs(const Scenario& s, int index) {
    const ReplayResult sim = replay(s, sim_);
    const PolicyVerdict v = explain(sim);
    if (!warm_) {  // ggml-cuda loads its kernels on their first launch
      record_real_run(s, real_, DelayPlan{});
      warm_ = true;
    }
    ++t_.scenarios;
    if (v.groups.empty()) {
      const RecordedRun r =
          run(s, sim, random_plan(sim, seed_ * 1000 + static_cast<uint64_t>(index)));
      ++t_.clean_runs;
      if (!r.mismatches.empty()) {
        ++t_.clean_mismatches;
        std::cout << "MISS " << real_.name << " case " << index
                  << ": simulation clean, run mismatched\n";
      }
      return;
    }
    for (const FindingGroup& g : v.groups) {
      if (!is_race(g.first.kind)) continue;
      const DelayPlan plan = targeted_plan(sim, g.first);
      bool seen = false;
      for (int attempt = 0; attempt < 2 && !seen; ++attempt)
        seen = !run(s, sim, plan).mismatches.empty();
      if (!g.reaches_host()) {
        ++t_.unobservable;
        t_.unobservable_seen += seen;
        continue;
      }
      ++t_.races;
      t_.confirmed += seen;
      auto& m = t_.by_mechanism[std::string(to_string(g.mechanism))];
      ++m.second;
      m.first += seen;
      if (!seen)
        std::cout << "MISS " << real_.name << " case " << index << ": " << to_string(g.mechanism)
                  << " not confirmed\n";
    }
  }

  void print() const {
    std::cout << real_.name << ": " << t_.scenarios
              << " scenarios; simulation clean: " << t_.clean_runs << " runs, "
              << t_.clean_mismatches
              << " mismatched; predicted races reaching a host read: " << t_.races << ", confirmed "
              << t_.confirmed << "; unobservable: " << t_.unobservable
              << " (mismatched anyway: " << t_.unobservable_seen
              << "); recorded runs as simulated: " << t_.runs_as_simulated << " of " << t_.runs
              << "; runs that stopped: " << t_.errors << "\n";
    for (const auto& [m, c] : t_.by_mechanism)
      std::cout << "  " << m << ": " << c.first << " of " << c.second << " confirmed\n";
  }
  const Tally& tally() const { return t_; }

 private:
  RecordedRun run(const Scenario& s, const ReplayResult& sim, const DelayPlan& plan) {
    RecordedRun r = record_real_run(s, real_, plan);
    ++t_.runs;
    const bool same = differential(sim, r.recorded).agree();
    t_.runs_as_simulated += same;
    if (!same)
      std::cout << "DIFFERS " << real_.name << " " << s.name
                << ": recorded calls differ from the simulation\n";
    return r;
  }

  const Policy& sim_;
  const Policy& real_;
  const uint64_t seed_;
  bool warm_ = false;
  Tally t_;
};

TEST(AgreementGgmlCuda, SimulationAndGgmlCudaAgreeOnGeneratedScenarios) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  const char* trees_env = std::getenv("SCHEDCHECK_AGREEMENT_TREES");
  std::istringstream trees(trees_env ? trees_env : "ggml-17795 ggml-20793 ggml-head");
  const int cases = env_int("SCHEDCHECK_AGREEMENT_CASES", 100);
  const uint64_t seed = static_cast<uint64_t>(env_int("SCHEDCHECK_AGREEMENT_SEED", 1));
  const int gpus = env_int("SCHEDCHECK_AGREEMENT_GPUS", 2);
  for (std::string tree; trees >> tree;) {
    TreeAgreement run(tree, seed);
    int skipped = 0;
    for (int i = 0; run.tally().scenarios < cases && i < 20 * cases; ++i) {
      const std::optional<Scenario> s =
          for_cuda(synthesize(generate_case(seed, i), "agreement-case" + std::to_string(i)), gpus);
      if (!s) {
        ++skipped;
        continue;
      }
      run.check(*s, i);
    }
    run.print();
    std::cout << "  (" << skipped << " generated cases skipped: MUL_MAT_ID, BLAS, or more than "
              << gpus << " GPU backends)\n";
    const Tally& t = run.tally();
    EXPECT_EQ(t.scenarios, cases);
    EXPECT_EQ(t.clean_mismatches, 0) << tree;
    EXPECT_EQ(t.errors, 0) << tree;
    EXPECT_EQ(t.runs_as_simulated, t.runs) << tree;
    if (t.races > 0) {
      EXPECT_GE(100.0 * t.confirmed / t.races, 95.0) << tree;
    }
  }
}

}  // namespace
}  // namespace schedcheck
