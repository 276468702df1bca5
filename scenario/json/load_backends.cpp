// "backends" (with capability overrides) and "buffers".
#include "scenario/json/scenario_loader.hpp"

#include <algorithm>

#include "scenario/json/limits.hpp"

namespace schedcheck::json_format {
namespace {

// A device property that ggml's backend of one kind reads from the device (Vulkan's transfer
// queue and async support, Metal's private buffers): where the field is allowed, and what it is.
struct DeviceProperty {
  std::string_view field;
  BackendKind kind;
  bool Backend::*member;
  std::string_view meaning;
};

const DeviceProperty kDeviceProperties[] = {
    {"transfer_queue", BackendKind::vulkan, &Backend::transfer_queue,
     "ggml's async_use_transfer_queue"},
    {"support_async", BackendKind::vulkan, &Backend::support_async, "ggml's support_async"},
    {"private_buffers", BackendKind::metal, &Backend::private_buffers, "private buffer storage"},
};

}  // namespace

void ScenarioLoader::load_backends(const Json& list) {
  array(list, "/backends");
  if (list.empty()) fail("/backends", "expected at least one backend (the CPU backend, last)");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at("/backends", i);
    const Json& j = object(
        list[i], p,
        {"name", "kind", "device", "devices", "integrated", "transfer_queue", "support_async",
         "private_buffers", "compute_queue_copy_max", "compute_buffer", "capabilities"});
    Backend b;
    b.name = name(required(j, p, "name"), at(p, "name"));
    claim(backend_path_, b.name, at(p, "name"), "backend");
    const std::string kind = string(required(j, p, "kind"), at(p, "kind"));
    auto k = parse_backend_kind(kind);
    if (!k)
      fail(at(p, "kind"), "unknown backend kind " + in_quotes(kind) +
                              " (known: CPU, BLAS, CUDA, HIP, MUSA, Vulkan, Metal, meta)");
    b.kind = *k;
    if (b.kind == BackendKind::meta) {
      for (const char* f : {"device", "integrated", "capabilities"})
        if (optional(j, f))
          fail(at(p, f), std::string("a meta backend has no \"") + f +
                             "\" (its member backends are the devices)");
      meta_devices_.emplace_back(static_cast<Index>(i), &required(j, p, "devices"));
    } else if (optional(j, "devices")) {
      fail(at(p, "devices"), "only a backend of kind \"meta\" lists member \"devices\"");
    }
    if (b.kind == BackendKind::meta) {
      // no physical device of its own
    } else if (is_host_backend(b.kind)) {
      if (optional(j, "device"))
        fail(at(p, "device"), "a " + kind + " backend has no \"device\" (only GPU backends do)");
    } else {
      if (!optional(j, "device"))
        fail(p, "missing required field \"device\" (GPU backends name their physical device)");
      b.device = small_int(j["device"], at(p, "device"), 0, kMaxDevice);
    }
    if (const Json* ig = optional(j, "integrated")) {
      if (is_host_backend(b.kind))
        fail(at(p, "integrated"),
             "a " + kind + " backend is not a GPU; \"integrated\" describes a GPU device");
      b.integrated = boolean(*ig, at(p, "integrated"));
    }
    for (const DeviceProperty& d : kDeviceProperties) {
      const Json* v = optional(j, std::string(d.field));
      if (!v) continue;
      const std::string fp = at(p, d.field);
      if (b.kind != d.kind)
        fail(fp, "a " + kind + " backend has no " + in_quotes(d.field) + " (" +
                     std::string(d.meaning) + " is a property of " +
                     std::string(to_string(d.kind)) + " devices)");
      b.*d.member = boolean(*v, fp);
    }
    if (const Json* m = optional(j, "compute_queue_copy_max")) {
      const std::string mp = at(p, "compute_queue_copy_max");
      if (!b.transfer_queue)
        fail(mp, "only a Vulkan backend with \"transfer_queue\": true routes copies by size");
      b.compute_queue_copy_max = unsigned_in(*m, mp, 1, kMaxSize);
    }
    compute_buffer_names_.push_back(
        string(required(j, p, "compute_buffer"), at(p, "compute_buffer")));
    if (const Json* caps = optional(j, "capabilities"))
      b.overrides = load_overrides(*caps, at(p, "capabilities"));
    backend_index_.emplace(b.name, static_cast<Index>(i));
    scenario_.backends.push_back(std::move(b));
  }
  // ggml_backend_sched requires the CPU backend, and requires it last (lowest priority).
  Index cpu = kNone;
  for (Index i = 0; i < static_cast<Index>(scenario_.backends.size()); ++i) {
    if (scenario_.backends[i].kind != BackendKind::cpu) continue;
    if (cpu != kNone)
      fail(at(at("/backends", i), "kind"), "a second CPU backend (the first is " +
                                               at("/backends", cpu) +
                                               "); a scenario has exactly one");
    cpu = i;
  }
  if (cpu == kNone) fail("/backends", "no CPU backend: the last backend must have kind \"CPU\"");
  resolve_meta_members();
  if (cpu != scenario_.cpu_backend())
    fail(at(at("/backends", cpu), "kind"),
         "the CPU backend must be the last backend (backends are listed in priority order and "
         "the scheduler needs the CPU last)");
}

