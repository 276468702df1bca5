// Backend kinds from the names ggml gives its backends (CUDA0, ROCm1, MUSA0, Vulkan0, Metal,
// MTL0, HTP0, BLAS, CPU), overridable by the user (--kind NAME=KIND). Node lines cut backend
// names to five characters ("Vulka"); those are matched against the split headers' full names.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace schedcheck::import {

struct BackendGuess {
  std::string kind;  // a scenario backend kind: CPU, BLAS, CUDA, HIP, MUSA, Vulkan, Metal
  int device = 0;
  nlohmann::ordered_json capabilities;  // overrides for devices the model has no kind for
  std::string assumption;               // said in the scenario's description; empty if none
};

// nullopt: the name says nothing the model knows (SYCL0, CANN0, RPC[...]): --kind is needed.
std::optional<BackendGuess> guess_backend(std::string_view name);
// With --kind NAME=KIND given for it.
std::optional<BackendGuess> backend_with_kind(std::string_view name, std::string_view kind);

bool is_gpu_kind(std::string_view kind);

// The full name among `full` that a node line printed as `printed` ("%5.5s"); nullopt if none
// or several.
std::optional<std::string> resolve_printed_backend(std::string_view printed,
                                                   const std::vector<std::string>& full);

}  // namespace schedcheck::import
