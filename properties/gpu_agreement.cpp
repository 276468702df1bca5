// Agreement between the simulator and the GPU over generated scenarios and every built-in
// policy: a scenario the simulator calls clean matches the CPU reference under random delays;
// each race it predicts shows a mismatch under the delay plan targeted at it (at most 2 runs).
// Cases: SCHEDCHECK_AGREEMENT_CASES (default 300), seed SCHEDCHECK_AGREEMENT_SEED (default 1).
// Misses are saved under SCHEDCHECK_AGREEMENT_DIR (default agreement-misses/) for analysis.
// SCHEDCHECK_AGREEMENT_MIN_DEVICES=N keeps only scenarios whose GPU backends use at least N
// distinct device indices (several physical GPUs; SCHEDCHECK_GPU_PLACEMENT says how they map).
#include <gtest/gtest.h>

#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <utility>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "real/real_run.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

// The device machine has no debugger: a crash prints its backtrace.
void print_backtrace(int signal) {
  void* frames[64];
  const int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  std::_Exit(128 + signal);
}
const bool kBacktraceInstalled = [] {
  std::signal(SIGSEGV, print_backtrace);
  std::signal(SIGABRT, print_backtrace);
  return true;
}();

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

int distinct_devices(const Scenario& s) {
  std::set<int> devices;
  for (const Backend& b : s.backends)
    if (b.device >= 0) devices.insert(b.device);
  return static_cast<int>(devices.size());
}

// What the agreement run counted; printed as the run's summary.
struct Tally {
  int scenarios = 0;
  int clean_runs = 0, clean_mismatches = 0;
  int races = 0, confirmed = 0, stale = 0, stale_confirmed = 0;
  int unobservable = 0, unobservable_seen = 0, held_by_staging = 0;
  std::map<Mechanism, std::pair<int, int>> by_mechanism;  // mechanism -> (confirmed, total)

  void print(int min_devices) const {
    std::cout << "agreement: " << scenarios << " generated scenarios"
              << (min_devices > 0 ? " with >= " + std::to_string(min_devices) + " devices" : "")
              << " x " << builtin_policies().size() << " policies\n"
              << "  simulator clean: " << clean_runs << " runs under random delays, "
              << clean_mismatches << " mismatched\n"
              << "  predicted races: " << races << ", confirmed on the GPU: " << confirmed << "\n"
              << "  predicted stale reads: " << stale << ", confirmed: " << stale_confirmed << "\n"
              << "  findings that reach no host read (unobservable by comparison): "
              << unobservable << ", mismatches seen anyway: " << unobservable_seen << "\n"
              << "  races the targeted hold cannot show with staged peer copies (peer access "
                 "off): "
              << held_by_staging << "\n";
    for (const auto& [mechanism, counts] : by_mechanism)
      std::cout << "  " << mechanism << ": " << counts.first << " of " << counts.second
                << " confirmed\n";
  }
};

class AgreementRun {
 public:
  AgreementRun(uint64_t seed, std::filesystem::path miss_dir)
      : seed_(seed), miss_dir_(std::move(miss_dir)) {}

  // One generated scenario (case `index`) under every built-in policy.
  void check_scenario(const Scenario& s, int index) {
    ++tally_.scenarios;
    for (const Policy& policy : builtin_policies()) {
      SCOPED_TRACE("case " + std::to_string(index) + " under " + policy.name);
      if (verbose_) std::cerr << "case " << index << " " << policy.name << std::endl;
      const ReplayResult sim = replay(s, policy);
      const PolicyVerdict v = explain(sim);
      if (v.groups.empty()) {
        check_clean(s, policy, sim, index);
        continue;
      }
      for (const FindingGroup& g : v.groups) check_finding(s, policy, sim, g);
    }
  }

  const Tally& tally() const { return tally_; }

 private:
  // Clean in the simulator: the GPU matches the reference under random delays.
  void check_clean(const Scenario& s, const Policy& policy, const ReplayResult& sim, int index) {
    const RealRunResult r =
        run_on_gpu(s, policy, random_plan(sim, seed_ * 1000 + static_cast<uint64_t>(index)));
    ++tally_.clean_runs;
    if (!r.mismatches.empty()) {
      ++tally_.clean_mismatches;
      save_miss(s, policy, "simulator clean, GPU mismatch");
    }
  }

