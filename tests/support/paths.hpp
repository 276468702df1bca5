// Paths of the source tree and the built binary, for tests that read repository files.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace schedcheck::testing {

inline std::string source_path(const std::string& relative) {
  return std::string(SCHEDCHECK_SOURCE_DIR) + "/" + relative;
}

// A canonical scenario file by name ("single-gpu", "two-gpu-pp").
inline std::string canonical_path(const std::string& name) {
  return source_path("reports/canonical/" + name + ".json");
}

// Every scenario file of the corpus (reports/), sorted.
inline std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(source_path("reports")))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace schedcheck::testing
