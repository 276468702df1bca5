// A race or stale read found in one trace: the two accesses (by trace index), the bytes, and
// the values involved. Grouping and explanation happen in race_report.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "executor/logical_value.hpp"
#include "scenario/verdict.hpp"

namespace schedcheck {

enum class FindingKind : uint8_t {
  read_after_write,   // a read not ordered after the write before it
  write_after_read,   // a write not ordered after an earlier read
  write_after_write,  // two writes not ordered
  stale_read,         // ordered, but the read sees a value other than the one the graph prescribes
};
std::string_view to_string(FindingKind k);
inline bool is_race(FindingKind k) {
  return k != FindingKind::stale_read;
}

struct Finding {
  uint32_t id = 0;  // 1-based; also the taint carried by values it corrupted
  FindingKind kind = FindingKind::read_after_write;
  // Races: first = the earlier access in issue order, second = the one that conflicts with it.
  // Stale reads: first = the write whose value was seen (-1: never written), second = the read.
  int first_op = -1;
  int first_access = -1;
  int first_agent = 0;
  int second_agent = 0;
  int second_op = -1;
  int second_access = -1;
  int buffer = -1;
  uint64_t begin = 0;
  uint64_t end = 0;
  LogicalValue seen;          // value read (RAW, stale) or held before the write (WAR, WAW)
  LogicalValue expected;      // value the read should see (RAW, stale) or the value written
  uint32_t known_epoch = 0;   // second agent's clock entry for the first agent at the access
  uint32_t needed_epoch = 0;  // the first access's epoch
  int learned_via = -1;       // trace index of the sync that last raised known_epoch (-1: none)
};

// The verdict of a run with these findings.
inline Verdict verdict_of(const std::vector<Finding>& findings) {
  Verdict v;
  for (const Finding& f : findings) (is_race(f.kind) ? v.race : v.stale) = true;
  return v;
}

}  // namespace schedcheck
