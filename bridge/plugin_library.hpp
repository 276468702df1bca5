// A built plugin loaded into this process, its symbols kept local (RTLD_LOCAL), so that the
// schedulers of several ggml trees run side by side. Loaded once and kept for the process.
#pragma once

#include <mutex>
#include <string>

#include "bridge/plugin_abi.hpp"

namespace schedcheck {

class PluginLibrary {
 public:
  // The plugin of a real policy's tree for a GGML_SCHED_MAX_COPIES value: built if needed,
  // then loaded. Throws BridgeError.
  static const PluginLibrary& for_tree(const std::string& tree_spec, int max_copies);

  bridge::CreateFn create() const { return create_; }
  const std::string& label() const { return label_; }
  // The tree's graph is computable ops (devices that compute, or ,graph=computable).
  bool computable() const { return computable_; }
  // A plugin runs one scenario at a time (its simulated devices keep the run in a global).
  std::mutex& run_mutex() const { return run_mutex_; }

 private:
  PluginLibrary(std::string label, bridge::CreateFn fn, bool computable)
      : label_(std::move(label)), create_(fn), computable_(computable) {}
  std::string label_;
  bridge::CreateFn create_;
  bool computable_ = false;
  mutable std::mutex run_mutex_;
};

}  // namespace schedcheck
