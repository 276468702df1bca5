// The state of a run over ggml's own backends, shared by proxy_devices.cpp (making the backends
// and buffers, putting the proxy's members in place) and proxy_calls.cpp (those members: each
// reports the call to schedcheck, applies the delay it asks for, then runs ggml's own member).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bridge/plugin/proxy.hpp"

namespace schedcheck::bridge::proxydev {

// Memory of a scenario buffer: a persistent buffer, the compute buffer in use, or a meta
// backend member's allocation (its weights' slices, its AllReduce buffers), each of which has
// bytes of its own from `origin` on.
struct Region {
  int buffer = -1;  // scenario buffer
  uintptr_t base = 0;
  uint64_t size = 0;
  uint64_t origin = 0;
};

using InitBackend = ggml_backend_t (*)(ggml_backend_dev_t, const char*);

struct State {
  const GraphDesc* desc = nullptr;
  Host* host = nullptr;
  std::vector<ggml_backend_t> backends;  // per scenario backend (a meta backend's members too)
  std::vector<ggml_backend_i> real;      // per backend: its own members
  std::vector<std::unique_ptr<QueueHold>> holds;  // none for a meta backend
  std::vector<std::string> names;
  std::map<ggml_backend_dev_t, ggml_backend_device_i> real_devices;
  std::map<ggml_backend_dev_t, int> device_backend;
  std::map<ggml_backend_dev_t, int> next_event;
  std::map<ggml_backend_event_t, std::pair<int, int>> events;  // -> (backend, index)
  std::map<ggml_backend_buffer_type_t, ggml_backend_buffer_type_i> real_bufts;
  std::map<ggml_backend_buffer_type_t, int> compute_of;  // buffer type -> compute buffer
  std::map<ggml_backend_buffer_t, ggml_backend_buffer_i> real_buffers;
  std::vector<Region> regions;                    // newest last
  std::vector<uint64_t> next_origin;              // per scenario buffer a member fills: its end
  std::vector<ggml_backend_buffer_type_t> bufts;  // per scenario buffer
  std::vector<ggml_backend_buffer_t> persistent;
  // While a meta backend is made: its members' devices (-> scenario backend) and their own
  // init_backend, which the meta backend calls to make the member backends.
  std::map<ggml_backend_dev_t, int> member_devices;
  std::map<ggml_backend_dev_t, InitBackend> real_init;
  bool has_meta = false;  // then the weights' loading is reported too, as the simulation does
  ggml_backend_sched_t sched = nullptr;  // set when the run starts: calls are reported from then
  const GraphBuilder* graph = nullptr;
};

extern State* g_state;

inline State& state() {
  return *g_state;
}
inline Host& host() {
  return *g_state->host;
}
inline bool armed() {
  return g_state && g_state->sched;
}
// Blocking buffer calls are reported once the run starts, or from the weights' loading on where
// a meta backend holds them.
inline bool reporting() {
  return g_state && (g_state->sched || g_state->has_meta);
}
inline bool is_meta(int backend) {
  return !state().desc->backends[static_cast<std::size_t>(backend)].members.empty();
}

int backend_index(ggml_backend_t b);

// ---- proxy_calls.cpp: the proxy's members, put in place of ggml's own.
void hook_backend(ggml_backend_t b);
void hook_device(ggml_backend_dev_t d, int backend);
void hook_buffer(ggml_backend_buffer_t b);
ggml_backend_buffer_t buft_alloc(ggml_backend_buffer_type_t t, size_t size);

}  // namespace schedcheck::bridge::proxydev
