// schedcheck: argument parsing and dispatch only (the command line is cli/cli_definition.cpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "bridge/real_scheduler.hpp"
#include "cli/cli_definition.hpp"
#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/version.hpp"

namespace {

using namespace schedcheck;

int run_check_command(CliArgs& a, bool main_job) {
  if (main_job) return run_main_job(default_corpus_dir());
  int i = 0, n = 0;
  char slash = 0;
  if (std::sscanf(a.shard.c_str(), "%d%c%d", &i, &slash, &n) != 3 || slash != '/' || n < 1 ||
      i < 1 || i > n) {
    std::fprintf(stderr, "schedcheck: --shard expects I/N with 1 <= I <= N, got \"%s\"\n",
                 a.shard.c_str());
    return kExitBadInput;
  }
  a.check.shard_index = i - 1;
  a.check.shard_count = n;
  return a.check.exhaustive ? run_exhaustive(a.check) : run_check(a.check);
}

int dispatch(CLI::App& app, const CliCommands& c, CliArgs& a, int argc) {
  if (*c.policies) return run_policies(a.policies);
  if (*c.replay) return run_replay(a.replay);
  if (*c.corpus) {
    if (a.corpus.dir.empty()) a.corpus.dir = default_corpus_dir();
    return run_corpus(a.corpus);
  }
  if (*c.diff) return run_diff(a.diff);
  if (*c.real) return run_real(a.real);
  if (*c.advise) return run_advise(a.advise);
  if (*c.llama) return run_llama_scenario(a.llama);
  if (*c.import) return run_import(a.import);
  if (*c.check) return run_check_command(a, argc == 2);
  if (*c.completion) {
    std::cout << bash_completion(app);
    return kExitClean;
  }
  return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"schedcheck: proves or refutes the synchronization of ggml's backend scheduler",
               "schedcheck"};
  CliArgs args;
  const CliCommands commands = define_cli(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {  // --version, --help-man
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  // A real ggml tree that cannot be built or run (bridge/) is bad input, said with the reason.
  try {
    return dispatch(app, commands, args, argc);
  } catch (const BridgeError& e) {
    std::fprintf(stderr, "schedcheck: %s\n", e.what());
    return kExitBadInput;
  }
}
