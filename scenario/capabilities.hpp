// What a backend can do, per kind and ggml version (spec §4.6), with per-backend overrides
// from the scenario (e.g. a CUDA build with GGML_CUDA_NO_PEER_COPY has no events and copies
// only within a device: events false, cpy_async_same_device_only true).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/backend_kind.hpp"
#include "scenario/version_profile.hpp"

namespace schedcheck {

// How an asynchronous host<->device transfer treats the host side.
enum class HostTransfer {
  at_execution,      // queued; host memory is read/written when the queue item runs
  captured_at_call,  // host source read during the call (staged); device write happens later
  blocks_host,       // queued, and the call returns only after the queue drained
};
std::string_view to_string(HostTransfer t);
std::optional<HostTransfer> parse_host_transfer(std::string_view text);

// Where a device-to-device cpy_tensor_async runs.
enum class CopyQueue {
  source_then_event,  // copy on the source queue, event recorded there, destination waits (CUDA,
                      // Metal)
  destination,        // copy on the destination queue (Vulkan)
};
std::string_view to_string(CopyQueue q);
std::optional<CopyQueue> parse_copy_queue(std::string_view text);

struct Capabilities {
  bool async_queue = false;    // graph_compute enqueues; synchronize waits for the queue
  bool events = false;         // event_new returns an event (needed for pipeline parallelism)
  bool set_get_async = false;  // implements set/get_tensor_async itself
  HostTransfer set_async_pinned = HostTransfer::at_execution;
  HostTransfer set_async_pageable = HostTransfer::captured_at_call;
  HostTransfer get_async_pinned = HostTransfer::at_execution;
  HostTransfer get_async_pageable = HostTransfer::blocks_host;
  bool cpy_async_member = false;            // has a cpy_tensor_async member at all
  bool cpy_async_device = false;            // accepts a device source of the same family
  bool cpy_async_same_device_only = false;  // ... only on the same physical device (Vulkan)
  bool cpy_async_from_host = false;         // accepts a host source of the CPU backend
  // ... only pinned host memory, and then of any source backend: Vulkan checks the memory only
  // (ggml_vk_host_get), where CUDA's copy_from_host needs a CPU-backend source.
  bool cpy_async_from_host_pinned_only = false;
  CopyQueue device_copy_queue = CopyQueue::source_then_event;
  // Blocking buffer set/get/copy run on a hidden stream not ordered with the queue
  // (CUDA cudaStreamPerThread, Vulkan's synchronous submit); false = host memcpy (Metal).
  bool blocking_stream = false;
  bool transfer_queue = false;               // host->device async copies on a separate queue
  bool transfer_queue_waits_events = false;  // event_wait also covers that transfer queue
  bool async_fallback_syncs = true;          // set/get async fallback synchronizes first
  // On an integrated GPU (Backend::integrated), supports_buft accepts the pinned host buffer
  // type: the scheduler makes no input copy and kernels read host memory when they run.
  bool integrated_reads_pinned_host = false;
  // event_wait ends the backend's command context without submitting it: work recorded since the
  // last submit (synchronize, event_record, graph launch) is lost (Vulkan before fda28915).
  bool event_wait_drops_recorded = false;
  // graph_compute synchronizes before it returns (Vulkan on a device without async support,
  // Backend::support_async false: Intel DG1, GGML_VK_DISABLE_ASYNC).
  bool graph_compute_syncs = false;
  // With set_get_async: implements get_tensor_async too (Vulkan drops it on such a device, so the
  // generic fallback synchronizes and reads blocking).
  bool get_async_member = true;
  // Pinned host memory counts as pinned only for device 0: ggml's Vulkan_Host buffers are
  // registered with Vulkan device 0 alone; on another device they are pageable for this backend.
  bool pinned_for_device0_only = false;
  // Blocking buffer set/get/copy are a command on the backend's own queue plus a host wait
  // (Metal private buffers, Backend::private_buffers: a blit on the device's MTLCommandQueue).
  bool blocking_on_queue = false;
  // Freeing a device buffer waits for the device first (ggml-cuda's buffer free is cudaFree, a
  // device synchronization); false: the memory is released at once, even while queued work still
  // reads it (Vulkan's vkFreeMemory, Metal's command buffers with unretained references).
  bool free_waits_for_device = false;

  bool operator==(const Capabilities&) const = default;
};

// The table of spec §4.6 for one kind under one version profile.
Capabilities capabilities_for(BackendKind kind, const VersionProfile& profile);

// Names of the fields that a scenario may override, with setters; used by the JSON loader
// and by reports, so both agree on the spelling.
struct CapabilityField {
  std::string_view name;
  enum class Type { boolean, host_transfer, copy_queue } type;  // in this order (the table's)
};
const std::vector<CapabilityField>& capability_fields();
// Applies one override; returns false if the field name is unknown.
bool set_capability(Capabilities& caps, std::string_view field, bool value);
bool set_capability(Capabilities& caps, std::string_view field, HostTransfer value);
bool set_capability(Capabilities& caps, std::string_view field, CopyQueue value);
// A field's value as scenario files spell it ("true", "at_execution", "destination"); nullopt
// for an unknown field.
std::optional<std::string> capability_text(const Capabilities& caps, std::string_view field);

}  // namespace schedcheck
