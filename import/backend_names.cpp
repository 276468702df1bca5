#include "import/backend_names.hpp"

#include <array>
#include <cctype>

namespace schedcheck::import {
namespace {

// The device number at the end of a name ("CUDA1" -> 1); 0 when there is none.
int trailing_device(std::string_view name) {
  std::size_t i = name.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(name[i - 1]))) --i;
  if (i == name.size() || name.size() - i > 2) return 0;
  return std::stoi(std::string(name.substr(i)));
}

bool named(std::string_view name, std::string_view stem) {
  if (!name.starts_with(stem)) return false;
  for (char c : name.substr(stem.size()))
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

bool is_gpu_kind(std::string_view kind) {
  return kind != "CPU" && kind != "BLAS";
}

std::optional<BackendGuess> backend_with_kind(std::string_view name, std::string_view kind) {
  static constexpr std::array<std::string_view, 7> kKinds = {"CPU",  "BLAS",   "CUDA", "HIP",
                                                             "MUSA", "Vulkan", "Metal"};
  for (std::string_view k : kKinds)
    if (k == kind)
      return BackendGuess{
          std::string(k), trailing_device(name), nlohmann::ordered_json::object(), {}};
  return std::nullopt;
}

std::optional<BackendGuess> guess_backend(std::string_view name) {
  const int device = trailing_device(name);
  auto plain = [&](std::string_view kind) {
    return BackendGuess{std::string(kind), device, nlohmann::ordered_json::object(), {}};
  };
  if (name == "CPU") return plain("CPU");
  if (name == "BLAS") return plain("BLAS");
  if (named(name, "CUDA")) return plain("CUDA");
  if (named(name, "ROCm")) return plain("HIP");  // ggml-cuda built for HIP names its devices ROCmN
  if (named(name, "MUSA")) return plain("MUSA");
  if (named(name, "Vulkan")) return plain("Vulkan");
  if (name == "Metal" || named(name, "MTL")) return plain("Metal");
  if (named(name, "HTP")) {
    // ggml-hexagon at ggml-head: graph_compute is asynchronous (synchronize waits for it), and
    // there are no async set/get, no cpy_tensor_async and no events.
    BackendGuess g = plain("CUDA");
    g.capabilities = {
        {"events", false},           {"set_get_async", false},       {"cpy_async_member", false},
        {"cpy_async_device", false}, {"cpy_async_from_host", false}, {"blocking_stream", false}};
    g.assumption = std::string(name) +
                   " (Hexagon) is modelled as an asynchronous device with no async copies and no "
                   "events, ggml-hexagon's interface at ggml-head";
    return g;
  }
  return std::nullopt;
}

std::optional<std::string> resolve_printed_backend(std::string_view printed,
                                                   const std::vector<std::string>& full) {
  std::optional<std::string> found;
  for (const std::string& f : full) {
    const bool match =
        f == printed || (printed.size() == 5 && f.size() > 5 && f.starts_with(printed));
    if (!match) continue;
    if (f == printed) return f;
    if (found) return std::nullopt;  // "Vulka": Vulkan0 or Vulkan1
    found = f;
  }
  return found;
}

}  // namespace schedcheck::import
