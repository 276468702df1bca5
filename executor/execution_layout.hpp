// The agents (host, backend queues, hidden streams) and events of one run, derived from the
// scenario, the policy's backend profile (spec §9.2) and the events its compute_splits asks for.
#pragma once

#include <string>
#include <vector>

#include "scenario/capabilities.hpp"
#include "scenario/version_profile.hpp"
#include "scenario/scenario.hpp"

namespace schedcheck {

using AgentId = int;
using EventId = int;
constexpr AgentId kHostAgent = 0;

enum class AgentKind : uint8_t { host, queue, blocking_stream, transfer_queue };

struct Agent {
  AgentKind kind = AgentKind::host;
  std::string name;       // "HOST", "CUDA0", "CUDA0 per-thread stream (device 0)", ...
  Index backend = kNone;  // queues and transfer queues
  int device = -1;        // blocking streams
};

enum class EventKind : uint8_t { sched, copy, transfer, policy, input_ring, last_command, tree };

// An event per backend that a policy's compute_splits records and waits on (model/policies/),
// made on every backend with an asynchronous queue and events, named "<prefix>(<backend>)".
struct PolicyEventSpec {
  std::string prefix;
};

struct Event {
  EventKind kind = EventKind::sched;
  std::string name;  // "ev[CUDA0][2]", "copy_event(CUDA0)", ...
  Index backend = kNone;
  int slot = 0;
};

struct ExecutionLayout {
  std::vector<Agent> agents;
  std::vector<Event> events;
  std::vector<Capabilities> caps;           // per backend
  std::vector<AgentId> queue_of;            // per backend: queue agent, or -1 (host backends)
  std::vector<AgentId> transfer_queue_of;   // per backend, or -1
  std::vector<AgentId> blocking_stream_of;  // per backend: hidden stream, or -1 (host memcpy)
  std::vector<std::vector<EventId>> sched_events;  // [backend][slot], -1 when NULL
  std::vector<EventId> copy_event_of;              // per source backend, -1 if none
  std::vector<EventId> transfer_event_of;          // per backend with a transfer queue
  // Per backend whose queue another backend shares (Metal contexts of one device): recorded
  // after each of its commands, so synchronize waits for its own last command only.
  std::vector<EventId> last_command_event_of;
  std::vector<std::vector<EventId>> policy_events;  // [spec][backend], -1 where none
  // llama#27311's input ring: [backend][ring slot] for backends that read user inputs in place;
  // empty without a ring.
  std::vector<std::vector<EventId>> input_ring_events;
  // A real ggml tree's events beyond its copy-slot events, [k][backend] (a patched tree's
  // scheduler makes some): the k-th it makes on a backend, "tree_event<k>(<backend>)".
  std::vector<std::vector<EventId>> tree_events;
  bool pipeline_parallel = false;
  int n_copies = 1;
};

ExecutionLayout make_layout(const Scenario& s, const VersionProfile& profile,
                            const std::vector<PolicyEventSpec>& policy_events = {});
// An input ring of `slots` slots (0: none): an event per slot on every asynchronous backend with events
// that reads pinned host memory in place (`in_place`, per backend), "uma_ring(<backend>)[k]".
void add_input_ring_events(ExecutionLayout& l, const Scenario& s, const std::vector<bool>& in_place,
                           int slots);
// Events a real ggml tree may make per backend beyond its copy-slot events.
constexpr int kTreeEventsPerBackend = 4;
// kTreeEventsPerBackend tree events on every asynchronous backend with events; added last, so
// that every other event has the number it has in the model's layout of the same run.
void add_tree_events(ExecutionLayout& l, const Scenario& s);

}  // namespace schedcheck
