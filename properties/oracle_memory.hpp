// The brute-force oracle's memory (properties/brute_force_oracle.hpp): byte ranges of buffers
// holding logical values, in one canonical form so that equal contents compare equal (the
// explorer memoizes states on it). Internal to the oracle; it shares nothing with sim/.
#pragma once

#include <cstdint>
#include <vector>

#include "executor/logical_value.hpp"
#include "executor/region.hpp"

namespace schedcheck::oracle {

bool is_unknown(const LogicalValue& v);
// Values only: taint is the engine's bookkeeping, and keeping it would split equal states.
LogicalValue data_of(const LogicalValue& v);

// A byte range relative to the start of some region, holding one value.
struct Piece {
  uint64_t begin = 0;
  uint64_t end = 0;
  LogicalValue value;
};

// A maximal byte range of one buffer holding one known value; bytes in no cell are unknown.
struct Cell {
  Index buffer = kNone;
  uint64_t begin = 0;
  uint64_t end = 0;
  LogicalValue value;
};

class Memory {
 public:
  // The pieces covering r, gaps as unknown values, in order.
  std::vector<Piece> read(const Region& r) const;
  // Replaces r's bytes by pieces (relative to r, sorted, disjoint, covering r).
  void write(const Region& r, const std::vector<Piece>& pieces);
  const std::vector<Cell>& cells() const { return cells_; }

 private:
  std::vector<Cell> cells_;  // sorted by (buffer, begin), disjoint
};

}  // namespace schedcheck::oracle
