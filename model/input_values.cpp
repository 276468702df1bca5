#include "model/input_values.hpp"

#include <algorithm>

namespace schedcheck {

void InputValues::record(Index tensor, int slot, uint64_t offset, uint64_t size, int eval) {
  std::vector<Range>& ranges = written_[{tensor, slot}];
  const uint64_t end = offset + size;
  std::vector<Range> kept;
  kept.reserve(ranges.size() + 2);
  for (const Range& r : ranges) {
    if (r.end <= offset || r.begin >= end) {
      kept.push_back(r);
      continue;
    }
    if (r.begin < offset) kept.push_back({r.begin, offset, r.eval});
    if (r.end > end) kept.push_back({end, r.end, r.eval});
  }
  kept.push_back({offset, end, eval});
  std::sort(kept.begin(), kept.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  ranges = std::move(kept);
}

TensorView InputValues::write(const TensorView& whole, uint64_t offset, uint64_t size, int eval) {
  if (size == 0) size = whole.region.size - offset;
  record(whole.tensor, whole.slot, offset, size, eval);
  TensorView dst = sub_view(whole, offset, size);
  dst.expected = LogicalValue{whole.tensor, eval, 0};
  return dst;
}

void InputValues::add_parts(TensorView& v, int slot) const {
  const auto it = written_.find({v.tensor, slot});
  if (it == written_.end()) return;
  const uint64_t begin = v.tensor_offset;
  const uint64_t end = begin + v.region.size;
  const LogicalValue unwritten = v.expected;
  std::vector<ViewPart> parts;
  auto add = [&](uint64_t b, uint64_t e, LogicalValue value) {
    if (b >= e) return;
    if (!parts.empty() && parts.back().expected.same_data(value) &&
        parts.back().offset + parts.back().size == b - begin) {
      parts.back().size += e - b;
      return;
    }
    parts.push_back({b - begin, e - b, value, -1});  // -1: not a sequence's cells
  };
  uint64_t at = begin;
  for (const Range& r : it->second) {
    const uint64_t b = std::max(begin, r.begin);
    const uint64_t e = std::min(end, r.end);
    if (b >= e) continue;
    add(at, b, unwritten);
    add(b, e, LogicalValue{v.tensor, r.eval, 0});
    at = e;
  }
  add(at, end, unwritten);
  if (parts.size() == 1) {
    v.expected = parts.front().expected;
    v.parts.clear();
    return;
  }
  v.parts = std::move(parts);
}

}  // namespace schedcheck
