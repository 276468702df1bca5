// ggml's own backends of a tree (ggml-cpu, and ggml-cuda where nvcc is found), built once by
// the tree's own CMake files into the cache as static, position-independent libraries that a
// plugin links (the plugin compiles the tree's core itself: one copy of it in the process).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "bridge/ggml_tree.hpp"

namespace schedcheck {

struct GgmlBackendLibraries {
  std::vector<std::filesystem::path> archives;  // in link order
  std::vector<std::string> link_flags;          // the CUDA libraries and their folder
  std::string key;                              // changes when any input changes
  std::filesystem::path build;                  // the CMake build folder
};

// Prints one progress line to stderr while it builds; throws BridgeError with the tail of the
// build's log when CMake fails. cuda: also ggml-cuda (architectures from
// $SCHEDCHECK_CUDA_ARCHITECTURES, default "native").
GgmlBackendLibraries build_ggml_backends(const GgmlTree& tree, bool cuda);

// ggml-cpu's build above, with ggml's registry library too, installed once into a prefix that
// find_package(ggml) reads (bench/ggml_sched_bench builds against it). Throws BridgeError with
// the tail of the failing step's log.
std::filesystem::path install_ggml(const GgmlTree& tree);

}  // namespace schedcheck
