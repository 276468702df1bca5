// Tests that build real ggml trees take them from the bundle beside the checkout
// (../shared/upstream/ggml-versions.bundle, or SCHEDCHECK_GGML_BUNDLE) and keep what they build
// in the build folder's cache; without the bundle they skip with the reason.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

#include "bridge/ggml_tree.hpp"

namespace schedcheck::testing {

class GgmlBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SCHEDCHECK_CACHE", SCHEDCHECK_TEST_GGML_CACHE, 0);
    if (!find_bundle())
      GTEST_SKIP() << "no ggml bundle: expected ../shared/upstream/ggml-versions.bundle beside "
                      "the checkout, or SCHEDCHECK_GGML_BUNDLE";
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

}  // namespace schedcheck::testing
