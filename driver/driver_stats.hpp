// What a driver (the decode loop, or a program's steps) reports about its run.
#pragma once

#include <cstddef>
#include <vector>

namespace schedcheck {

// The backend API calls one program step made: [first, end) of BackendApi::calls().
struct StepCalls {
  std::size_t first = 0;
  std::size_t end = 0;
};

struct DriverStats {
  int evaluations = 0;
  int reused_graphs = 0;
  std::vector<StepCalls> steps;  // a program's, per step; empty for the decode loop
};

}  // namespace schedcheck