  // A predicted finding: the delay plan targeted at it shows a mismatch within two runs.
  void check_finding(const Scenario& s, const Policy& policy, const ReplayResult& sim,
                     const FindingGroup& g) {
    const bool race = is_race(g.first.kind);
    const DelayPlan plan = race ? targeted_plan(sim, g.first) : DelayPlan{};
    bool seen = false;
    RealRunResult last;
    for (int run = 0; run < 2 && !seen; ++run) {
      last = run_on_gpu(s, policy, plan);
      seen = !last.mismatches.empty();
    }
    if (!g.reaches_host()) {
      // The wrong value reaches no host read in this run (e.g. only an output nobody reads):
      // the GPU cannot show it. Counted apart (docs/agreement.md).
      ++tally_.unobservable;
      tally_.unobservable_seen += seen;
      return;
    }
    if (!seen && race && !last.peer_access &&
        staged_peer_copy_holds_second(sim, g.first, last.backend_gpu)) {
      // Held by the driver's in-order staging, not by anything the model missed
      // (docs/agreement.md): the targeted hold cannot show this race on this placement.
      ++tally_.held_by_staging;
      return;
    }
    auto& m = tally_.by_mechanism[g.mechanism];
    ++m.second;
    m.first += seen;
    if (race) {
      ++tally_.races;
      tally_.confirmed += seen;
    } else {
      ++tally_.stale;
      tally_.stale_confirmed += seen;
    }
    if (!seen)
      save_miss(s, policy,
                std::string(to_string(g.first.kind)) + " [" + std::string(to_string(g.mechanism)) +
                    "] not confirmed");
  }

  void save_miss(const Scenario& s, const Policy& p, const std::string& what) const {
    std::filesystem::create_directories(miss_dir_);
    const auto file = miss_dir_ / (s.name + "-" + p.name + ".json");
    std::ofstream(file) << save_scenario(s).dump(2) << "\n";
    std::cout << "MISS " << what << ": " << file.string() << "\n";
  }

  const uint64_t seed_;
  const std::filesystem::path miss_dir_;
  const bool verbose_ = std::getenv("SCHEDCHECK_AGREEMENT_VERBOSE") != nullptr;
  Tally tally_;
};

TEST(Agreement, SimulatorAndGpuAgreeOnGeneratedScenarios) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  const int cases = env_int("SCHEDCHECK_AGREEMENT_CASES", 300);
  const uint64_t seed = static_cast<uint64_t>(env_int("SCHEDCHECK_AGREEMENT_SEED", 1));
  const char* dir_env = std::getenv("SCHEDCHECK_AGREEMENT_DIR");
  AgreementRun run(seed, dir_env ? dir_env : "agreement-misses");
  const int min_devices = env_int("SCHEDCHECK_AGREEMENT_MIN_DEVICES", 0);
  const int first = env_int("SCHEDCHECK_AGREEMENT_FIRST", 0);
  for (int i = first; run.tally().scenarios < cases && i < first + 100 * cases; ++i) {
    const Scenario s = synthesize(generate_case(seed, i), "agreement-case" + std::to_string(i));
    if (distinct_devices(s) < min_devices) continue;
    if (run.tally().scenarios % 25 == 0)
      std::cerr << "agreement: scenario " << run.tally().scenarios + 1 << " of " << cases
                << " (case " << i << ")" << std::endl;
    run.check_scenario(s, i);
  }
  const Tally& t = run.tally();
  EXPECT_EQ(t.scenarios, cases) << "too few generated scenarios with >= " << min_devices
                                << " devices in " << 100 * cases << " cases";
  t.print(min_devices);
  EXPECT_EQ(t.clean_mismatches, 0);
  if (t.races > 0) {
    EXPECT_GE(100.0 * t.confirmed / t.races, 95.0);
  }
}

}  // namespace
}  // namespace schedcheck
