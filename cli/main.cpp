// schedcheck: argument parsing and dispatch only.
#include <CLI/CLI.hpp>
#include <cstdio>

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

  std::string dir = SCHEDCHECK_DEFAULT_CORPUS;
  auto* corpus =
      app.add_subcommand("corpus", "Replay every report in DIR against its expected verdicts");
  corpus->add_option("DIR", dir, "Corpus folder (default: the project's reports/)");
  corpus->add_flag("--json", json, "Machine-readable output");

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
  if (*policies) return schedcheck::run_policies(json);
  if (*replay) return schedcheck::run_replay(file, policy, json);
  if (*corpus) return schedcheck::run_corpus(dir, json);
  return schedcheck::kExitBadInput;
}
