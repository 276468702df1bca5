// Saving a shrunk counterexample as a scenario file (with its expectation, so that
// `schedcheck replay` and `schedcheck corpus` reproduce it); never overwrites a different file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "properties/counterexample_search.hpp"

namespace schedcheck {

// Where `--save ARG` puts what a run finds (docs/checking.md): an existing folder, or a name
// not ending in ".json", is a folder (created when needed); any other name ending in ".json" is
// one file, valid only when exactly one scenario is saved.
struct SaveTarget {
  std::filesystem::path path;
  bool is_file = false;
  // Where scenario `default_name` goes (the file itself, or default_name inside the folder).
  std::filesystem::path place(const std::filesystem::path& default_name) const;
};
// nullopt after printing why (an existing file that is not a folder, without ".json").
// `how_many`: how many scenarios the run may save, known before it starts (several policies);
// a file target with more than one is refused up front.
std::optional<SaveTarget> resolve_save_target(const std::string& arg, const std::string& option,
                                              std::size_t how_many);
// For a file target, after the search: nullopt when `found` scenarios fit, else the message
// that says to give a folder.
std::optional<std::string> save_count_error(const SaveTarget& t, std::size_t found,
                                            const std::string& option);

// exact_path: the user named this file; a different existing file there is an error
// (std::runtime_error). Otherwise a free name next to it is chosen. Returns the path written.
std::string save_counterexample(const Counterexample& c, const Policy& policy,
                                std::filesystem::path path, bool exact_path);

// Writes `text` at `path` unless the same text is there; a different file there is an error
// (std::runtime_error) when exact_path, else a free name "<stem>~N.json" is chosen.
std::string write_scenario_file(const std::string& text, std::filesystem::path path,
                                bool exact_path);

// The default location: schedcheck-counterexamples/<policy>-<mechanism>-seed<S>-case<I>.json,
// with the variant's slug (sim/finding_variant.hpp) for <mechanism> when shrinking kept it.
std::filesystem::path default_counterexample_path(const Counterexample& c, const Policy& policy);

}  // namespace schedcheck
