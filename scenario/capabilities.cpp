#include "scenario/capabilities.hpp"

namespace schedcheck {

std::string_view to_string(HostTransfer t) {
  switch (t) {
    case HostTransfer::at_execution:
      return "at_execution";
    case HostTransfer::captured_at_call:
      return "captured_at_call";
    case HostTransfer::blocks_host:
      return "blocks_host";
  }
  return "?";
}

std::optional<HostTransfer> parse_host_transfer(std::string_view text) {
  for (auto t :
       {HostTransfer::at_execution, HostTransfer::captured_at_call, HostTransfer::blocks_host})
    if (to_string(t) == text) return t;
  return std::nullopt;
}

std::string_view to_string(CopyQueue q) {
  return q == CopyQueue::source_then_event ? "source_then_event" : "destination";
}

std::optional<CopyQueue> parse_copy_queue(std::string_view text) {
  for (auto q : {CopyQueue::source_then_event, CopyQueue::destination})
    if (to_string(q) == text) return q;
  return std::nullopt;
}

Capabilities capabilities_for(BackendKind kind, const VersionProfile& profile) {
  Capabilities c;
  c.async_fallback_syncs = profile.async_fallback_syncs;
  switch (kind) {
    case BackendKind::cpu:
    case BackendKind::blas:
      c.integrated_reads_pinned_host = true;  // host backends read every host buffer
      return c;  // synchronous, no events, no async members (§4.2, §4.3)
    case BackendKind::cuda:
    case BackendKind::hip:
    case BackendKind::musa: {
      c.async_queue = true;
      c.events = true;
      c.set_get_async = true;
      c.set_async_pinned = HostTransfer::at_execution;
      // HIP performs hipMemcpyAsync with a non-pinned host side synchronously (§4.1 [H]).
      c.set_async_pageable =
          kind == BackendKind::hip ? HostTransfer::blocks_host : HostTransfer::captured_at_call;
      c.get_async_pinned = HostTransfer::at_execution;
      c.get_async_pageable = HostTransfer::blocks_host;
      c.cpy_async_member = true;
      c.cpy_async_device = true;
      c.cpy_async_from_host = (kind == BackendKind::cuda && profile.cuda_host_to_device) ||
                              (kind == BackendKind::hip && profile.hip_host_to_device) ||
                              (kind == BackendKind::musa && profile.musa_host_to_device);
      c.device_copy_queue = CopyQueue::source_then_event;
      c.blocking_stream = true;  // cudaStreamPerThread
      // ggml_cuda_init forces `integrated` off except in HIP builds from ggml-26040.
      c.integrated_reads_pinned_host = kind == BackendKind::hip && profile.hip_integrated;
      return c;
    }
    case BackendKind::vulkan:
      c.async_queue = true;
      c.events = true;
      c.set_get_async = true;
      c.set_async_pinned = HostTransfer::at_execution;
      c.set_async_pageable = HostTransfer::blocks_host;  // staged, then synchronize at once
      c.get_async_pinned = HostTransfer::at_execution;
      c.get_async_pageable = HostTransfer::blocks_host;
      c.cpy_async_member = profile.vulkan_cpy_async;
      c.cpy_async_device = profile.vulkan_cpy_async;
      c.cpy_async_same_device_only = true;
      c.cpy_async_from_host = profile.vulkan_cpy_async;
      c.cpy_async_from_host_pinned_only = true;
      c.device_copy_queue = CopyQueue::destination;
      c.blocking_stream = true;  // synchronous submit + fence, not ordered with the compute queue
      c.transfer_queue_waits_events = profile.vulkan_transfer_waits_events;
      c.event_wait_drops_recorded = !profile.vulkan_event_wait_submits;
      return c;
    case BackendKind::metal:
      c.async_queue = true;
      c.events = true;
      c.set_get_async = true;
      c.set_async_pinned = HostTransfer::captured_at_call;  // bytes wrapped into a new buffer
      c.set_async_pageable = HostTransfer::captured_at_call;
      c.get_async_pinned = HostTransfer::at_execution;  // host memory wrapped without copy
      c.get_async_pageable = HostTransfer::at_execution;
      c.cpy_async_member = true;
      c.cpy_async_device = true;
      c.device_copy_queue = CopyQueue::source_then_event;
      c.blocking_stream = false;  // shared memory: blocking set/get are host memcpys
      return c;
  }
  return c;
}

namespace {
using F = CapabilityField;
const std::vector<CapabilityField> kFields{
    {"async_queue", F::Type::boolean},
    {"events", F::Type::boolean},
    {"set_get_async", F::Type::boolean},
    {"set_async_pinned", F::Type::host_transfer},
    {"set_async_pageable", F::Type::host_transfer},
    {"get_async_pinned", F::Type::host_transfer},
    {"get_async_pageable", F::Type::host_transfer},
    {"cpy_async_member", F::Type::boolean},
    {"cpy_async_device", F::Type::boolean},
    {"cpy_async_same_device_only", F::Type::boolean},
    {"cpy_async_from_host", F::Type::boolean},
    {"cpy_async_from_host_pinned_only", F::Type::boolean},
    {"device_copy_queue", F::Type::copy_queue},
    {"blocking_stream", F::Type::boolean},
    {"transfer_queue", F::Type::boolean},
    {"transfer_queue_waits_events", F::Type::boolean},
    {"async_fallback_syncs", F::Type::boolean},
    {"integrated_reads_pinned_host", F::Type::boolean},
    {"event_wait_drops_recorded", F::Type::boolean},
};
}  // namespace

const std::vector<CapabilityField>& capability_fields() {
  return kFields;
}

bool set_capability(Capabilities& c, std::string_view f, bool v) {
  bool* target = f == "async_queue"                       ? &c.async_queue
                 : f == "events"                          ? &c.events
                 : f == "set_get_async"                   ? &c.set_get_async
                 : f == "cpy_async_member"                ? &c.cpy_async_member
                 : f == "cpy_async_device"                ? &c.cpy_async_device
                 : f == "cpy_async_same_device_only"      ? &c.cpy_async_same_device_only
                 : f == "cpy_async_from_host"             ? &c.cpy_async_from_host
                 : f == "cpy_async_from_host_pinned_only" ? &c.cpy_async_from_host_pinned_only
                 : f == "blocking_stream"                 ? &c.blocking_stream
                 : f == "transfer_queue"                  ? &c.transfer_queue
                 : f == "transfer_queue_waits_events"     ? &c.transfer_queue_waits_events
                 : f == "async_fallback_syncs"            ? &c.async_fallback_syncs
                 : f == "integrated_reads_pinned_host"    ? &c.integrated_reads_pinned_host
                 : f == "event_wait_drops_recorded"       ? &c.event_wait_drops_recorded
                                                          : nullptr;
  if (!target) return false;
  *target = v;
  return true;
}

bool set_capability(Capabilities& c, std::string_view f, HostTransfer v) {
  HostTransfer* target = f == "set_async_pinned"     ? &c.set_async_pinned
                         : f == "set_async_pageable" ? &c.set_async_pageable
                         : f == "get_async_pinned"   ? &c.get_async_pinned
                         : f == "get_async_pageable" ? &c.get_async_pageable
                                                     : nullptr;
  if (!target) return false;
  *target = v;
  return true;
}

bool set_capability(Capabilities& c, std::string_view f, CopyQueue v) {
  if (f != "device_copy_queue") return false;
  c.device_copy_queue = v;
  return true;
}

}  // namespace schedcheck
