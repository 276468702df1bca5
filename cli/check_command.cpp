#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bridge/real_policy.hpp"
#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "driver/scenario_file.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/known_verdicts.hpp"
#include "real/real_run.hpp"
#include "sim/replay.hpp"
#include "sim/report_writer.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;

std::string size_text(const SpecSize& z) {
  return fmt::format("{} splits, {} ubatches, {} backends", z.splits, z.ubatches, z.backends);
}

}  // namespace

// Runs a shrunk counterexample on the GPU: the delay plan targeted at its finding (none for a
// stale read), at most 2 runs. Returns what happened, in words.
std::string confirm_on_gpu(const Counterexample& c, const Policy& policy,
                           const GpuPlacement& placement) {
  const ReplayResult sim = replay(c.scenario, policy);
  const PolicyVerdict v = explain(sim);
  const auto g = std::find_if(v.groups.begin(), v.groups.end(), [&](const FindingGroup& group) {
    return group.mechanism == c.mechanism;
  });
  if (g == v.groups.end()) return "not run (the finding is gone)";
  const DelayPlan plan = is_race(g->first.kind) ? targeted_plan(sim, g->first) : DelayPlan{};
  for (int run = 1; run <= 2; ++run) {
    RealRunResult r;
    try {
      r = run_on_gpu(c.scenario, policy, plan, placement);
    } catch (const std::exception& e) {  // a CUDA failure or a scenario CUDA cannot run
      return fmt::format("not run: {}", e.what());
    }
    if (r.mismatches.empty()) continue;
    const ValueMismatch& m = r.mismatches.front();
    return fmt::format(
        "confirmed in run {} with delays {}: {} of {} (evaluation {}) byte {}: expected 0x{:02x}, "
        "got 0x{:02x}",
        run, plan.name, m.read, m.tensor_name, m.eval, m.element, m.expected, m.got);
  }
  return g->reaches_host ? fmt::format("NOT confirmed in 2 runs with delays {}", plan.name)
                         : "not observable: no host-visible read depends on the wrong value "
                           "(docs/agreement.md)";
}

std::optional<std::vector<Policy>> resolve_check_policies(const CheckArgs& a) {
  std::vector<Policy> extra;
  if (!a.policies_file.empty()) {
    try {
      extra = load_policy_file(a.policies_file);
    } catch (const ScenarioError& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return std::nullopt;
    }
  }
  std::vector<Policy> all = builtin_policies();
  all.insert(all.end(), extra.begin(), extra.end());
  if (a.policy == "all") return all;
  if (is_real_policy_name(a.policy)) return std::vector<Policy>{real_policy(a.policy)};
  for (const Policy& p : all)
    if (p.name == a.policy) return std::vector<Policy>{p};
  std::string known;
  for (const Policy& p : all) known += (known.empty() ? "" : ", ") + p.name;
  std::cerr << "schedcheck: unknown policy \"" << a.policy << "\" (known: " << known << ", all)\n";
  return std::nullopt;
}

