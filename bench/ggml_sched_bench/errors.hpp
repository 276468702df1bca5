// The ways a bench run ends early, each with its exit code (main maps them).
#pragma once

#include <stdexcept>

namespace gsb {

// Bad command line or bad input file: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The devices asked for are not there (--devices cuda without a CUDA device): exit code 3.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ggml refused something (allocation, compute): exit code 4.
class BenchError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gsb
