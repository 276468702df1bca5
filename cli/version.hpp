// What `schedcheck --version` says, and where an installed or in-tree binary finds its corpus.
#pragma once

#include <string>

namespace schedcheck {

// Version, commit, build type, compiler, CUDA, the ggml trees it can run, caches and corpus.
std::string version_text();
// <prefix>/share/schedcheck/reports beside an installed binary, else this checkout's reports/.
std::string default_corpus_dir();

}  // namespace schedcheck
