// One operation handed to an executor: an ordered list of accesses (reads and writes of byte
// ranges) performed by one agent, with the call that issued it.
#pragma once

#include <string_view>
#include <vector>

#include "executor/call_site.hpp"
#include "executor/logical_value.hpp"
#include "executor/region.hpp"

namespace schedcheck {

enum class OpKind : uint8_t { compute, copy, host_write, host_read };

inline std::string_view to_string(OpKind k) {
  switch (k) {
    case OpKind::compute:
      return "compute";
    case OpKind::copy:
      return "copy";
    case OpKind::host_write:
      return "host write";
    case OpKind::host_read:
      return "host read";
  }
  return "?";
}

struct Access {
  bool is_write = false;
  Region region;
  LogicalValue value;    // reads: expected; writes: produced (copies: see from_read)
  Index tensor = kNone;  // tensor named in reports (the source for copy slots)
  Index copy = kNone;    // copy tensor, when the region is a copy slot
  int slot = 0;
  int group = 0;  // compute: node index within the split; a write's taint joins its group's reads
  int from_read = -1;  // copies: index (in accesses) of the read whose value this write carries
  uint64_t tensor_offset = 0;  // where the region starts within the logical tensor (row ranges)
};

struct Operation {
  OpKind kind = OpKind::compute;
  std::vector<Access> accesses;
  // Host sources of a queued copy read during the call (pageable staging, Metal set_async).
  bool reads_at_call = false;
  CallSite site;
};

// A copy's accesses are (read, write) pairs, one per value part of its source (a KV cache's
// per-sequence cells); most copies have one.
template <typename F>
void for_each_copy_part(const Operation& op, F&& f) {
  for (std::size_t i = 0; i + 1 < op.accesses.size(); i += 2) f(op.accesses[i], op.accesses[i + 1]);
}

}  // namespace schedcheck
