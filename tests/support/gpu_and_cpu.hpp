// A fixture for tests that build a small graph over one CUDA GPU and the CPU, and the
// ScenarioError a planning step throws.
#pragma once

#include <gtest/gtest.h>

#include <functional>

#include "scenario/scenario_builder.hpp"
#include "scenario/scenario_error.hpp"

namespace schedcheck::testing {

struct GpuAndCpu : ::testing::Test {
  ScenarioBuilder b;
  Index gpu = b.backend("CUDA0", BackendKind::cuda, 0);
  Index cpu = b.backend("CPU", BackendKind::cpu);
};

// The ScenarioError that `step` throws; a test failure (and an empty error) if it throws none.
inline ScenarioError error_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ScenarioError";
  return ScenarioError("", "", "");
}

}  // namespace schedcheck::testing
