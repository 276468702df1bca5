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

// With several sequences over a KV cache: the wrong value is an input that steers the cache (the
// indices of the node that writes it, the mask of one that reads it), and it belongs to a ubatch
// of other sequences than the reader's. Keys then land in, or attention reads, another
// sequence's cells: one request's data in another's context (llama#28056).
struct SequenceCrossing {
  std::string input;          // the steering input
  std::string node;           // the node that reads it
  std::string cache;          // the KV tensor it steers
  bool writes_cache = false;  // the node writes the cache (else it reads it)
  std::vector<int> own;       // the reading ubatch's sequences
  std::vector<int> other;     // the sequences of the ubatch whose value it reads
};

struct Effect {
  FindingKind kind = FindingKind::read_after_write;
  // Who sees the wrong value: the reader of a read-after-write, the earlier reader of a
  // write-after-read; none for a write-after-write and a stale read.
  std::string reader;
  // The value seen in the bad order (a write-after-write: the one the bytes keep); none for a
  // read-after-write, whose reader sees the previous contents.
  std::optional<ValueName> wrong;
  ValueName right;  // the value the graph prescribes
  std::optional<SequenceCrossing> crossing;
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
