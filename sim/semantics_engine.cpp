#include "sim/semantics_engine.hpp"

namespace schedcheck {

std::string_view to_string(FindingKind k) {
  switch (k) {
    case FindingKind::read_after_write:
      return "READ-AFTER-WRITE race";
    case FindingKind::write_after_read:
      return "WRITE-AFTER-READ race";
    case FindingKind::write_after_write:
      return "WRITE-AFTER-WRITE race";
    case FindingKind::stale_read:
      return "STALE READ";
  }
  return "?";
}

SemanticsEngine::SemanticsEngine(const ExecutionLayout& layout,
                                 const std::vector<uint64_t>& buffer_sizes)
    : clocks_(layout.agents.size(), VectorClock(layout.agents.size())),
      learned_via_(layout.agents.size(), std::vector<int>(layout.agents.size(), -1)),
      events_(layout.events.size()) {
  for (auto& e : events_) e.snapshot = VectorClock(layout.agents.size());
  for (uint64_t size : buffer_sizes) shadow_.add_buffer(size);
}

void SemanticsEngine::initialize(const Region& r, const LogicalValue& value) {
  shadow_.initialize(r.buffer, r.offset, r.end(), value);
}

int SemanticsEngine::append(TraceKind kind, AgentId agent, const Operation& op) {
  TraceEntry e;
  e.kind = kind;
  e.agent = agent;
  e.op = op;
  trace_.push_back(std::move(e));
  return static_cast<int>(trace_.size()) - 1;
}

int SemanticsEngine::append_sync(TraceKind kind, AgentId agent, const CallSite& site,
                                 AgentId target, EventId event) {
  TraceEntry e;
  e.kind = kind;
  e.agent = agent;
  e.target = target;
  e.event = event;
  e.effective = event < 0 || events_[event].recorded;
  e.op.site = site;
  trace_.push_back(std::move(e));
  return static_cast<int>(trace_.size()) - 1;
}

void SemanticsEngine::join(AgentId into, const VectorClock& from, int via) {
  VectorClock& c = clocks_[into];
  for (std::size_t x = 0; x < c.size(); ++x)
    if (from[x] > c[x]) learned_via_[into][x] = via;
  c.join(from);
}

// Rule 1 (program order) and rule 14 (CPU splits run on the host at the call).
void SemanticsEngine::host_op(const Operation& op) {
  clocks_[kHostAgent].tick(kHostAgent);
  int entry = append(TraceKind::access, kHostAgent, op);
  perform(kHostAgent, entry, op, false);
  trace_[entry].epoch = clocks_[kHostAgent][kHostAgent];
}

// Rule 10: the host's prior actions -> the copy -> the host's next action; no queue edge.
void SemanticsEngine::blocking_op(AgentId stream, const Operation& op) {
  int entry = append(TraceKind::access, stream, op);
  join(stream, clocks_[kHostAgent], entry);
  clocks_[stream].tick(stream);
  perform(stream, entry, op, false);
  trace_[entry].epoch = clocks_[stream][stream];
  join(kHostAgent, clocks_[stream], entry);
}

// Rules 2 (enqueue) and 3 (FIFO); rules 9/12/13: host sources captured at the call.
void SemanticsEngine::enqueue(AgentId queue, const Operation& op) {
  int entry = append(TraceKind::access, queue, op);
  if (op.reads_at_call) clocks_[kHostAgent].tick(kHostAgent);
  join(queue, clocks_[kHostAgent], entry);
  clocks_[queue].tick(queue);
  perform(queue, entry, op, op.reads_at_call);
  trace_[entry].epoch = clocks_[queue][queue];
}

// Rules 4 and 15: everything enqueued on the queue so far -> the host's next action.
void SemanticsEngine::host_wait_queue(AgentId queue, const CallSite& site) {
  int entry = append_sync(TraceKind::wait_queue, kHostAgent, site, queue, -1);
  join(kHostAgent, clocks_[queue], entry);
  trace_[entry].epoch = clocks_[kHostAgent][kHostAgent];
}

// Rule 5: a record snapshots the queue's state; a later record overwrites it.
void SemanticsEngine::record_event(EventId event, AgentId queue, const CallSite& site) {
  int entry = append_sync(TraceKind::record, queue, site, queue, event);
  join(queue, clocks_[kHostAgent], entry);
  clocks_[queue].tick(queue);
  events_[event].recorded = true;
  events_[event].snapshot = clocks_[queue];
  events_[event].record_entry = entry;
  trace_[entry].epoch = clocks_[queue][queue];
}

// Rule 6: later items of the queue wait for the snapshot taken at the record; none if the
// event was never recorded.
void SemanticsEngine::queue_wait_event(AgentId queue, EventId event, const CallSite& site) {
  int entry = append_sync(TraceKind::wait_event, queue, site, -1, event);
  join(queue, clocks_[kHostAgent], entry);
  if (events_[event].recorded) join(queue, events_[event].snapshot, entry);
  trace_[entry].epoch = clocks_[queue][queue];
}

// Rule 7: the host waits for the last record; returns at once if never recorded.
void SemanticsEngine::host_wait_event(EventId event, const CallSite& site) {
  int entry = append_sync(TraceKind::host_wait_event, kHostAgent, site, -1, event);
  if (events_[event].recorded) join(kHostAgent, events_[event].snapshot, entry);
  trace_[entry].epoch = clocks_[kHostAgent][kHostAgent];
}

void SemanticsEngine::perform(AgentId agent, int entry, const Operation& op,
                              bool host_reads_at_call) {
  std::vector<std::vector<Segment>> seen(op.accesses.size());
  std::vector<uint32_t> group_taint;
  bool first_read = true;
  for (std::size_t i = 0; i < op.accesses.size(); ++i) {
    const Access& a = op.accesses[i];
    if (static_cast<std::size_t>(a.group) >= group_taint.size()) group_taint.resize(a.group + 1, 0);
    ++accesses_;
    if (!a.is_write) {
      AgentId reader = host_reads_at_call ? kHostAgent : agent;
      read(reader, entry, static_cast<int>(i), a, seen[i], group_taint[a.group]);
      if (first_read && agent == kHostAgent && !seen[i].empty()) {
        observed_ = seen[i].front().value;
        first_read = false;
      }
      continue;
    }
    const std::vector<Segment>* carried = a.from_read >= 0 ? &seen[a.from_read] : nullptr;
    write(agent, entry, static_cast<int>(i), a, carried, group_taint[a.group]);
  }
}

void SemanticsEngine::read(AgentId agent, int entry, int index, const Access& a,
                           std::vector<Segment>& seen, uint32_t& group_taint) {
  const VectorClock& v = clocks_[agent];
  const uint32_t epoch = v[agent];
  shadow_.for_range(
      a.region.buffer, a.region.offset, a.region.end(), [&](uint64_t begin, ShadowCell& c) {
        LogicalValue value = c.written ? c.value : LogicalValue{};
        if (c.written && c.write.agent != agent && !v.knows(c.write.agent, c.write.epoch)) {
          value.taint = report(FindingKind::read_after_write, c.write, entry, index, agent,
                               a.region.buffer, begin, c.end, value, a.value);
        } else if (!value.same_data(a.value)) {
          value.taint = report_stale(c.written ? c.write.op : -1, c.written ? c.write.access : -1,
                                     entry, index, a.region.buffer, begin, c.end, value, a.value);
        }
        if (value.taint) group_taint = value.taint;
        seen.push_back({begin - a.region.offset, c.end - begin, value});
        AccessStamp stamp{agent, epoch, entry, index};
        bool replaced = false;
        for (auto& r : c.reads)
          if (r.agent == agent) {
            r = stamp;
            replaced = true;
          }
        if (!replaced) c.reads.push_back(stamp);
      });
}

void SemanticsEngine::write(AgentId agent, int entry, int index, const Access& a,
                            const std::vector<Segment>* carried, uint32_t taint) {
  const VectorClock& v = clocks_[agent];
  const uint32_t epoch = v[agent];
  // A copy carries several values when its source held several: cut the destination's cells
  // where the carried values change, so each part receives its own value.
  if (carried)
    for (const Segment& s : *carried) {
      const uint64_t b = a.region.offset + s.offset;
      const uint64_t e = std::min(b + s.size, a.region.end());
      if (b < e) shadow_.for_range(a.region.buffer, b, e, [](uint64_t, ShadowCell&) {});
    }
  shadow_.for_range(
      a.region.buffer, a.region.offset, a.region.end(), [&](uint64_t begin, ShadowCell& c) {
        LogicalValue produced = a.value;
        produced.taint = taint;
        if (carried) {
          // A copy writes what its read saw at the same relative offset.
          const uint64_t rel = begin - a.region.offset;
          for (const Segment& s : *carried)
            if (rel >= s.offset && rel < s.offset + s.size) produced = s.value;
        }
        if (c.written && c.write.agent != agent && !v.knows(c.write.agent, c.write.epoch))
          report(FindingKind::write_after_write, c.write, entry, index, agent, a.region.buffer,
                 begin, c.end, c.value, produced);
        for (const AccessStamp& r : c.reads)
          if (r.agent != agent && !v.knows(r.agent, r.epoch))
            report(FindingKind::write_after_read, r, entry, index, agent, a.region.buffer, begin,
                   c.end, c.value, produced);
        c.written = true;
        c.write = AccessStamp{agent, epoch, entry, index};
        c.value = produced;
        c.reads.clear();
      });
}

Finding* SemanticsEngine::new_finding(FindingKind kind, int first_op, int first_access,
                                      int second_op, int second_access, int buffer, uint64_t begin,
                                      uint64_t end) {
  // One finding per pair of accesses; further byte ranges of the same pair widen it.
  auto key =
      std::make_tuple(static_cast<int>(kind), first_op, first_access, second_op, second_access);
  if (auto it = finding_index_.find(key); it != finding_index_.end()) {
    Finding& f = findings_[it->second];
    f.begin = std::min(f.begin, begin);
    f.end = std::max(f.end, end);
    last_merged_ = f.id;
    return nullptr;
  }
  Finding f;
  f.id = static_cast<uint32_t>(findings_.size()) + 1;
  f.kind = kind;
  f.first_op = first_op;
  f.first_access = first_access;
  f.second_op = second_op;
  f.second_access = second_access;
  f.buffer = buffer;
  f.begin = begin;
  f.end = end;
  finding_index_.emplace(key, findings_.size());
  findings_.push_back(f);
  return &findings_.back();
}

uint32_t SemanticsEngine::report(FindingKind kind, const AccessStamp& first, int second_op,
                                 int second_access, AgentId second_agent, int buffer,
                                 uint64_t begin, uint64_t end, const LogicalValue& seen,
                                 const LogicalValue& expected) {
  Finding* f =
      new_finding(kind, first.op, first.access, second_op, second_access, buffer, begin, end);
  if (!f) return last_merged_;
  f->first_agent = first.agent;
  f->second_agent = second_agent;
  f->seen = seen;
  f->expected = expected;
  f->known_epoch = clocks_[second_agent][first.agent];
  f->needed_epoch = first.epoch;
  f->learned_via = learned_via_[second_agent][first.agent];
  return f->id;
}

uint32_t SemanticsEngine::report_stale(int writer_op, int writer_access, int op, int access,
                                       int buffer, uint64_t begin, uint64_t end,
                                       const LogicalValue& seen, const LogicalValue& expected) {
  Finding* f = new_finding(FindingKind::stale_read, writer_op, writer_access, op, access, buffer,
                           begin, end);
  if (!f) return last_merged_;
  f->first_agent = writer_op >= 0 ? trace_[writer_op].agent : -1;
  f->second_agent = trace_[op].agent;
  f->seen = seen;
  f->expected = expected;
  return f->id;
}

}  // namespace schedcheck
