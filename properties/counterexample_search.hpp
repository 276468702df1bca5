// The search behind `schedcheck check`: generate scenarios case by case from a seed, replay
// each under a policy, and shrink the first case that shows each variant of a finding
// (sim/finding_variant.hpp; up to max_variants per mechanism) to a 1-minimal counterexample.
// Deterministic: the result depends only on the seed, the case
// range (cases, shard) and the policy, never on --jobs or timing (except where --time
// stops the search before the first finding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "properties/scenario_spec.hpp"
#include "scenario/policy.hpp"
#include "sim/finding_variant.hpp"
#include "sim/race_report.hpp"

namespace schedcheck {

struct SearchOptions {
  int cases = 200;
  uint64_t seed = 1;
  double time_budget_s = 0;  // 0: no budget
  int jobs = 1;
  int shard_index = 0;
  int shard_count = 1;
  bool first_only = false;  // stop at the first failing case (one counterexample)
  // Variants kept (and shrunk) per mechanism. 1: the first counterexample of each mechanism,
  // shrunk keeping only its mechanism, as before variants existed.
  int max_variants = 4;
  // The generator's shape (scenario_generators.hpp); empty: the mix of every shape the model
  // runs. kTensorParallelShape: ggml's meta backend, for a real tree that has one.
  std::string shape{};
};

struct Counterexample {
  uint64_t seed = 0;
  int case_index = 0;
  ScenarioSpec original;
  ScenarioSpec shrunk;
  Scenario scenario;                       // synthesize(shrunk)
  PolicyVerdict verdict;                   // of the shrunk scenario
  Mechanism mechanism = Mechanism::other;  // the mechanism kept while shrinking
  // Kept while shrinking when variant_kept; otherwise (max_variants 1) the variant the shrunk
  // scenario shows for `mechanism`.
  FindingVariant variant;
  bool variant_kept = false;
  SpecSize size;
  SpecSize original_size;
  int shrink_steps = 0;
  double find_seconds = 0;
  double shrink_seconds = 0;
};

struct PolicySearch {
  Policy policy;
  int cases_run = 0;
  bool stopped_by_time = false;
  double seconds = 0;
  // One shrunk counterexample per distinct variant (at most max_variants per mechanism), in
  // the order the cases found them.
  std::vector<Counterexample> found;
  // Variants the cases showed beyond max_variants of their mechanism, in discovery order.
  std::vector<FindingVariant> not_kept;

  // The verdict of all cases run: the counterexamples' verdicts combined.
  Verdict verdict() const {
    Verdict v;
    for (const Counterexample& c : found) v |= c.verdict.verdict;
    return v;
  }
};

// The case's generator seed: a deterministic mix of the run seed and the case index.
uint64_t case_seed(uint64_t seed, int case_index);
// The spec case `case_index` of a run with `seed` generates.
ScenarioSpec generate_case(uint64_t seed, int case_index, const std::string& shape = "");

PolicySearch search_policy(const Policy& policy, const SearchOptions& options);

// The mechanisms of a scenario's findings under a policy, in report order (empty if clean).
std::vector<Mechanism> finding_mechanisms(const ScenarioSpec& spec, const Policy& policy);
// The variants of a scenario's findings under a policy, in report order (empty if clean).
std::vector<FindingVariant> finding_variants(const ScenarioSpec& spec, const Policy& policy);
// Shrinks `spec` (failing with `mechanism`) with single removals until none keeps the
// mechanism: splits, inputs of a split, ubatches, batches, GPUs. Returns the steps taken.
int minimize_by_removal(ScenarioSpec& spec, const Policy& policy, Mechanism mechanism);
// Every single removal of `spec` (used to check 1-minimality).
std::vector<ScenarioSpec> single_removals(const ScenarioSpec& spec);

}  // namespace schedcheck
