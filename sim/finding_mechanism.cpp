#include "sim/finding_mechanism.hpp"

namespace schedcheck {
namespace {

Mechanism classify_stale_read(const ReplayResult& replay, const Finding& f) {
  const Access& read = replay.trace[f.second_op].op.accesses[f.second_access];
  const bool host_reads = replay.run.layout.agents[f.second_agent].kind == AgentKind::host;
  if (read.copy != kNone && !host_reads) return Mechanism::stale_slot;
  if (host_reads) return Mechanism::stale_host_read;
  if (f.seen.tensor == kNone) return Mechanism::uninitialized;
  return Mechanism::stale;
}

Mechanism classify_race(const ReplayResult& replay, const Finding& f) {
  const ExecutionLayout& layout = replay.run.layout;
  const bool war = f.kind == FindingKind::write_after_read;
  const int read_op = war ? f.first_op : f.second_op;
  const int read_agent = war ? f.first_agent : f.second_agent;
  const int write_op = war ? f.second_op : f.first_op;
  const int write_agent = war ? f.second_agent : f.first_agent;
  const int write_access = war ? f.second_access : f.first_access;
  const AgentKind reader = layout.agents[read_agent].kind;
  const AgentKind writer = layout.agents[write_agent].kind;
  const bool read_on_queue = reader == AgentKind::queue || reader == AgentKind::transfer_queue;
  for (const auto& [member, buffers] : replay.run.meta_buffers)
    if (f.buffer == buffers.reduce) return Mechanism::M1;
  if (f.kind != FindingKind::write_after_write && replay.trace[read_op].op.kind == OpKind::copy &&
      read_on_queue && is_host_buffer(replay.run.scenario.buffers[f.buffer].kind))
    return Mechanism::H2;
  const TraceEntry& write = replay.trace[write_op];
  const Access& written = write.op.accesses[write_access];
  // A copy slot written by a queue other than its owner's compute queue: another backend's, or
  // the owner's transfer queue, which the owner's event_wait does not cover (B12b).
  const bool copy_queue = writer == AgentKind::queue || writer == AgentKind::transfer_queue;
  if (written.copy != kNone && write.op.kind == OpKind::copy && copy_queue &&
      write_agent != layout.queue_of[replay.run.plan.copies[written.copy].backend])
    return Mechanism::H1;
  // An integrated GPU's kernel accesses host memory in place (no copy), unordered with the host.
  const bool host_buffer = is_host_buffer(replay.run.scenario.buffers[f.buffer].kind);
  const bool kernel_reads = read_on_queue && replay.trace[read_op].op.kind == OpKind::compute;
  const bool kernel_writes = writer == AgentKind::queue && write.op.kind == OpKind::compute;
  if (host_buffer &&
      ((kernel_reads && writer == AgentKind::host) || (kernel_writes && reader == AgentKind::host)))
    return Mechanism::H5;
  // A blocking copy runs on a hidden stream (CUDA) or as a host memcpy (Metal's shared memory):
  // either way nothing orders it with the backend's queue.
  const bool blocking_write = writer == AgentKind::blocking_stream ||
                              (writer == AgentKind::host && write.site().call == Call::tensor_copy);
  if (reader == AgentKind::blocking_stream || blocking_write) return Mechanism::H3;
  if (replay.trace[f.second_op].site().call == Call::host_read_output) return Mechanism::H4;
  return Mechanism::other;
}

}  // namespace

Mechanism classify_mechanism(const ReplayResult& replay, const Finding& finding) {
  return finding.kind == FindingKind::stale_read ? classify_stale_read(replay, finding)
                                                 : classify_race(replay, finding);
}

}  // namespace schedcheck
