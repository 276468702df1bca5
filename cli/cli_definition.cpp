#include "cli/cli_definition.hpp"

#include <iostream>

#include "cli/completion.hpp"
#include "cli/version.hpp"
#include "properties/scenario_generators.hpp"

namespace schedcheck {

namespace {

// The generator shapes `check --shape` takes: the model's, and tensor parallelism.
std::vector<std::string> check_shapes() {
  std::vector<std::string> shapes = shape_names();
  shapes.emplace_back(kTensorParallelShape);
  return shapes;
}

CLI::App* define_check(CLI::App& app, CliArgs& a) {
  CheckArgs& c = a.check;
  auto* check =
      app.add_subcommand("check", "Property-based search for races over generated scenarios");
  check->add_option("--policy", c.policy, "Policy name, or 'all' (the built-in ones)")
      ->type_name(kPolicyType);
  check->add_option("--cases", c.cases, "Generated scenarios per policy")
      ->check(CLI::Range(1, 100000000));
  check->add_option("--seed", c.seed, "Seed of the case stream (printed with every finding)");
  check->add_option("--time", c.time_budget, "Stop starting new cases after SECONDS per policy")
      ->check(CLI::PositiveNumber);
  check->add_option("--jobs", c.jobs, "Parallel workers (same result as 1)")
      ->check(CLI::Range(1, 256));
  check->add_option("--shard", a.shard, "I/N: check only the cases i with i mod N == I-1");
  check
      ->add_option("--max-variants", c.max_variants,
                   "Variants of a mechanism kept, each shrunk and saved (1: the first "
                   "counterexample per mechanism)")
      ->check(CLI::Range(1, 1000));
  check
      ->add_option("--shape", c.shape,
                   "Generate scenarios of one shape only; tensor-parallel: ggml's meta backend "
                   "(-sm tensor), for a real tree (--policy ggml@ggml-head)")
      ->check(CLI::IsMember(check_shapes()));
  check
      ->add_option("--policies", c.policies_file,
                   "A policy file (schedcheck-policies/1) adding policies of your own")
      ->type_name(kFileType);
  check
      ->add_option("--save", c.save,
                   "Where counterexamples go: a folder (default schedcheck-counterexamples), or "
                   "FILE.json when one is found")
      ->type_name(kPathType);
  check->add_flag("--json", c.json, "Stable JSON output (schedcheck-check/1)");
  check->add_flag("--real", c.real, "Confirm each counterexample on the GPU right after shrinking");
  check->add_flag("--timeline", c.timeline,
                  "Write NAME.html, the run's timeline (docs/timelines.md), beside every saved "
                  "NAME.json");
  check->add_flag("--exhaustive", c.exhaustive, "Enumerate every scenario within the bounds below");
  check
      ->add_option("--max-splits", c.max_splits,
                   "Exhaustive: splits after the CPU embedding split (tensor-parallel: blocks)")
      ->check(CLI::Range(1, 6));
  check
      ->add_option("--max-backends", c.max_backends,
                   "Exhaustive: backends including the CPU (tensor-parallel: the meta backend's "
                   "devices)")
      ->check(CLI::Range(2, 5));
  check->add_option("--max-ubatches", c.max_ubatches, "Exhaustive: ubatches of the one decode")
      ->check(CLI::Range(1, 8));
  check->add_flag("--assert-known", c.assert_known,
                  "Exit 0 iff every policy's verdict is the known one (for CI)");
  return check;
}

CLI::App* define_diff(CLI::App& app, DiffArgs& d) {
  auto* diff = app.add_subcommand(
      "diff", "Compare a ggml version's model with its real scheduler call by call");
  diff->add_option("FILE", d.file, "Scenario file (or --cases N)")->type_name(kFileType);
  diff->add_option("--policy", d.policy,
                   "A version (ggml-20793), a real tree (ggml@TAG, ggml@PATH), or 'all'")
      ->type_name(kPolicyType);
  diff->add_option("--cases", d.cases, "Generated scenarios instead of a file")
      ->check(CLI::Range(1, 100000000));
  diff->add_option("--seed", d.seed, "Seed of the generated scenarios");
  diff->add_option("--jobs", d.jobs, "Parallel workers")->check(CLI::Range(1, 256));
  diff->add_option("--save", d.save,
                   "Where shrunk divergent scenarios go: a folder (default "
                   "schedcheck-divergences), or FILE.json for one version")
      ->type_name(kPathType);
  diff->add_flag("--json", d.json, "Machine-readable output (file mode)");
  return diff;
}

CLI::App* define_real(CLI::App& app, RealArgs& r) {
  auto* real =
      app.add_subcommand("real", "Run a scenario on the GPU and compare with the CPU reference");
  real->add_option("FILE", r.file, "Scenario file")->required()->type_name(kFileType);
  real->add_option("--policy", r.policy, "Policy name, or 'all'")->type_name(kPolicyType);
  real->add_option(
      "--delays", r.delays,
      "none | auto (targeted at each predicted race) | random:SEED | FILE | from:POLICY (the "
      "targeted plans of another policy's races, on this policy's calls)");
  real->add_option("--runs", r.runs, "Runs per delay plan")->check(CLI::Range(1, 10000));
  real->add_option(
          "--save-plan", r.save_plan,
          "Write the first delay plan to FILE (a new file; written before any device is needed)")
      ->type_name(kFileType);
  real->add_flag("--json", r.json, "JSON output (schedcheck-real/1)");
  real->add_option("--placement", r.placement,
                   "Backends on distinct GPUs when present (physical, default), the same without "
                   "peer access (physical-no-peer), or all on GPU 0 (virtual); default from "
                   "SCHEDCHECK_GPU_PLACEMENT")
      ->check(CLI::IsMember({"physical", "physical-no-peer", "virtual"}));
  real->add_option(
          "--backend", r.backend,
          "executor: schedcheck's CUDA executor (default); ggml-cuda or ggml-cpu: the tree "
          "of --policy ggml@TREE over ggml's own backends, each call recorded")
      ->check(CLI::IsMember({"executor", "ggml-cuda", "ggml-cpu"}));
  real->add_option("--timeline", r.timeline,
                   "Write one run's timeline, boxes placed by their CUDA-event times, as an HTML "
                   "page (a new file; the first mismatching run, else the first; needs --policy "
                   "NAME; docs/timelines.md)")
      ->type_name(kFileType);
  return real;
}

CLI::App* define_llama(CLI::App& app, LlamaScenarioArgs& l) {
  auto* llama = app.add_subcommand(
      "llama-scenario",
      "Write llama.cpp's decoder graph (real ops and sizes, random weights) as a scenario");
  llama->add_option("OUT", l.out, "The scenario file to write (a new file)")
      ->required()
      ->type_name(kFileType);
  llama->add_option("--layers", l.layers, "Layers per GPU, comma-separated (default 2,2)");
  llama->add_option("--kind", l.kind, "GPU backend kind: CUDA (default), HIP, Vulkan, ... or CPU");
  llama->add_option("--n-embd", l.shape.n_embd, "Embedding size (default 2048)")
      ->check(CLI::Range(2, 65536));
  llama->add_option("--n-head", l.shape.n_head, "Attention heads (default 32)")
      ->check(CLI::Range(1, 1024));
  llama->add_option("--n-head-kv", l.shape.n_head_kv, "KV heads (default 4)")
      ->check(CLI::Range(1, 1024));
  llama->add_option("--n-ff", l.shape.n_ff, "FFN size (default 5632)")
      ->check(CLI::Range(1, 262144));
  llama->add_option("--n-vocab", l.shape.n_vocab, "Vocabulary (default 32000)")
      ->check(CLI::Range(1, 1048576));
  llama->add_option("--ubatch", l.shape.n_ubatch, "Tokens per ubatch (default 512)")
      ->check(CLI::Range(1, 65536));
  llama->add_option("--ubatches", l.shape.ubatches, "Ubatches in the one decode (default 8)")
      ->check(CLI::Range(1, 64));
  return llama;
}

CLI::App* define_import(CLI::App& app, ImportArgs& i) {
  auto* imp = app.add_subcommand(
      "import", "Turn a pasted GGML_SCHED_DEBUG dump into a scenario (docs/import.md)");
  imp->add_option("DUMP", i.dump, "The dump: a text file as pasted (log lines around it are fine)")
      ->required()
      ->type_name(kFileType);
  imp->add_option("--out", i.out,
                  "The scenario file to write (a new file; default DUMP's name "
                  "with .json, in the current folder)")
      ->type_name(kFileType);
  imp->add_option("--n-copies", i.n_copies,
                  "Copies of split inputs (pipeline parallelism when above 1); default: from the "
                  "log or the dump's copy names")
      ->check(CLI::Range(1, 16));
  imp->add_option("--ubatches", i.ubatches, "Ubatches of the one decode to simulate (default 6)")
      ->check(CLI::Range(1, 4096));
  imp->add_flag("--pinned", i.pinned, "The CPU's compute buffer is pinned host memory");
  imp->add_flag("--pageable", i.pageable, "The CPU's compute buffer is pageable host memory");
  imp->add_option("--kind", i.kinds,
                  "NAME=KIND: the kind of a backend (CPU, BLAS, CUDA, HIP, MUSA, Vulkan, Metal), "
                  "where its name does not say it; repeatable")
      ->allow_extra_args(false);  // one NAME=KIND per --kind, so that DUMP may follow
  imp->add_option("--graph", i.graph,
                  "Which printout of the paste (1 = the first; default the last)")
      ->check(CLI::PositiveNumber);
  imp->add_option("--n-expert", i.n_expert, "Experts of a MUL_MAT_ID node (default 8)")
      ->check(CLI::Range(1, 4096));
  imp->add_flag("--strict", i.strict,
                "A line of the paste that cannot be used is an error (exit 2)");
  return imp;
}

}  // namespace

CliCommands define_cli(CLI::App& app, CliArgs& a) {
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", [] { return version_text(); }, "Print the version and build");
  // For help2man (cli/CMakeLists.txt): hidden from --help.
  app.add_flag_callback("--help-man",
                        [&app] {
                          std::cout << man_help_text(app);
                          throw CLI::Success();
                        })
      ->group("");
  CliCommands c;
  c.policies = app.add_subcommand("policies", "List the built-in policies: knobs and commits");
  c.policies->add_flag("--json", a.policies.json, "Machine-readable output");

  c.replay = app.add_subcommand("replay", "Simulate a scenario under one or all policies");
  c.replay->add_option("FILE", a.replay.file, "Scenario file (docs/scenario-format.md)")
      ->required()
      ->type_name(kFileType);
  c.replay
      ->add_option("--policy", a.replay.policy,
                   "Policy name, or 'all' (built-in and the scenario's own)")
      ->type_name(kPolicyType);
  c.replay->add_flag("--json", a.replay.json, "Stable JSON report (docs/report-format.md)");
  c.replay
      ->add_option("--timeline", a.replay.timeline,
                   "Write the run's timeline as an HTML page (a new file; needs --policy NAME; "
                   "docs/timelines.md)")
      ->type_name(kFileType);

  c.diff = define_diff(app, a.diff);

  c.corpus =
      app.add_subcommand("corpus", "Replay every report in DIR against its expected verdicts");
  c.corpus
      ->add_option("DIR", a.corpus.dir, "Corpus folder (default: the installed or project corpus)")
      ->type_name(kDirType);
  c.corpus->add_flag("--json", a.corpus.json, "Machine-readable output");
  c.corpus->add_flag("--real-ggml", a.corpus.real_ggml,
                     "Also check each ggml version's expectations against its real scheduler "
                     "(ggml@TAG, built from the ggml bundle)");

  c.check = define_check(app, a);

  c.advise = app.add_subcommand(
      "advise", "Which synchronizations a run needs (necessary / redundant / minimal set)");
  c.advise->add_option("FILE", a.advise.file, "Scenario file")->required()->type_name(kFileType);
  c.advise->add_option("--policy", a.advise.policy, "Policy name")
      ->required()
      ->type_name(kPolicyType);
  c.advise->add_flag("--json", a.advise.json, "JSON output (schedcheck-advise/1)");
  c.advise
      ->add_option("--apply", a.advise.apply,
                   "Write a copy of the scenario with a policy <NAME>-minimal that keeps only "
                   "the minimal set (a new file; an existing one is not overwritten)")
      ->type_name(kFileType);
  c.advise
      ->add_option("--timeline", a.advise.timeline,
                   "Write the run's timeline as an HTML page (a new file; docs/timelines.md)")
      ->type_name(kFileType);

  c.real = define_real(app, a.real);
  c.llama = define_llama(app, a.llama);
  c.import = define_import(app, a.import);

  c.completion = app.add_subcommand("completion", "Print the shell completion script (bash)");
  c.completion->add_option("SHELL", a.completion_shell, "The shell: bash")
      ->required()
      ->check(CLI::IsMember({"bash"}));
  return c;
}

}  // namespace schedcheck
