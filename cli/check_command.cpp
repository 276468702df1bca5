#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bridge/policy_catalog.hpp"
#include "cli/commands.hpp"
#include "cli/counterexample_file.hpp"
#include "cli/timeline_file.hpp"
#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/known_verdicts.hpp"
#include "real/gpu_confirmation.hpp"
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
  Scenario policy_file;  // the file's policies as custom policies, to look names up with
  policy_file.custom_policies = std::move(extra);
  if (a.policy == "all") return policies_for(policy_file);
  if (const Policy* p = find_policy(policy_file, a.policy)) return std::vector<Policy>{*p};
  std::cerr << "schedcheck: " << unknown_policy_message(policy_file, a.policy, true) << "\n";
  return std::nullopt;
}

namespace {

void print_timing(const PolicySearch& r) {
  std::cerr << fmt::format("timing: {}: {} cases in {:.3f} s{}\n", r.policy.name, r.cases_run,
                           r.seconds, r.stopped_by_time ? " [time budget reached]" : "");
  for (const Counterexample& c : r.found)
    std::cerr << fmt::format("timing: {} [{}]: found after {:.3f} s, shrunk in {:.3f} s\n",
                             r.policy.name, to_string(c.variant), c.find_seconds, c.shrink_seconds);
}

nlohmann::ordered_json size_json(const SpecSize& z) {
  return {{"splits", z.splits}, {"ubatches", z.ubatches}, {"backends", z.backends}};
}

// Saves each counterexample, confirms it on the GPU with --real, and prints or collects it.
// nullopt after a file could not be saved.
std::optional<nlohmann::ordered_json> counterexamples(const PolicySearch& r, const CheckArgs& a,
                                                      const SaveTarget& save,
                                                      const std::optional<GpuPlacement>& gpu) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Counterexample& c : r.found) {
    std::string saved, timeline;
    try {
      saved = save_counterexample(c, r.policy, save.place(default_counterexample_path(c, r.policy)),
                                  save.is_file);
      if (a.timeline) timeline = save_timeline_beside(saved, c.scenario, r.policy);
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return std::nullopt;
    }
    const ReportContext ctx{c.scenario.name, saved};
    const std::string confirmation =
        gpu ? confirm_on_gpu(c.scenario, r.policy, c.mechanism, *gpu) : "";
    list.push_back(
        {{"seed", c.seed},
         {"case", c.case_index},
         {"mechanism", to_string(c.mechanism)},
         {"variant", to_string(c.variant)},
         {"variant_kept", c.variant_kept},
         {"size", size_json(c.size)},
         {"original_size", size_json(c.original_size)},
         {"shrink_steps", c.shrink_steps},
         {"saved", saved},
         {"reproduce", repro_command(ctx, r.policy.name)},
         {"report", verdict_json(ctx, c.verdict)},
         {"gpu", gpu ? nlohmann::ordered_json(confirmation) : nlohmann::ordered_json(nullptr)}});
    if (a.timeline) list.back()["timeline"] = timeline;
    if (a.json) continue;
    std::cout << fmt::format(
        "\n  [{}] case {} of seed {}; shrunk in {} steps from {} to {}\n  variant: {}\n  "
        "saved: {}\n  reproduce: {}\n\n",
        to_string(c.mechanism), c.case_index, c.seed, c.shrink_steps, size_text(c.original_size),
        size_text(c.size), to_string(c.variant), saved, repro_command(ctx, r.policy.name));
    if (a.timeline) std::cout << "  timeline: " << timeline << "\n\n";
    if (gpu) std::cout << "  GPU: " << confirmation << "\n\n";
    std::cout << format_text(ctx, c.verdict) << "\n";
  }
  return list;
}

void print_policy_line(const PolicySearch& r, int max_variants) {
  std::string mechanisms;
  for (const Counterexample& c : r.found)
    mechanisms += fmt::format("{}{} (case {})", mechanisms.empty() ? "" : ", ",
                              to_string(c.mechanism), c.case_index);
  std::cout << fmt::format("{}: {} in {} cases{}{}\n", r.policy.name, to_string(r.verdict()),
                           r.cases_run, mechanisms.empty() ? "" : ": " + mechanisms,
                           r.stopped_by_time ? " (time budget reached)" : "");
  for (const FindingVariant& v : r.not_kept)
    std::cout << "  not kept (--max-variants " << max_variants << "): " << to_string(v) << "\n";
}

nlohmann::ordered_json not_kept_json(const PolicySearch& r) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const FindingVariant& v : r.not_kept) list.push_back(to_string(v));
  return list;
}

}  // namespace

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
  o.max_variants = a.max_variants;
  o.shape = a.shape;
  if (a.shape == kTensorParallelShape)
    for (const Policy& p : policies)
      if (!p.is_real()) {
        std::cerr << "schedcheck: --shape tensor-parallel generates scenarios with a meta backend, "
                     "which the model does not simulate; policy "
                  << p.name << " is the model's (use --policy ggml@ggml-head)\n";
        return kExitBadInput;
      }
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
    print_timing(r);
    const Verdict found = r.verdict();
    nlohmann::ordered_json j{{"policy", policy.name},
                             {"verdict", to_string(found)},
                             {"cases_run", r.cases_run},
                             {"stopped_by_time", r.stopped_by_time}};
    if (const auto& known = policy.known_verdict; a.assert_known && known) {
      const bool ok = is_known_outcome(policy, found, r.stopped_by_time);
      unexpected |= !ok;
      j["known_verdict"] = to_string(*known);
      if (!ok)
        std::cerr << fmt::format("schedcheck: {}: expected verdict {}, found {}\n", policy.name,
                                 to_string(*known), to_string(found));
    }
    if (!a.json) print_policy_line(r, a.max_variants);
    if (const auto too_many = save_count_error(*save, r.found.size(), "--save")) {
      std::cerr << "schedcheck: " << *too_many << "\n";
      return kExitBadInput;
    }
    const auto list = counterexamples(r, a, *save, placement);
    if (!list) return kExitBadInput;
    found_any |= !r.found.empty();
    j["counterexamples"] = *list;
    j["variants_not_kept"] = not_kept_json(r);
    results.push_back(j);
  }
  if (a.json)
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-check/1"},
                                        {"seed", a.seed},
                                        {"cases", a.cases},
                                        {"max_variants", a.max_variants},
                                        {"shard",
                                         fmt::format("{}/{}", a.shard_index + 1, a.shard_count)},
                                        {"policies", results}}
                     .dump(2)
              << "\n";
  if (a.assert_known) return unexpected ? kExitFindings : kExitClean;
  return found_any ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
