#include "scenario/capabilities.hpp"

#include <type_traits>
#include <variant>

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
      c.blocking_stream = true;        // cudaStreamPerThread
      c.free_waits_for_device = true;  // ~ggml_backend_cuda_buffer_context: cudaFree
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
      c.pinned_for_device0_only = true;  // Vulkan_Host: ggml_vk_host_malloc(devices[0], ...)
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
    case BackendKind::meta:
      // ggml_backend_meta_i: asynchronous, set/get async over its members, no events and no
      // cpy_tensor_async (its device props say events false). Its work runs on the members'
      // queues; the layout's queue of its own stays unused.
      c.async_queue = true;
      c.set_get_async = true;
      return c;
  }
  return c;
}

namespace {

// One row per field: its name and the member it names. The field list, the setters and the
// text getter all read this table.
using Member =
    std::variant<bool Capabilities::*, HostTransfer Capabilities::*, CopyQueue Capabilities::*>;
static_assert(std::is_same_v<std::variant_alternative_t<1, Member>, HostTransfer Capabilities::*>,
              "the alternatives are in CapabilityField::Type's order");
struct FieldRow {
  std::string_view name;
  Member member;
};

const std::vector<FieldRow>& field_rows() {
  using C = Capabilities;
  static const std::vector<FieldRow> rows{
      {"async_queue", &C::async_queue},
      {"events", &C::events},
      {"set_get_async", &C::set_get_async},
      {"set_async_pinned", &C::set_async_pinned},
      {"set_async_pageable", &C::set_async_pageable},
      {"get_async_pinned", &C::get_async_pinned},
      {"get_async_pageable", &C::get_async_pageable},
      {"cpy_async_member", &C::cpy_async_member},
      {"cpy_async_device", &C::cpy_async_device},
      {"cpy_async_same_device_only", &C::cpy_async_same_device_only},
      {"cpy_async_from_host", &C::cpy_async_from_host},
      {"cpy_async_from_host_pinned_only", &C::cpy_async_from_host_pinned_only},
      {"device_copy_queue", &C::device_copy_queue},
      {"blocking_stream", &C::blocking_stream},
      {"transfer_queue", &C::transfer_queue},
      {"transfer_queue_waits_events", &C::transfer_queue_waits_events},
      {"async_fallback_syncs", &C::async_fallback_syncs},
      {"integrated_reads_pinned_host", &C::integrated_reads_pinned_host},
      {"event_wait_drops_recorded", &C::event_wait_drops_recorded},
      {"graph_compute_syncs", &C::graph_compute_syncs},
      {"get_async_member", &C::get_async_member},
      {"pinned_for_device0_only", &C::pinned_for_device0_only},
      {"blocking_on_queue", &C::blocking_on_queue},
      {"free_waits_for_device", &C::free_waits_for_device},
  };
  return rows;
}

const FieldRow* find_row(std::string_view name) {
  for (const FieldRow& r : field_rows())
    if (r.name == name) return &r;
  return nullptr;
}

template <typename T>
bool set_field(Capabilities& c, std::string_view name, T value) {
  const FieldRow* row = find_row(name);
  if (!row || !std::holds_alternative<T Capabilities::*>(row->member)) return false;
  c.*std::get<T Capabilities::*>(row->member) = value;
  return true;
}

std::string text_of(bool b) {
  return b ? "true" : "false";
}
std::string text_of(HostTransfer t) {
  return std::string(to_string(t));
}
std::string text_of(CopyQueue q) {
  return std::string(to_string(q));
}

}  // namespace

const std::vector<CapabilityField>& capability_fields() {
  static const std::vector<CapabilityField> fields = [] {
    std::vector<CapabilityField> out;
    for (const FieldRow& r : field_rows())
      out.push_back({r.name, static_cast<CapabilityField::Type>(r.member.index())});
    return out;
  }();
  return fields;
}

bool set_capability(Capabilities& c, std::string_view f, bool v) {
  return set_field(c, f, v);
}

bool set_capability(Capabilities& c, std::string_view f, HostTransfer v) {
  return set_field(c, f, v);
}

bool set_capability(Capabilities& c, std::string_view f, CopyQueue v) {
  return set_field(c, f, v);
}

std::optional<std::string> capability_text(const Capabilities& c, std::string_view field) {
  const FieldRow* row = find_row(field);
  if (!row) return std::nullopt;
  return std::visit([&c](auto member) { return text_of(c.*member); }, row->member);
}

}  // namespace schedcheck
