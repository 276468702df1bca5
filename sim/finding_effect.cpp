#include "sim/finding_effect.hpp"

#include <algorithm>

#include "scenario/kv_sequences.hpp"

#include "sim/corruption_trace.hpp"
#include "sim/report_naming.hpp"

namespace schedcheck {

namespace {

// The read of a finding and the value it sees in the bad order (none for a write-after-write).
std::optional<std::pair<Access, LogicalValue>> read_and_wrong(const ReportNaming& naming,
                                                              const Finding& f) {
  switch (f.kind) {
    case FindingKind::write_after_read:
      return std::pair{naming.access(f.first_op, f.first_access), f.expected};
    case FindingKind::read_after_write:
    case FindingKind::stale_read:
      if (f.second_op < 0) return std::nullopt;
      return std::pair{naming.access(f.second_op, f.second_access), f.seen};
    case FindingKind::write_after_write:
      break;
  }
  return std::nullopt;
}

// The KV cache node n steers: the one it writes, else one it reads directly or through a source
// computed from it (the mask is applied to KQ, the product with the cache); kNone if none.
Index steered_cache(const Scenario& s, const std::vector<bool>& kv, const Node& n) {
  auto is_kv = [&](Index t) { return kv[static_cast<std::size_t>(t)]; };
  if (n.writes_persistent && is_kv(n.output)) return n.output;
  for (Index src : n.sources) {
    if (is_kv(src)) return src;
    const Index producer = s.tensors[src].producer;
    if (producer == kNone) continue;
    for (Index inner : s.nodes[producer].sources)
      if (is_kv(inner)) return inner;
  }
  return kNone;
}

std::optional<SequenceCrossing> sequence_crossing(const ReportNaming& naming, const Finding& f) {
  const Scenario& s = naming.scenario();
  if (s.driver.sequences.count <= 1) return std::nullopt;
  const auto rw = read_and_wrong(naming, f);
  if (!rw) return std::nullopt;
  const auto& [read, wrong] = *rw;
  if (read.tensor == kNone || s.tensors[read.tensor].role != TensorRole::user_input ||
      wrong.tensor != read.tensor || wrong.eval == kInitialEval)
    return std::nullopt;
  const std::vector<bool> kv = kv_partitioned_tensors(s);
  for (const Node& n : s.nodes) {
    if (std::find(n.sources.begin(), n.sources.end(), read.tensor) == n.sources.end()) continue;
    const Index cache = steered_cache(s, kv, n);
    if (cache == kNone) continue;
    SequenceCrossing c{s.tensors[read.tensor].name,
                       n.name,
                       s.tensors[cache].name,
                       cache == n.output,
                       sequences_of(s.driver, read.value.eval),
                       sequences_of(s.driver, wrong.eval)};
    if (c.own == c.other) return std::nullopt;  // wrong, but within the same sequences
    return c;
  }
  return std::nullopt;
}

}  // namespace

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
  effect.crossing = sequence_crossing(naming, f);
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
