// The command line: every subcommand, option and flag, in one place (main.cpp parses and
// dispatches; the bash completion and the man page are generated from this definition).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/commands.hpp"

namespace schedcheck {

// Value kinds of options, shown in --help and used by the completion (cli/completion.cpp).
inline constexpr const char* kPolicyType = "POLICY";
inline constexpr const char* kFileType = "FILE";
inline constexpr const char* kDirType = "DIR";
inline constexpr const char* kPathType = "PATH";  // a folder, or FILE.json (--save)

// One Args struct per subcommand (cli/commands.hpp).
struct CliArgs {
  PoliciesArgs policies;
  ReplayArgs replay;
  CorpusArgs corpus;
  std::string shard = "1/1";  // check --shard I/N, parsed into check.shard_*
  CheckArgs check;
  AdviseArgs advise;
  DiffArgs diff;
  RealArgs real;
  LlamaScenarioArgs llama;
  ImportArgs import;
  std::string completion_shell;
};

struct CliCommands {
  CLI::App* policies = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* diff = nullptr;
  CLI::App* corpus = nullptr;
  CLI::App* check = nullptr;
  CLI::App* advise = nullptr;
  CLI::App* real = nullptr;
  CLI::App* llama = nullptr;
  CLI::App* import = nullptr;
  CLI::App* completion = nullptr;
};

// Defines the whole command line on `app`, binding every value to `args`.
CliCommands define_cli(CLI::App& app, CliArgs& args);

}  // namespace schedcheck