int run_check(const CheckArgs& a) {
  const auto resolved = resolve_check_policies(a);
  if (!resolved) return kExitBadInput;
  const std::vector<Policy>& policies = *resolved;
  std::optional<GpuPlacement> placement;
  if (a.real && !(placement = resolve_placement(""))) return kExitBadInput;
  if (std::string why; a.real && !cuda_available(&why)) {
    std::cerr << "schedcheck: --real: " << why << "\n";
    return kExitNoDevice;
  }
  const auto save = resolve_save_target(a.save.empty() ? "schedcheck-counterexamples" : a.save,
                                        "--save", policies.size());
  if (!save) return kExitBadInput;
  SearchOptions o{a.cases, a.seed, a.time_budget, a.jobs, a.shard_index, a.shard_count};
  const bool tty = isatty(STDERR_FILENO);
  if (!a.json)
    std::cout << fmt::format("schedcheck check: seed {}, {} cases per policy, shard {}/{}\n",
                             a.seed, a.cases, a.shard_index + 1, a.shard_count);

  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  bool found_any = false, unexpected = false;
  for (const Policy& policy : policies) {
    if (tty)
      std::cerr << fmt::format("\r{}: searching {} cases...", policy.name, a.cases) << std::flush;
    const PolicySearch r = search_policy(policy, o);
    if (tty) std::cerr << "\r" << std::string(60, ' ') << "\r";
    std::cerr << fmt::format("timing: {}: {} cases in {:.3f} s{}\n", policy.name, r.cases_run,
                             r.seconds, r.stopped_by_time ? " [time budget reached]" : "");
    for (const Counterexample& c : r.found)
      std::cerr << fmt::format("timing: {} [{}]: found after {:.3f} s, shrunk in {:.3f} s\n",
                               policy.name, c.mechanism, c.find_seconds, c.shrink_seconds);

    Verdict found;
    for (const Counterexample& c : r.found) found |= c.verdict.verdict;
    const std::string verdict = to_string(found);
    nlohmann::ordered_json j{{"policy", policy.name},
                             {"verdict", verdict},
                             {"cases_run", r.cases_run},
                             {"stopped_by_time", r.stopped_by_time}};
    if (const auto known = known_verdict(policy.name); a.assert_known && known) {
      const bool ok = found == *known || (r.stopped_by_time && found.is_clean());
      unexpected |= !ok;
      j["known_verdict"] = to_string(*known);
      if (!ok)
        std::cerr << fmt::format("schedcheck: {}: expected verdict {}, found {}\n", policy.name,
                                 to_string(*known), verdict);
    }
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    if (!a.json) {
      std::string mechanisms;
      for (const Counterexample& c : r.found)
        mechanisms += fmt::format("{}{} (case {})", mechanisms.empty() ? "" : ", ", c.mechanism,
                                  c.case_index);
      std::cout << fmt::format("{}: {} in {} cases{}{}\n", policy.name, verdict, r.cases_run,
                               mechanisms.empty() ? "" : ": " + mechanisms,
                               r.stopped_by_time ? " (time budget reached)" : "");
    }
    if (const auto too_many = save_count_error(*save, r.found.size(), "--save")) {
      std::cerr << "schedcheck: " << *too_many << "\n";
      return kExitBadInput;
    }
    for (const Counterexample& c : r.found) {
      found_any = true;
      std::string saved;
      try {
        saved = save_counterexample(c, policy, save->place(default_counterexample_path(c, policy)),
                                    save->is_file);
      } catch (const std::exception& e) {
        std::cerr << "schedcheck: " << e.what() << "\n";
        return kExitBadInput;
      }
      const ReportContext ctx{c.scenario.name, saved};
      const std::string gpu = a.real ? confirm_on_gpu(c, policy, *placement) : "";
      list.push_back(
          {{"seed", c.seed},
           {"case", c.case_index},
           {"mechanism", c.mechanism},
           {"size",
            {{"splits", c.size.splits},
             {"ubatches", c.size.ubatches},
             {"backends", c.size.backends}}},
           {"original_size",
            {{"splits", c.original_size.splits},
             {"ubatches", c.original_size.ubatches},
             {"backends", c.original_size.backends}}},
           {"shrink_steps", c.shrink_steps},
           {"saved", saved},
           {"reproduce", repro_command(ctx, policy.name)},
           {"report", verdict_json(ctx, c.verdict)},
           {"gpu", a.real ? nlohmann::ordered_json(gpu) : nlohmann::ordered_json(nullptr)}});
      if (a.json) continue;
      std::cout << fmt::format(
          "\n  [{}] case {} of seed {}; shrunk in {} steps from {} to {}\n  saved: {}\n  "
          "reproduce: {}\n\n",
          c.mechanism, c.case_index, c.seed, c.shrink_steps, size_text(c.original_size),
          size_text(c.size), saved, repro_command(ctx, policy.name));
      if (a.real) std::cout << "  GPU: " << gpu << "\n\n";
      std::cout << format_text(ctx, c.verdict) << "\n";
    }
    j["counterexamples"] = list;
    results.push_back(j);
  }
  if (a.json)
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-check/1"},
                                        {"seed", a.seed},
                                        {"cases", a.cases},
                                        {"shard",
                                         fmt::format("{}/{}", a.shard_index + 1, a.shard_count)},
                                        {"policies", results}}
                     .dump(2)
              << "\n";
  if (a.assert_known) return unexpected ? kExitFindings : kExitClean;
  return found_any ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
