// The simulated devices' state, shared by sim_devices.cpp (devices and backends) and
// sim_buffers.cpp (buffer types and buffers). Compiled at run time against a tree's headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bridge/plugin/plugin.hpp"
#include "ggml-backend-impl.h"

namespace schedcheck::bridge {

class SimDevices final : public Devices {
 public:
  SimDevices(const GraphDesc& graph, Host& host);
  ~SimDevices() override;
  SimDevices(const SimDevices&) = delete;
  SimDevices& operator=(const SimDevices&) = delete;

  ggml_backend_t backend(int b) const override { return backends_[b]; }
  ggml_backend_buffer_type_t buffer_type(int buffer) const override;
  ggml_backend_buffer_t persistent_buffer(int buffer) const override { return persistent_[buffer]; }
  void* address(int buffer, uint64_t offset) const override;
  void set_scheduler(ggml_backend_sched_t sched, const GraphBuilder* graph) override;
  std::shared_ptr<const ReferenceGraph> make_reference(const GraphDesc&) const override {
    return nullptr;
  }

  struct State;  // shared with the interface functions below

 private:
  State* state_;
  std::vector<ggml_backend_t> backends_;
  std::vector<ggml_backend_buffer_t> persistent_;
};

struct BufferTypeContext {
  SimDevices::State* state = nullptr;
  int buffer = -1;  // scenario buffer
};

struct BufferContext {
  int buffer = -1;
  uintptr_t base = 0;
  uint64_t size = 0;
  uint64_t origin = 0;  // where it starts in the scenario buffer (a meta backend's, else 0)
};

struct DeviceContext {
  SimDevices::State* state = nullptr;
  int backend = -1;
  int next_event = 0;
};

struct EventContext {
  int backend = -1;
  int index = 0;
};

struct SimDevices::State {
  const GraphDesc* desc = nullptr;
  Host* host = nullptr;
  ggml_backend_reg reg{};
  std::vector<ggml_backend_device> devices;
  std::vector<DeviceContext> device_contexts;
  std::vector<ggml_backend_buffer_type> buffer_types;
  std::vector<BufferTypeContext> buffer_type_contexts;
  std::vector<std::string> names;     // backend names as ggml shows them
  std::vector<BufferContext*> live;   // buffers allocated and not freed (for pointers)
  std::vector<uint64_t> next_origin;  // per scenario buffer a meta backend fills: its end
  int allocations = 0;
  ggml_backend_sched_t sched = nullptr;  // set once the scheduler exists
  const GraphBuilder* graph = nullptr;   // likewise
};

namespace simdev {

// The run in progress in this plugin instance. A plain global, not thread_local: schedcheck
// runs one scenario at a time per plugin (RealScheduler holds the plugin's lock), and static TLS
// in many dlopen'ed plugins trips LeakSanitizer.
extern SimDevices::State* g_state;

inline SimDevices::State& state() {
  return *g_state;
}
inline Host& host() {
  return *g_state->host;
}
inline int backend_index(ggml_backend_t b) {
  return static_cast<DeviceContext*>(b->device->context)->backend;
}
inline int buffer_of(ggml_backend_buffer_t b) {
  return static_cast<BufferContext*>(b->context)->buffer;
}

// sim_buffers.cpp: the buffer type's members.
const char* buft_name(ggml_backend_buffer_type_t t);
size_t buft_alignment(ggml_backend_buffer_type_t t);
bool buft_is_host(ggml_backend_buffer_type_t t);
ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t t, size_t size);

}  // namespace simdev
}  // namespace schedcheck::bridge
