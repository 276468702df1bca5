// Backend-side switches that changed between ggml versions (spec §0.2, §2.8, §4).
// They belong to a policy's version profile, not to the scenario.
#pragma once

namespace schedcheck {

struct VersionProfile {
  // CUDA cpy_tensor_async accepts a host source from the CPU backend ("copy_from_host").
  bool cuda_host_to_device = false;  // CUDA builds
  bool hip_host_to_device = false;   // HIP builds
  bool musa_host_to_device = false;  // MUSA builds
  // Vulkan cpy_tensor_async exists (162fd7c1): same device, or pinned host source.
  bool vulkan_cpy_async = true;
  // Vulkan event_wait also makes the transfer queue wait (f257513c).
  bool vulkan_transfer_waits_events = false;
  // HIP builds take `integrated` from the device (ggml_cuda_init, ggml-26040): an APU's
  // supports_buft then accepts the pinned CUDA_Host buffer type. Forced off before, and in
  // CUDA and MUSA builds at every version.
  bool hip_integrated = false;
  // Vulkan event_wait records its wait into the live compute context, which is submitted later
  // (llama#20518, fda28915); before, it ended the context unsubmitted, dropping what it held.
  bool vulkan_event_wait_submits = true;
  // Generic set/get_tensor_async fallback synchronizes the backend first (c1c12948).
  bool async_fallback_syncs = true;
  // GGML_SCHED_MAX_SPLIT_INPUTS before e8e7ea4f; 0 = growable (no cut on a full input list).
  int max_split_inputs = 30;

  bool operator==(const VersionProfile&) const = default;
};

}  // namespace schedcheck
