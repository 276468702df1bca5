#include "executor/execution_layout.hpp"

namespace schedcheck {
namespace {

// The earlier Metal backend on b's device whose queue b shares, or kNone: ggml creates one
// MTLCommandQueue per Metal device, used by every backend context on it (audit finding F7).
Index metal_queue_owner(const Scenario& s, const ExecutionLayout& l, Index b) {
  if (s.backends[b].kind != BackendKind::metal) return kNone;
  for (Index o = 0; o < b; ++o)
    if (s.backends[o].kind == BackendKind::metal && s.backends[o].device == s.backends[b].device &&
        l.queue_of[o] >= 0)
      return o;
  return kNone;
}

bool shares_queue(const ExecutionLayout& l, Index b) {
  if (l.queue_of[b] < 0) return false;
  for (Index o = 0; o < static_cast<Index>(l.queue_of.size()); ++o)
    if (o != b && l.queue_of[o] == l.queue_of[b]) return true;
  return false;
}

}  // namespace

ExecutionLayout make_layout(const Scenario& s, const VersionProfile& profile,
                            const std::vector<PolicyEventSpec>& policy_events) {
  ExecutionLayout l;
  const Index nb = static_cast<Index>(s.backends.size());
  for (Index b = 0; b < nb; ++b) l.caps.push_back(backend_capabilities(s, b, profile));

  // llama.cpp enables pipeline parallelism only if every non-CPU backend is async with events.
  l.pipeline_parallel = s.scheduler.pipeline_parallel;
  for (Index b = 0; b < nb; ++b)
    if (s.backends[b].kind != BackendKind::cpu && !(l.caps[b].async_queue && l.caps[b].events))
      l.pipeline_parallel = false;
  l.n_copies = l.pipeline_parallel          ? s.scheduler.max_copies
               : s.scheduler.copy_slots > 0 ? s.scheduler.copy_slots
                                            : 1;

  l.agents.push_back({AgentKind::host, "HOST", kNone, -1});
  l.queue_of.assign(nb, -1);
  l.transfer_queue_of.assign(nb, -1);
  l.blocking_stream_of.assign(nb, -1);
  for (Index b = 0; b < nb; ++b) {
    // A meta backend's work runs on its members' queues: it has no queue or device of its own.
    if (!l.caps[b].async_queue || s.backends[b].kind == BackendKind::meta) continue;
    if (const Index first = metal_queue_owner(s, l, b); first != kNone) {
      l.queue_of[b] = l.queue_of[first];  // one MTLCommandQueue per Metal device
      l.agents[l.queue_of[b]].name += "+" + s.backends[b].name;
      continue;
    }
    l.queue_of[b] = static_cast<AgentId>(l.agents.size());
    l.agents.push_back({AgentKind::queue, s.backends[b].name, b, s.backends[b].device});
    if (l.caps[b].transfer_queue) {
      l.transfer_queue_of[b] = static_cast<AgentId>(l.agents.size());
      l.agents.push_back({AgentKind::transfer_queue, s.backends[b].name + " transfer queue", b,
                          s.backends[b].device});
    }
  }
  // One hidden blocking stream per physical device and API family.
  for (Index b = 0; b < nb; ++b) {
    if (l.caps[b].async_queue && l.caps[b].blocking_on_queue) {
      l.blocking_stream_of[b] = l.queue_of[b];  // Metal private buffers: a blit on the queue
      continue;
    }
    if (!l.caps[b].async_queue || !l.caps[b].blocking_stream) continue;
    const Backend& be = s.backends[b];
    for (Index o = 0; o < b; ++o) {
      const Backend& other = s.backends[o];
      bool same_family = is_cuda_family(other.kind) == is_cuda_family(be.kind) &&
                         (is_cuda_family(be.kind) || other.kind == be.kind);
      if (l.blocking_stream_of[o] >= 0 && other.device == be.device && same_family) {
        l.blocking_stream_of[b] = l.blocking_stream_of[o];
        break;
      }
    }
    if (l.blocking_stream_of[b] >= 0) continue;
    l.blocking_stream_of[b] = static_cast<AgentId>(l.agents.size());
    std::string what = is_cuda_family(be.kind) ? "per-thread stream" : "blocking submit";
    l.agents.push_back({AgentKind::blocking_stream,
                        std::string(to_string(be.kind)) + " " + what + " (device " +
                            std::to_string(be.device) + ")",
                        b, be.device});
  }

  l.sched_events.assign(nb, std::vector<EventId>(l.n_copies, -1));
  l.copy_event_of.assign(nb, -1);
  l.transfer_event_of.assign(nb, -1);
  l.last_command_event_of.assign(nb, -1);
  l.policy_events.assign(policy_events.size(), std::vector<EventId>(nb, -1));
  auto add_event = [&](EventKind kind, std::string name, Index b, int slot) {
    l.events.push_back({kind, std::move(name), b, slot});
    return static_cast<EventId>(l.events.size()) - 1;
  };
  for (Index b = 0; b < nb; ++b) {
    const std::string& name = s.backends[b].name;
    const Capabilities& c = l.caps[b];
    if (l.n_copies > 1 && c.events)
      for (int slot = 0; slot < l.n_copies; ++slot)
        l.sched_events[b][slot] =
            add_event(EventKind::sched, "ev[" + name + "][" + std::to_string(slot) + "]", b, slot);
    if (c.async_queue && c.cpy_async_device && c.device_copy_queue == CopyQueue::source_then_event)
      l.copy_event_of[b] = add_event(EventKind::copy, "copy_event(" + name + ")", b, 0);
    if (l.transfer_queue_of[b] >= 0)
      l.transfer_event_of[b] =
          add_event(EventKind::transfer, "transfer_semaphore(" + name + ")", b, 0);
    if (c.async_queue && shares_queue(l, b))
      l.last_command_event_of[b] = add_event(EventKind::last_command, "last(" + name + ")", b, 0);
    for (std::size_t e = 0; e < policy_events.size(); ++e)
      if (c.async_queue && c.events)
        l.policy_events[e][b] =
            add_event(EventKind::policy, policy_events[e].prefix + "(" + name + ")", b, 0);
  }
  return l;
}

void add_input_ring_events(ExecutionLayout& l, const Scenario& s, const std::vector<bool>& in_place,
                           int slots) {
  if (slots == 0) return;
  l.input_ring_events.assign(s.backends.size(), std::vector<EventId>(slots, -1));
  for (Index b = 0; b < static_cast<Index>(s.backends.size()); ++b) {
    if (!in_place[b] || !l.caps[b].async_queue || !l.caps[b].events) continue;
    for (int k = 0; k < slots; ++k) {
      l.input_ring_events[b][k] = static_cast<EventId>(l.events.size());
      l.events.push_back({EventKind::input_ring,
                          "uma_ring(" + s.backends[b].name + ")[" + std::to_string(k) + "]", b, k});
    }
  }
}

void add_tree_events(ExecutionLayout& l, const Scenario& s) {
  const Index nb = static_cast<Index>(s.backends.size());
  l.tree_events.assign(kTreeEventsPerBackend, std::vector<EventId>(nb, -1));
  for (int k = 0; k < kTreeEventsPerBackend; ++k)
    for (Index b = 0; b < nb; ++b) {
      if (!l.caps[b].async_queue || !l.caps[b].events) continue;
      l.tree_events[k][b] = static_cast<EventId>(l.events.size());
      l.events.push_back({EventKind::tree,
                          "tree_event" + std::to_string(k) + "(" + s.backends[b].name + ")", b, 0});
    }
}

}  // namespace schedcheck
