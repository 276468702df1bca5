#include "bridge/plugin_library.hpp"

#include <dlfcn.h>

#include <exception>
#include <map>
#include <memory>
#include <mutex>

#include "bridge/ggml_tree.hpp"
#include "bridge/plugin_build.hpp"
#include "bridge/real_scheduler.hpp"

namespace schedcheck {

const PluginLibrary& PluginLibrary::for_tree(const std::string& tree_spec, int max_copies) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, int>, std::unique_ptr<PluginLibrary>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = loaded[{tree_spec, max_copies}];
  if (slot) return *slot;
  const GgmlTree tree = resolve_tree(tree_spec);
  const PluginBuild build = build_plugin(tree, max_copies);
  // ggml.cpp installs a terminate handler that runs gdb for a backtrace: keep ours.
  const std::terminate_handler previous = std::get_terminate();
  void* handle = dlopen(build.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::set_terminate(previous);
  if (!handle) throw BridgeError(tree.label + ": cannot load " + build.library.string() + ": " + dlerror());
  auto create = reinterpret_cast<bridge::CreateFn>(dlsym(handle, bridge::kCreateSymbol));
  if (!create) throw BridgeError(tree.label + ": " + build.library.string() + " has no " + bridge::kCreateSymbol);
  slot.reset(new PluginLibrary(tree.label, create, tree.computable));
  return *slot;
}

}  // namespace schedcheck
