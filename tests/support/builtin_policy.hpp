// A built-in policy by name, for tests (fails the test when there is none).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "model/policies/registry.hpp"

namespace schedcheck::testing {

inline const Policy& policy(const std::string& name) {
  const Policy* p = find_builtin_policy(name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

}  // namespace schedcheck::testing
