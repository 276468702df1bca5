// What a finding does to values, as data: the wrong value the bad order shows and the one the
// graph prescribes, and the host-visible reads (logits, expert ids, eval-callback tensors) the
// wrong value reaches through the trace (sim/corruption_trace).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/finding.hpp"
#include "sim/report_names.hpp"

namespace schedcheck {

class ReportNaming;

struct Effect {
  FindingKind kind = FindingKind::read_after_write;
  // Who sees the wrong value: the reader of a read-after-write, the earlier reader of a
  // write-after-read; none for a write-after-write and a stale read.
  std::string reader;
  // The value seen in the bad order (a write-after-write: the one the bytes keep); none for a
  // read-after-write, whose reader sees the previous contents.
  std::optional<ValueName> wrong;
  ValueName right;  // the value the graph prescribes
};

// A host read that would see a corrupted value.
struct CorruptedRead {
  enum class Reader : uint8_t {
    application_output,  // the application reads the output after synchronizing
    expert_selection,    // the scheduler selects experts from the ids
    eval_callback,
    host,
  };
  Reader reader = Reader::host;
  ValueName value;    // application_output: the corrupted output
  TensorName tensor;  // the others: the tensor read
  int trace_index = -1;
};

Effect effect_of(const ReportNaming& naming, const Finding& finding);

// The first `limit` host reads the wrong value reaches, in issue order.
std::vector<CorruptedRead> corrupted_reads(const ReportNaming& naming, const Finding& finding,
                                           std::size_t limit);

}  // namespace schedcheck
