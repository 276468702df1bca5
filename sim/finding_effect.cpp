#include "sim/finding_effect.hpp"

#include "sim/corruption_trace.hpp"
#include "sim/report_naming.hpp"

namespace schedcheck {

Effect effect_of(const ReportNaming& naming, const Finding& f) {
  Effect effect;
  effect.kind = f.kind;
  switch (f.kind) {
    case FindingKind::stale_read:
      effect.wrong = naming.value(f.seen);
      effect.right = naming.value(f.expected);
      break;
    case FindingKind::write_after_read:
      effect.reader = naming.agent(f.first_agent).name;
      effect.wrong = naming.value(f.expected);
      effect.right = naming.value(naming.access(f.first_op, f.first_access).value);
      break;
    case FindingKind::read_after_write:
      effect.reader = naming.agent(f.second_agent).name;
      effect.right = naming.value(naming.access(f.second_op, f.second_access).value);
      break;
    case FindingKind::write_after_write:
      effect.wrong = naming.value(f.expected);
      effect.right = naming.value(f.seen);
      break;
  }
  return effect;
}

std::vector<CorruptedRead> corrupted_reads(const ReportNaming& naming, const Finding& f,
                                           std::size_t limit) {
  std::vector<CorruptedRead> reads;
  for (const CorruptedHostRead& h :
       corrupted_host_reads(naming.replay().trace, victim_of(f), limit)) {
    CorruptedRead read;
    read.trace_index = h.trace_index;
    read.tensor = naming.tensor(h.access);
    switch (naming.site(h.trace_index).call) {
      case Call::host_read_output:
        read.reader = CorruptedRead::Reader::application_output;
        read.value = naming.value(h.access.value);
        break;
      case Call::moe_ids_read:
        read.reader = CorruptedRead::Reader::expert_selection;
        break;
      case Call::eval_callback_read:
        read.reader = CorruptedRead::Reader::eval_callback;
        break;
      default:
        read.reader = CorruptedRead::Reader::host;
        break;
    }
    reads.push_back(std::move(read));
  }
  return reads;
}

}  // namespace schedcheck
