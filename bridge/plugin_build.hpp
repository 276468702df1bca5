// Builds the plugin of one ggml tree: the tree's core (ggml.c, ggml.cpp, ggml-alloc.c,
// ggml-quants.c, ggml-threading.cpp, ggml-backend-meta.cpp where present, and ggml-backend.cpp
// inside bridge/plugin/sched_state.cpp) with the simulated devices, into a shared library.
// Objects and libraries are cached by content (sources, headers, compiler, flags), so trees
// whose files are identical share objects and an unchanged tree is never built twice.
#pragma once

#include <filesystem>

#include "bridge/ggml_tree.hpp"

namespace schedcheck {

struct PluginBuild {
  std::filesystem::path library;
  bool built = false;  // false: found in the cache
  int objects_compiled = 0;
  double seconds = 0;
};

// Prints one progress line to stderr while it builds; throws BridgeError with the compiler's
// output when a file does not compile.
PluginBuild build_plugin(const GgmlTree& tree, int max_copies);

}  // namespace schedcheck
