#include "scenario/backend_kind.hpp"

#include <array>
#include <utility>

namespace schedcheck {
namespace {

constexpr std::array<std::pair<BackendKind, std::string_view>, 8> kBackendNames{{
    {BackendKind::cpu, "CPU"},
    {BackendKind::blas, "BLAS"},
    {BackendKind::cuda, "CUDA"},
    {BackendKind::hip, "HIP"},
    {BackendKind::musa, "MUSA"},
    {BackendKind::vulkan, "Vulkan"},
    {BackendKind::metal, "Metal"},
    {BackendKind::meta, "meta"},
}};
constexpr std::array<std::pair<BufferKind, std::string_view>, 3> kBufferKindNames{{
    {BufferKind::pinned_host, "pinned_host"},
    {BufferKind::pageable_host, "pageable_host"},
    {BufferKind::device, "device"},
}};
constexpr std::array<std::pair<BufferUsage, std::string_view>, 5> kUsageNames{{
    {BufferUsage::weights, "weights"},
    {BufferUsage::compute, "compute"},
    {BufferUsage::kv, "kv"},
    {BufferUsage::output, "output"},
    {BufferUsage::input, "input"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view text) {
  for (const auto& [v, n] : table)
    if (n == text) return v;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(BackendKind kind) {
  return name_of(kBackendNames, kind);
}
std::string_view to_string(BufferKind kind) {
  return name_of(kBufferKindNames, kind);
}
std::string_view to_string(BufferUsage usage) {
  return name_of(kUsageNames, usage);
}
std::optional<BackendKind> parse_backend_kind(std::string_view t) {
  return value_of(kBackendNames, t);
}
std::optional<BufferKind> parse_buffer_kind(std::string_view t) {
  return value_of(kBufferKindNames, t);
}
std::optional<BufferUsage> parse_buffer_usage(std::string_view t) {
  return value_of(kUsageNames, t);
}

}  // namespace schedcheck
