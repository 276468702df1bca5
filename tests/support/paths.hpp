// Paths of the source tree and the built binary, for tests that read repository files.
#pragma once

#include <string>

namespace schedcheck::testing {

inline std::string source_path(const std::string& relative) {
  return std::string(SCHEDCHECK_SOURCE_DIR) + "/" + relative;
}

// A canonical scenario file by name ("single-gpu", "two-gpu-pp").
inline std::string canonical_path(const std::string& name) {
  return source_path("reports/canonical/" + name + ".json");
}

}  // namespace schedcheck::testing
