// What this binary is: written at build time by cmake/build_info.cmake (`schedcheck --version`).
#pragma once

namespace schedcheck::build_info {
extern const char* const kVersion;    // the project version, "0.1.0"
extern const char* const kCommit;     // git describe of the source tree, or "unknown"
extern const char* const kBuildType;  // CMAKE_BUILD_TYPE
extern const char* const kCompiler;   // "GNU 12.2.0"
extern const char* const kCuda;       // "CUDA executor (nvcc 13.0.48, sm_90)" or why not
}  // namespace schedcheck::build_info