std::vector<CapabilityOverride> ScenarioLoader::load_overrides(const Json& j,
                                                               const std::string& path) const {
  if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
  std::vector<CapabilityOverride> out;
  for (const auto& item : j.items()) {
    const std::string& field = item.key();
    const Json& value = item.value();
    const std::string p = at(path, field);
    const auto& fields = capability_fields();
    auto f = std::find_if(fields.begin(), fields.end(),
                          [&](const CapabilityField& c) { return c.name == field; });
    if (f == fields.end()) {
      std::vector<std::string_view> names;
      for (const auto& c : fields) names.push_back(c.name);
      fail(p, "unknown capability field " + in_quotes(field) + " (allowed: " + join(names) + ")");
    }
    CapabilityOverride o;
    o.field = field;
    switch (f->type) {
      case CapabilityField::Type::boolean:
        o.boolean = boolean(value, p);
        break;
      case CapabilityField::Type::host_transfer: {
        const std::string text = string(value, p);
        auto t = parse_host_transfer(text);
        if (!t)
          fail(p,
               "expected one of at_execution|captured_at_call|blocks_host, got " + in_quotes(text));
        o.host_transfer = *t;
        break;
      }
      case CapabilityField::Type::copy_queue: {
        const std::string text = string(value, p);
        auto q = parse_copy_queue(text);
        if (!q) fail(p, "expected one of source_then_event|destination, got " + in_quotes(text));
        o.copy_queue = *q;
        break;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

void ScenarioLoader::load_buffers(const Json& list) {
  array(list, "/buffers");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at("/buffers", i);
    const Json& j =
        object(list[i], p, {"name", "kind", "backend", "usage", "size", "alignment", "reuses"});
    Buffer b;
    b.name = name(required(j, p, "name"), at(p, "name"));
    claim(buffer_path_, b.name, at(p, "name"), "buffer");
    const std::string kind = string(required(j, p, "kind"), at(p, "kind"));
    auto k = parse_buffer_kind(kind);
    if (!k)
      fail(at(p, "kind"), "unknown buffer kind " + in_quotes(kind) +
                              " (known: pinned_host, pageable_host, device)");
    b.kind = *k;
    const std::string usage = string(required(j, p, "usage"), at(p, "usage"));
    auto u = parse_buffer_usage(usage);
    if (!u)
      fail(at(p, "usage"), "unknown buffer usage " + in_quotes(usage) +
                               " (known: weights, compute, kv, output, input)");
    b.usage = *u;
    if (b.kind == BufferKind::device) {
      if (!optional(j, "backend"))
        fail(p, "missing required field \"backend\" (a device buffer belongs to a GPU backend)");
      b.owner = backend_ref(j["backend"], at(p, "backend"));
      if (is_host_backend(scenario_.backends[b.owner].kind))
        fail(at(p, "backend"), "backend " + in_quotes(scenario_.backends[b.owner].name) + " is a " +
                                   std::string(to_string(scenario_.backends[b.owner].kind)) +
                                   " backend; a device buffer belongs to a GPU backend");
    } else if (optional(j, "backend")) {
      fail(at(p, "backend"),
           "a " + kind + " buffer has no \"backend\" (only device buffers belong to a backend)");
    }
    if (b.usage == BufferUsage::compute) {
      if (optional(j, "size"))
        fail(at(p, "size"), "a compute buffer has no \"size\": the allocator sizes it");
    } else {
      b.size = unsigned_in(required(j, p, "size"), at(p, "size"), 1, kMaxSize);
    }
    if (const Json* a = optional(j, "alignment")) {
      b.alignment = unsigned_in(*a, at(p, "alignment"), 1, kMaxAlignment);
      if ((b.alignment & (b.alignment - 1)) != 0)
        fail(at(p, "alignment"),
             "alignment must be a power of two, got " + std::to_string(b.alignment));
    }
    buffer_index_.emplace(b.name, static_cast<Index>(i));
    scenario_.buffers.push_back(std::move(b));
  }
  for (std::size_t i = 0; i < list.size(); ++i)
    if (const Json* r = optional(list[i], "reuses")) resolve_reuse(static_cast<Index>(i), *r);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Index t = scenario_.buffers[i].reuses;
    if (t != kNone && scenario_.buffers[static_cast<std::size_t>(t)].reuses != kNone)
      fail(at(at("/buffers", i), "reuses"),
           in_quotes(scenario_.buffers[static_cast<std::size_t>(t)].name) +
               " reuses memory itself; name the buffer whose memory it reuses");
  }
}

// A buffer that takes over another's memory: the same kind on the same device, no larger, not
// itself a reuse, and neither a compute buffer (the allocator places those).
void ScenarioLoader::resolve_reuse(Index i, const Json& j) {
  const std::string p = at(at("/buffers", static_cast<std::size_t>(i)), "reuses");
  const Index target = buffer_ref(j, p);
  Buffer& b = scenario_.buffers[static_cast<std::size_t>(i)];
  const Buffer& t = scenario_.buffers[static_cast<std::size_t>(target)];
  if (target == i) fail(p, "a buffer cannot reuse its own memory");
  if (b.kind != BufferKind::device || t.kind != BufferKind::device || b.owner != t.owner)
    fail(p, "buffer " + in_quotes(b.name) +
                " can reuse the memory of a device buffer of the same "
                "backend; " +
                in_quotes(t.name) + " is not one");
  if (b.usage == BufferUsage::compute || t.usage == BufferUsage::compute)
    fail(p, "compute buffers are the allocator's; reuse is for buffers of the program's own");
  if (b.size > t.size)
    fail(p, "buffer " + in_quotes(b.name) + " (" + std::to_string(b.size) +
                " bytes) is larger "
                "than " +
                in_quotes(t.name) + " (" + std::to_string(t.size) + " bytes)");
  b.reuses = target;
}

void ScenarioLoader::resolve_compute_buffers() {
  for (Index i = 0; i < static_cast<Index>(scenario_.backends.size()); ++i) {
    Backend& b = scenario_.backends[i];
    const std::string p = at(at("/backends", i), "compute_buffer");
    b.compute_buffer = buffer_ref(Json(compute_buffer_names_[i]), p);
    const Buffer& buf = scenario_.buffers[b.compute_buffer];
    if (buf.usage != BufferUsage::compute)
      fail(p, "buffer " + in_quotes(buf.name) + " has usage " + in_quotes(to_string(buf.usage)) +
                  "; a backend's compute buffer needs usage \"compute\"");
    if (is_host_backend(b.kind) && !is_host_buffer(buf.kind))
      fail(p, "buffer " + in_quotes(buf.name) + " is a device buffer; the " +
                  std::string(to_string(b.kind)) +
                  " backend computes in host memory (pinned_host or pageable_host)");
    if (!is_host_backend(b.kind) && (buf.kind != BufferKind::device || buf.owner != i))
      fail(p, "buffer " + in_quotes(buf.name) + " is not a device buffer of backend " +
                  in_quotes(b.name) + "; a GPU backend computes in its own device memory");
  }
}

}  // namespace schedcheck::json_format
