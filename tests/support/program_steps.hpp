// A program scenario's step by name, for tests (fails the test when there is none).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "scenario/scenario.hpp"

namespace schedcheck::testing {

inline std::size_t step_named(const Scenario& s, const std::string& name) {
  for (std::size_t i = 0; i < s.program.size(); ++i)
    if (s.program[i].name == name) return i;
  ADD_FAILURE() << "no step " << name;
  return 0;
}

}  // namespace schedcheck::testing
