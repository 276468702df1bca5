// Tests that build real ggml trees take them from the bundle beside the checkout
// (../shared/upstream/ggml-versions.bundle, or SCHEDCHECK_GGML_BUNDLE) and keep what they build
// in the build folder's cache; without the bundle they skip with the reason.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "bridge/ggml_tree.hpp"

namespace schedcheck::testing {

class GgmlBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCHEDCHECK_CACHE", SCHEDCHECK_TEST_GGML_CACHE, 0);
    if (!find_bundle())
      GTEST_SKIP() << "no ggml bundle: expected ../shared/upstream/ggml-versions.bundle beside "
                      "the checkout, or SCHEDCHECK_GGML_BUNDLE";
    if (std::system("git --version > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "no git: trees are extracted from the bundle, and patched, with git";
  }
};

// Tests over ggml's own backends, which the tree's CMake files build: also skipped without CMake.
class GgmlBackendsTest : public GgmlBundleTest {
 protected:
  void SetUp() override {
    GgmlBundleTest::SetUp();
    if (IsSkipped()) return;
    if (std::system("cmake --version > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "no cmake: ggml's own backends are built with the tree's CMake files";
  }
};

// A copy of a tree's include/ and src/ at `where` (replaced), to edit or patch.
inline std::filesystem::path copy_of_tree(const std::string& tag,
                                          const std::filesystem::path& where) {
  namespace fs = std::filesystem;
  const fs::path root = resolve_tree(tag).root;
  fs::remove_all(where);
  fs::create_directories(where);
  fs::copy(root / "include", where / "include", fs::copy_options::recursive);
  fs::copy(root / "src", where / "src", fs::copy_options::recursive);
  return where;
}

}  // namespace schedcheck::testing
