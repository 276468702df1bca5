// schedcheck: argument parsing and dispatch only.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bridge/real_scheduler.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"schedcheck: proves or refutes the synchronization of ggml's backend scheduler"};
  app.require_subcommand(1);
  bool json = false;

  auto* policies = app.add_subcommand("policies", "List the built-in policies: knobs and commits");
  policies->add_flag("--json", json, "Machine-readable output");

  std::string file, policy = "all";
  auto* replay = app.add_subcommand("replay", "Simulate a scenario under one or all policies");
  replay->add_option("FILE", file, "Scenario file (docs/scenario-format.md)")->required();
  replay->add_option("--policy", policy, "Policy name, or 'all' (built-in and the scenario's own)");
  replay->add_flag("--json", json, "Stable JSON report (docs/report-format.md)");

  schedcheck::DiffArgs diff_args;
  auto* diff = app.add_subcommand(
      "diff", "Compare a ggml version's model with its real scheduler call by call");
  diff->add_option("FILE", diff_args.file, "Scenario file (or --cases N)");
  diff->add_option("--policy", diff_args.policy,
                   "A version (ggml-20793), a real tree (ggml@TAG, ggml@PATH), or 'all'");
  diff->add_option("--cases", diff_args.cases, "Generated scenarios instead of a file")
      ->check(CLI::Range(1, 100000000));
  diff->add_option("--seed", diff_args.seed, "Seed of the generated scenarios");
  diff->add_option("--jobs", diff_args.jobs, "Parallel workers")->check(CLI::Range(1, 256));
  diff->add_option("--save", diff_args.save,
                   "Folder for shrunk divergent scenarios (default schedcheck-divergences)");
  diff->add_flag("--json", diff_args.json, "Machine-readable output (file mode)");

  std::string dir = SCHEDCHECK_DEFAULT_CORPUS;
  auto* corpus =
      app.add_subcommand("corpus", "Replay every report in DIR against its expected verdicts");
  corpus->add_option("DIR", dir, "Corpus folder (default: the project's reports/)");
  corpus->add_flag("--json", json, "Machine-readable output");
  bool corpus_real = false;
  corpus->add_flag("--real-ggml", corpus_real,
                   "Also check each ggml version's expectations against its real scheduler "
                   "(ggml@TAG, built from the ggml bundle)");

  schedcheck::CheckArgs check_args;
  std::string shard = "1/1";
  auto* check =
      app.add_subcommand("check", "Property-based search for races over generated scenarios");
  check->add_option("--policy", check_args.policy, "Policy name, or 'all' (the built-in ones)");
  check->add_option("--cases", check_args.cases, "Generated scenarios per policy")
      ->check(CLI::Range(1, 100000000));
  check->add_option("--seed", check_args.seed,
                    "Seed of the case stream (printed with every finding)");
  check
      ->add_option("--time", check_args.time_budget,
                   "Stop starting new cases after SECONDS per policy")
      ->check(CLI::PositiveNumber);
  check->add_option("--jobs", check_args.jobs, "Parallel workers (same result as 1)")
      ->check(CLI::Range(1, 256));
  check->add_option("--shard", shard, "I/N: check only the cases i with i mod N == I-1");
  check->add_option("--policies", check_args.policies_file,
                    "A policy file (schedcheck-policies/1) adding policies of your own");
  check->add_option("--save", check_args.save,
                    "Where to save the shrunk counterexample (a folder with several policies)");
  check->add_flag("--json", check_args.json, "Stable JSON output (schedcheck-check/1)");
  check->add_flag("--real", check_args.real,
                  "Confirm each counterexample on the GPU right after shrinking");
  check->add_flag("--exhaustive", check_args.exhaustive,
                  "Enumerate every scenario within the bounds below");
  check
      ->add_option("--max-splits", check_args.max_splits,
                   "Exhaustive: splits after the CPU embedding split")
      ->check(CLI::Range(1, 6));
  check
      ->add_option("--max-backends", check_args.max_backends,
                   "Exhaustive: backends including the CPU")
      ->check(CLI::Range(2, 5));
  check
      ->add_option("--max-ubatches", check_args.max_ubatches,
                   "Exhaustive: ubatches of the one decode")
      ->check(CLI::Range(1, 8));
  check->add_flag("--assert-known", check_args.assert_known,
                  "Exit 0 iff every policy's verdict is the known one (for CI)");

  std::string advise_file, advise_policy, advise_apply;
  auto* advise = app.add_subcommand(
      "advise", "Which synchronizations a run needs (necessary / redundant / minimal set)");
  advise->add_option("FILE", advise_file, "Scenario file")->required();
  advise->add_option("--policy", advise_policy, "Policy name")->required();
  advise->add_flag("--json", json, "JSON output (schedcheck-advise/1)");
  advise->add_option("--apply", advise_apply,
                     "Write a copy of the scenario with a policy <NAME>-minimal that keeps only "
                     "the minimal set (a new file; an existing one is not overwritten)");

  schedcheck::RealArgs real_args;
  auto* real =
      app.add_subcommand("real", "Run a scenario on the GPU and compare with the CPU reference");
  real->add_option("FILE", real_args.file, "Scenario file")->required();
  real->add_option("--policy", real_args.policy, "Policy name, or 'all'");
  real->add_option("--delays", real_args.delays,
                   "none | auto (targeted at each predicted race) | random:SEED | FILE");
  real->add_option("--runs", real_args.runs, "Runs per delay plan")->check(CLI::Range(1, 10000));
  real->add_option(
      "--save-plan", real_args.save_plan,
      "Write the first delay plan to FILE (a new file; written before any device is needed)");
  real->add_flag("--json", real_args.json, "JSON output (schedcheck-real/1)");
  real->add_option("--placement", real_args.placement,
                   "Backends on distinct GPUs when present (physical, default), the same without "
                   "peer access (physical-no-peer), or all on GPU 0 (virtual); default from "
                   "SCHEDCHECK_GPU_PLACEMENT")
      ->check(CLI::IsMember({"physical", "physical-no-peer", "virtual"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return schedcheck::kExitBadInput;
  }
  // A real ggml tree that cannot be built or run (bridge/) is bad input, said with the reason.
  auto dispatch = [&]() -> int {
    if (*policies) return schedcheck::run_policies(json);
    if (*replay) return schedcheck::run_replay(file, policy, json);
    if (*corpus) return schedcheck::run_corpus(dir, json, corpus_real);
    if (*diff) return schedcheck::run_diff(diff_args);
    if (*real) return schedcheck::run_real(real_args);
    if (*advise) return schedcheck::run_advise(advise_file, advise_policy, json, advise_apply);
    if (*check && argc == 2) return schedcheck::run_main_job(SCHEDCHECK_DEFAULT_CORPUS);
    if (*check) {
      int i = 0, n = 0;
      char slash = 0;
      if (std::sscanf(shard.c_str(), "%d%c%d", &i, &slash, &n) != 3 || slash != '/' || n < 1 ||
          i < 1 || i > n) {
        std::fprintf(stderr, "schedcheck: --shard expects I/N with 1 <= I <= N, got \"%s\"\n",
                     shard.c_str());
        return schedcheck::kExitBadInput;
      }
      check_args.shard_index = i - 1;
      check_args.shard_count = n;
      return check_args.exhaustive ? schedcheck::run_exhaustive(check_args)
                                   : schedcheck::run_check(check_args);
    }
    return schedcheck::kExitBadInput;
  };
  try {
    return dispatch();
  } catch (const schedcheck::BridgeError& e) {
    std::fprintf(stderr, "schedcheck: %s\n", e.what());
    return schedcheck::kExitBadInput;
  }
}
