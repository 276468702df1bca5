#include "sim/fix_advice.hpp"

#include "sim/report_naming.hpp"

namespace schedcheck {
namespace {

FixAdvice stale_read_advice(const ReportNaming& naming, const Finding& f) {
  FixAdvice advice;
  advice.ordering_present.kind = f.first_op >= 0 ? PresentOrdering::Kind::ordered_wrong_value
                                                 : PresentOrdering::Kind::never_written;
  advice.cheapest_fix.primitive = naming.access(f.second_op, f.second_access).copy != kNone
                                      ? FixPrimitive::fill_read_slot
                                      : FixPrimitive::read_current_value;
  return advice;
}

bool is_queue(AgentKind kind) {
  return kind == AgentKind::queue || kind == AgentKind::transfer_queue;
}

Fix race_fix(const ReportNaming& naming, const Finding& f) {
  Fix fix;
  const AgentKind first = naming.agent(f.first_agent).kind;
  const AgentKind second = naming.agent(f.second_agent).kind;
  fix.after = naming.step(f.first_op);
  fix.before = naming.step(f.second_op);
  if (second == AgentKind::host || second == AgentKind::blocking_stream) {
    fix.primitive = FixPrimitive::host_event_wait;
    fix.blocks_host = true;
    fix.record_on = naming.backend_or_agent(f.first_agent);
  } else if (is_queue(first)) {
    fix.primitive = FixPrimitive::device_event_wait;
    fix.record_on = naming.backend_or_agent(f.first_agent);
    fix.wait_on = naming.backend_or_agent(f.second_agent);
    fix.wait_on_transfer_queue = second == AgentKind::transfer_queue;
  } else {
    fix.primitive = FixPrimitive::issue_order;
  }
  return fix;
}

}  // namespace

FixAdvice advise_fix(const ReportNaming& naming, const Finding& f) {
  if (f.kind == FindingKind::stale_read) return stale_read_advice(naming, f);
  FixAdvice advice;
  const std::string& first_agent = naming.agent(f.first_agent).name;
  const std::string& second_agent = naming.agent(f.second_agent).name;
  PresentOrdering& present = advice.ordering_present;
  present.first_agent = first_agent;
  present.second_agent = second_agent;
  present.known_epoch = f.known_epoch;
  present.needed_epoch = f.needed_epoch;
  if (f.learned_via >= 0) present.last_sync = naming.step(f.learned_via);
  advice.missing_edge = MissingEdge{{first_agent, f.first_op, naming.site(f.first_op).call},
                                    {second_agent, f.second_op, naming.site(f.second_op).call}};
  advice.cheapest_fix = race_fix(naming, f);
  return advice;
}

}  // namespace schedcheck
