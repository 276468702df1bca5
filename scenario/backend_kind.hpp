// Backend kinds known to the model and the buffer kinds/usages they work with.
// Names are the spellings used in scenario files and reports.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace schedcheck {

// meta: ggml's tensor-parallel meta backend (ggml-backend-meta.cpp, `-sm tensor`) over member
// GPU backends of the scenario; a real ggml tree that has it runs it (docs/meta-backend.md).
enum class BackendKind { cpu, blas, cuda, hip, musa, vulkan, metal, meta };
enum class BufferKind { pinned_host, pageable_host, device };
// input: host memory a program writes inputs from, or the memory of user inputs placed by the
// scenario (docs/scenario-format.md, "Inputs").
enum class BufferUsage { weights, compute, kv, output, input };

std::string_view to_string(BackendKind kind);
std::string_view to_string(BufferKind kind);
std::string_view to_string(BufferUsage usage);

std::optional<BackendKind> parse_backend_kind(std::string_view text);
std::optional<BufferKind> parse_buffer_kind(std::string_view text);
std::optional<BufferUsage> parse_buffer_usage(std::string_view text);

// CPU and BLAS run on the host thread and have no queue of their own.
inline bool is_host_backend(BackendKind k) {
  return k == BackendKind::cpu || k == BackendKind::blas;
}
inline bool is_cuda_family(BackendKind k) {
  return k == BackendKind::cuda || k == BackendKind::hip || k == BackendKind::musa;
}
// A queue of this kind may wait on an event of another device: CUDA's cudaStreamWaitEvent takes
// one; a VkEvent or MTLEvent belongs to one device, and HIP's documentation does not promise it
// (patches/ggml-head/0004 sets events_cross_device in the CUDA build only).
inline bool waits_on_other_devices_events(BackendKind k) {
  return k == BackendKind::cuda;
}
inline bool is_host_buffer(BufferKind k) {
  return k != BufferKind::device;
}

}  // namespace schedcheck
