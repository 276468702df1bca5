#include "properties/oracle_memory.hpp"

#include <algorithm>

namespace schedcheck::oracle {

bool is_unknown(const LogicalValue& v) {
  return v.same_data(LogicalValue{});
}

LogicalValue data_of(const LogicalValue& v) {
  return LogicalValue{v.tensor, v.eval, 0};
}

std::vector<Piece> Memory::read(const Region& r) const {
  std::vector<Piece> out;
  auto it = std::lower_bound(cells_.begin(), cells_.end(), r, [](const Cell& c, const Region& x) {
    return c.buffer < x.buffer || (c.buffer == x.buffer && c.end <= x.offset);
  });
  uint64_t at = r.offset;
  for (; it != cells_.end() && it->buffer == r.buffer && it->begin < r.end(); ++it) {
    const uint64_t b = std::max(it->begin, r.offset);
    const uint64_t e = std::min(it->end, r.end());
    if (at < b) out.push_back({at - r.offset, b - r.offset, LogicalValue{}});
    out.push_back({b - r.offset, e - r.offset, it->value});
    at = e;
  }
  if (at < r.end()) out.push_back({at - r.offset, r.size, LogicalValue{}});
  return out;
}

void Memory::write(const Region& r, const std::vector<Piece>& pieces) {
  std::vector<Cell> out;
  out.reserve(cells_.size() + pieces.size() + 1);
  for (const Cell& c : cells_)
    if (c.buffer < r.buffer || (c.buffer == r.buffer && c.begin < r.offset)) {
      Cell left = c;
      if (left.buffer == r.buffer) left.end = std::min(left.end, r.offset);
      out.push_back(left);
    }
  for (const Piece& p : pieces)
    if (p.begin < p.end && !is_unknown(p.value))
      out.push_back({r.buffer, r.offset + p.begin, r.offset + p.end, data_of(p.value)});
  for (const Cell& c : cells_)
    if (c.buffer > r.buffer || (c.buffer == r.buffer && c.end > r.end())) {
      Cell right = c;
      if (right.buffer == r.buffer) right.begin = std::max(right.begin, r.end());
      out.push_back(right);
    }
  // Merge neighbours so that equal contents have one representation (memoization).
  cells_.clear();
  for (const Cell& c : out) {
    if (!cells_.empty()) {
      Cell& last = cells_.back();
      if (last.buffer == c.buffer && last.end == c.begin && last.value.same_data(c.value)) {
        last.end = c.end;
        continue;
      }
    }
    cells_.push_back(c);
  }
}

}  // namespace schedcheck::oracle
