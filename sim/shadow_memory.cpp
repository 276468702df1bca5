#include "sim/shadow_memory.hpp"

namespace schedcheck {

void ShadowMemory::add_buffer(uint64_t size) {
  std::map<uint64_t, ShadowCell> cells;
  ShadowCell all;
  all.end = size;
  cells.emplace(0, all);
  memory_of_.push_back(static_cast<int>(buffers_.size()));
  buffers_.push_back(std::move(cells));
}

void ShadowMemory::share_memory(int buffer, int memory) {
  memory_of_[static_cast<std::size_t>(buffer)] = memory_of_[static_cast<std::size_t>(memory)];
}

std::map<uint64_t, ShadowCell>::iterator ShadowMemory::split_at(
    std::map<uint64_t, ShadowCell>& cells, uint64_t at) {
  auto it = cells.upper_bound(at);
  if (it == cells.begin()) return cells.end();
  --it;
  if (it->first == at) return it;
  if (it->second.end <= at) return std::next(it);
  ShadowCell tail = it->second;
  it->second.end = at;
  return cells.emplace_hint(std::next(it), at, std::move(tail));
}

void ShadowMemory::for_range(int buffer, uint64_t begin, uint64_t end,
                             const std::function<void(uint64_t, ShadowCell&)>& visit) {
  auto& cells = buffers_[static_cast<std::size_t>(memory_of_[static_cast<std::size_t>(buffer)])];
  if (begin >= end) return;
  // Ranges past the buffer's recorded size (a meta backend's buffers, sized by ggml) extend it.
  auto last = std::prev(cells.end());
  if (last->second.end < end) {
    if (last->first == last->second.end) {
      last->second.end = end;  // an empty buffer (sized by what is allocated in it)
    } else {
      ShadowCell tail;
      tail.end = end;
      cells.emplace(last->second.end, tail);
    }
  }
  split_at(cells, end);
  for (auto it = split_at(cells, begin); it != cells.end() && it->first < end; ++it)
    visit(it->first, it->second);
}

void ShadowMemory::initialize(int buffer, uint64_t begin, uint64_t end, const LogicalValue& value) {
  for_range(buffer, begin, end, [&](uint64_t, ShadowCell& c) {
    c.written = true;
    c.write = AccessStamp{0, 0, -1, -1};
    c.value = value;
    c.reads.clear();
  });
}

}  // namespace schedcheck
