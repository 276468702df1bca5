#include "timeline/box_text.hpp"

#include <fmt/format.h>

#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

// Graph launches can touch hundreds of ranges; the hover lists the first ones.
constexpr std::size_t kListedAccesses = 12;

BoxKind access_kind(const TraceEntry& e) {
  switch (e.op.kind) {
    case OpKind::compute:
      return BoxKind::graph;
    case OpKind::copy:
      return BoxKind::copy;
    case OpKind::host_write:
    case OpKind::host_read:
      break;
  }
  return BoxKind::host_access;
}

BoxKind kind_of(const TraceEntry& e) {
  switch (e.kind) {
    case TraceKind::access:
      return access_kind(e);
    case TraceKind::record:
      return BoxKind::record;
    case TraceKind::wait_event:
    case TraceKind::host_wait_event:
      return BoxKind::event_wait;
    case TraceKind::wait_queue:
      break;
  }
  return BoxKind::synchronize;
}

std::string access_label(const TraceEntry& e) {
  switch (e.site().call) {
    case Call::get_tensor_async:
      return "get";
    case Call::set_tensor_async:
      return "set";
    case Call::set_inputs:
      return "inputs";
    case Call::host_read_output:
      return "read out";
    case Call::eval_callback_read:
      return "cb read";
    case Call::moe_ids_read:
      return "ids read";
    default:
      break;
  }
  switch (access_kind(e)) {
    case BoxKind::graph:
      return "graph";
    case BoxKind::copy:
      return "cpy";
    default:
      break;
  }
  return e.op.kind == OpKind::host_write ? "write" : "read";
}

std::string label_of(const TraceEntry& e) {
  switch (e.kind) {
    case TraceKind::access:
      return access_label(e);
    case TraceKind::record:
      return "rec " + event_label(e.event);
    case TraceKind::wait_event:
    case TraceKind::host_wait_event:
      return "wait " + event_label(e.event);
    case TraceKind::wait_queue:
      break;
  }
  return "sync";
}

// "u1 s2 #1": the ubatch (with its batch when not the first), the split, the copy slot.
std::string sublabel_of(const CallSite& site) {
  std::string text =
      site.batch ? fmt::format("b{}u{}", site.batch, site.ubatch) : fmt::format("u{}", site.ubatch);
  if (site.split != kNone) text += fmt::format(" s{}", site.split);
  if (site.copy != kNone) text += fmt::format(" #{}", site.slot);
  return text;
}

// "cpy_tensor_async (input)", as the report's access lines name the call.
std::string call_line(const CallSite& site) {
  std::string text(to_string(site.call));
  if (site.role == Role::policy && !site.step.empty()) text += fmt::format(" ({})", site.step);
  if (site.implicit) text += ", a wait inside the call";
  return text;
}

std::string access_lines(const ReportNaming& naming, const Operation& op) {
  std::string text;
  for (std::size_t i = 0; i < op.accesses.size(); ++i) {
    if (i == kListedAccesses) {
      text += fmt::format("\n... and {} more accesses", op.accesses.size() - i);
      break;
    }
    const Access& a = op.accesses[i];
    text += fmt::format("\n{} {}: {} [{}, {})", a.is_write ? "writes" : "reads",
                        to_text(naming.tensor(a)), to_text(naming.buffer(a.region.buffer)),
                        a.region.offset, a.region.end());
  }
  return text;
}

std::string details_of(const ReportNaming& naming, int entry) {
  const TraceEntry& e = naming.replay().trace[entry];
  const std::string agent = naming.agent(e.agent).name;
  const TraceStep step = naming.step(entry);
  if (e.kind == TraceKind::access)
    return fmt::format("#{} {} @{} at {}: {}\n[{}; trace #{}]{}", entry, agent, e.epoch,
                       to_text(step.place), to_text(*step.operation), call_line(e.site()), entry,
                       access_lines(naming, e.op));
  std::string text = fmt::format("#{} {} @{}: {}\n[{}; trace #{}]", entry, agent, e.epoch,
                                 to_text(step), call_line(e.site()), entry);
  if (e.event >= 0) text += fmt::format("\n{} = {}", event_label(e.event), step.event);
  const bool wait = e.kind == TraceKind::wait_event || e.kind == TraceKind::host_wait_event;
  if (wait && !e.effective) text += "\nthe event was never recorded before: this waits for nothing";
  return text;
}

}  // namespace

std::string event_label(int event) {
  return fmt::format("e{}", event);
}

BoxText box_text(const ReportNaming& naming, int entry) {
  const TraceEntry& e = naming.replay().trace[entry];
  return {kind_of(e), label_of(e), sublabel_of(e.site()), details_of(naming, entry)};
}

}  // namespace schedcheck
