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

}  // namespace schedcheck::testing
