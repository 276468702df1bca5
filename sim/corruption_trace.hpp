// Follows a wrong value forward through the trace: from the access that would see it, through
// every operation that computes or copies from corrupted bytes, to the host reads (logits,
// expert ids, eval-callback tensors) that would observe the corruption.
#pragma once

#include <vector>

#include "sim/finding.hpp"
#include "sim/trace.hpp"

namespace schedcheck {

struct CorruptedHostRead {
  int trace_index = -1;
  Access access;  // the host read that sees corrupted bytes
};

// The access (op, index) whose value is wrong in the bad ordering of the finding.
struct Victim {
  int op = -1;
  int access = -1;
};
Victim victim_of(const Finding& f);

// Host reads reached from the victim, in issue order (at most `limit`).
std::vector<CorruptedHostRead> corrupted_host_reads(const std::vector<TraceEntry>& trace,
                                                    const Victim& victim, std::size_t limit);

}  // namespace schedcheck
