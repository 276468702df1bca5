// Saving a shrunk counterexample as a scenario file (with its expectation, so that
// `schedcheck replay` and `schedcheck corpus` reproduce it); never overwrites a different file.
#pragma once

#include <filesystem>
#include <string>

#include "properties/counterexample_search.hpp"

namespace schedcheck {

// exact_path: the user named this file; a different existing file there is an error
// (std::runtime_error). Otherwise a free name next to it is chosen. Returns the path written.
std::string save_counterexample(const Counterexample& c, const Policy& policy,
                                std::filesystem::path path, bool exact_path);

// The default location: schedcheck-counterexamples/<policy>-<mechanism>-seed<S>-case<I>.json
std::filesystem::path default_counterexample_path(const Counterexample& c, const Policy& policy);

}  // namespace schedcheck
