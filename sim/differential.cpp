#include "sim/differential.hpp"

#include <fmt/format.h>

#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

bool same_access(const Access& a, const Access& b) {
  return a.is_write == b.is_write && a.region == b.region && a.value.same_data(b.value) &&
         a.tensor == b.tensor && a.copy == b.copy && a.slot == b.slot &&
         a.tensor_offset == b.tensor_offset;
}

bool same_entry(const TraceEntry& a, const TraceEntry& b) {
  // Which ggml call a wait came from is a label the real side cannot always know (a generic
  // fallback's synchronize looks like any other); the wait itself is compared.
  if (a.kind != b.kind || a.agent != b.agent || a.target != b.target || a.event != b.event ||
      a.effective != b.effective)
    return false;
  if (a.kind != TraceKind::access) return true;
  if (a.site().call != b.site().call || a.op.kind != b.op.kind || a.op.reads_at_call != b.op.reads_at_call ||
      a.op.accesses.size() != b.op.accesses.size())
    return false;
  for (std::size_t i = 0; i < a.op.accesses.size(); ++i)
    if (!same_access(a.op.accesses[i], b.op.accesses[i])) return false;
  return true;
}

}  // namespace

std::string describe_entry(const ReplayResult& r, std::size_t index) {
  if (index >= r.trace.size()) return "(none: the trace ends here)";
  const TraceEntry& e = r.trace[index];
  const auto& agents = r.run.layout.agents;
  const auto& events = r.run.layout.events;
  const CallSite& cs = e.site();
  std::string what;
  switch (e.kind) {
    case TraceKind::wait_queue:
      what = fmt::format("{} waits for queue {}", agents[e.agent].name, agents[e.target].name);
      break;
    case TraceKind::record:
      what = fmt::format("event_record({}) on {}", events[e.event].name, agents[e.target].name);
      break;
    case TraceKind::wait_event:
      what = fmt::format("{} waits on event {}", agents[e.agent].name, events[e.event].name);
      break;
    case TraceKind::host_wait_event:
      what = fmt::format("host waits on event {}", events[e.event].name);
      break;
    case TraceKind::access: {
      const Scenario& s = r.run.scenario;
      what = fmt::format("{} {}", agents[e.agent].name, to_string(cs.call));
      for (const Access& a : e.op.accesses) {
        std::string name = a.tensor >= 0 ? s.tensors[a.tensor].name : "?";
        if (a.copy >= 0) name = r.run.plan.copies[a.copy].name;
        if (a.copy >= 0 || a.slot != 0) name += " slot " + std::to_string(a.slot);
        what += fmt::format(" | {} {} {}[{}, {}) = {}", a.is_write ? "write" : "read", name,
                            s.buffers[a.region.buffer].name, a.region.offset, a.region.end(),
                            describe_value(s, a.value));
      }
      break;
    }
  }
  return fmt::format("#{} eval {}: {} [{}{}]", index, cs.eval, what, to_string(cs.call),
                     e.effective ? "" : ", no effect");
}

DifferentialResult differential(const ReplayResult& model, const ReplayResult& real) {
  DifferentialResult d;
  d.model_operations = model.trace.size();
  d.real_operations = real.trace.size();
  d.model_verdict = verdict_of(model.findings);
  d.real_verdict = verdict_of(real.findings);
  const std::size_t n = std::max(model.trace.size(), real.trace.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (i < model.trace.size() && i < real.trace.size() &&
        same_entry(model.trace[i], real.trace[i]))
      continue;
    Divergence v;
    v.index = i;
    v.model = describe_entry(model, i);
    v.real = describe_entry(real, i);
    for (std::size_t j = i >= 3 ? i - 3 : 0; j < i; ++j) v.context += describe_entry(model, j) + "\n";
    d.divergence = std::move(v);
    break;
  }
  return d;
}

DifferentialResult differential(const Scenario& s, const Policy& model, const Policy& real) {
  return differential(replay(s, model), replay(s, real));
}

}  // namespace schedcheck
