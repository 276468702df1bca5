// What a byte range holds in the sequential semantics of the graph: tensor T as computed by
// evaluation e. Reads carry the value they must see; writes carry the value they produce.
#pragma once

#include <cstdint>

#include "scenario/scenario.hpp"

namespace schedcheck {

constexpr int kInitialEval = -1;  // contents before the run (weights, KV cache)

struct LogicalValue {
  Index tensor = kNone;  // kNone: never written (uninitialized)
  int eval = kInitialEval;
  uint32_t taint = 0;  // finding id whose effect this value carries (0: clean)
  bool same_data(const LogicalValue& o) const { return tensor == o.tensor && eval == o.eval; }
};

}  // namespace schedcheck
