// Shell completion and man-page text generated from the command-line definition
// (`schedcheck completion bash`; `schedcheck --help-man`, read by help2man).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace schedcheck {

// A bash completion script for every subcommand and option of `app`: option names, policy
// names for POLICY values, files for FILE, folders for DIR and PATH, the choices of --delays.
std::string bash_completion(CLI::App& app);

// Every subcommand with its arguments and options, laid out as help2man reads --help output
// (one "Name:" heading per subcommand, option lines indented under it).
std::string man_help_text(CLI::App& app);

}  // namespace schedcheck
