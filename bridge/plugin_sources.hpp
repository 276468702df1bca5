// The plugin's sources (bridge/plugin/ and bridge/plugin_abi.hpp), embedded in the binary at
// build time so that an installed schedcheck can build plugins for any tree.
#pragma once

#include <string_view>
#include <vector>

namespace schedcheck {

struct EmbeddedFile {
  std::string_view path;  // relative to the source root, e.g. "bridge/plugin/sim_devices.cpp"
  std::string_view text;
};

const std::vector<EmbeddedFile>& plugin_sources();

}  // namespace schedcheck
