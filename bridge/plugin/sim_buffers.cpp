// Simulated buffers: a buffer type per scenario buffer; buffers at addresses far above any
// real pointer, never dereferenced; every blocking set, get and copy reported to the Host.
#include <cstring>
#include <string>

#include "bridge/plugin/sim_devices.hpp"

namespace schedcheck::bridge {
namespace simdev {
namespace {
// Addresses handed out for buffers: far above any real user-space pointer, 2^40 bytes apart.
constexpr uintptr_t kAddressBase = uintptr_t{1} << 48;
constexpr uintptr_t kAddressStride = uintptr_t{1} << 40;
}  // namespace

// ---- buffer type and buffers
const char* buft_name(ggml_backend_buffer_type_t t) {
  return state().desc->buffers[static_cast<BufferTypeContext*>(t->context)->buffer].name.c_str();
}
size_t buft_alignment(ggml_backend_buffer_type_t t) {
  return state().desc->buffers[static_cast<BufferTypeContext*>(t->context)->buffer].alignment;
}
bool buft_is_host(ggml_backend_buffer_type_t t) {
  return state().desc->buffers[static_cast<BufferTypeContext*>(t->context)->buffer].kind !=
         MemoryKind::device;
}

void buffer_free(ggml_backend_buffer_t b) {
  auto* ctx = static_cast<BufferContext*>(b->context);
  auto& live = state().live;
  for (std::size_t i = 0; i < live.size(); ++i)
    if (live[i] == ctx) live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
  delete ctx;
}
void* buffer_base(ggml_backend_buffer_t b) {
  return reinterpret_cast<void*>(static_cast<BufferContext*>(b->context)->base);
}
void buffer_memset(ggml_backend_buffer_t, ggml_tensor* t, uint8_t, size_t, size_t) {
  host().unsupported(std::string("memset_tensor of ") + t->name);
}
void buffer_set(ggml_backend_buffer_t, ggml_tensor* t, const void* data, size_t offset,
                size_t size) {
  TensorRef dst = tensor_ref(t);
  dst.offset += offset;
  dst.size = size;
  dst.tensor_offset = offset;
  host().buffer_set_tensor(dst, mem_ref(data, size));
}
void buffer_get(ggml_backend_buffer_t, const ggml_tensor* t, void* data, size_t offset,
                size_t size) {
  TensorRef src = tensor_ref(t);
  src.offset += offset;
  src.size = size;
  src.tensor_offset = offset;
  const MemRef dst = mem_ref(data, size);
  const ggml_tensor* copy =
      dst.buffer >= 0 && state().sched ? sched_copy_at(state().sched, t, data) : nullptr;
  TensorRef copy_ref;
  if (copy) copy_ref = tensor_ref(copy);
  host().buffer_get_tensor(src, dst, copy ? &copy_ref : nullptr, data);
}
bool buffer_cpy(ggml_backend_buffer_t, const ggml_tensor* src, ggml_tensor* dst) {
  const TensorRef from = tensor_ref(src);
  return host().buffer_cpy_tensor(from, copy_destination_ref(dst, from));
}
void buffer_clear(ggml_backend_buffer_t b, uint8_t) {
  host().unsupported("clear of buffer " + state().desc->buffers[buffer_of(b)].name);
}

ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t t, size_t size) {
  SimDevices::State& s = state();
  uint64_t origin = 0;
  const int buffer =
      meta_purpose_buffer(*s.desc, static_cast<BufferTypeContext*>(t->context)->buffer,
                          s.sched != nullptr, size, s.next_origin, &origin);
  if (size >= kAddressStride) {
    host().unsupported("a buffer of " + std::to_string(size) + " bytes (at most 2^40)");
    return nullptr;
  }
  auto* ctx = new BufferContext;
  ctx->buffer = buffer;
  ctx->size = size;
  ctx->origin = origin;
  ctx->base = kAddressBase + kAddressStride * static_cast<uintptr_t>(s.allocations++);
  s.live.push_back(ctx);
  ggml_backend_buffer_i it;
  std::memset(&it, 0, sizeof(it));
  it.free_buffer = buffer_free;
  it.get_base = buffer_base;
  it.memset_tensor = buffer_memset;
  it.set_tensor = buffer_set;
  it.get_tensor = buffer_get;
  it.cpy_tensor = buffer_cpy;
  it.clear = buffer_clear;
  return ggml_backend_buffer_init(t, it, ctx, size);
}

}  // namespace simdev

using namespace simdev;

void* SimDevices::address(int buffer, uint64_t offset) const {
  for (const BufferContext* b : state_->live)
    if (b->buffer == buffer) return reinterpret_cast<void*>(b->base + offset);
  return nullptr;
}

MemRef mem_ref(const void* data, uint64_t size) {
  const auto p = reinterpret_cast<uintptr_t>(data);
  MemRef m;
  m.size = size;
  for (const BufferContext* b : state().live)
    if (p >= b->base && p < b->base + kAddressStride) {
      m.buffer = b->buffer;
      m.offset = p - b->base + b->origin;
      return m;
    }
  return m;  // the caller's own memory
}

}  // namespace schedcheck::bridge
