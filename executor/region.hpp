// A byte range of one buffer of a run: what every access of an operation names.
#pragma once

#include <cstdint>

#include "scenario/scenario.hpp"

namespace schedcheck {

struct Region {
  Index buffer = kNone;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t end() const { return offset + size; }
  bool overlaps(const Region& o) const {
    return buffer == o.buffer && offset < o.end() && o.offset < end();
  }
  bool operator==(const Region&) const = default;
};

}  // namespace schedcheck
