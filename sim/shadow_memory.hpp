// Byte-range shadow of every buffer: for each maximal range with the same history, the last
// write (agent, epoch, operation, logical value) and the latest read of each agent since.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "executor/logical_value.hpp"

namespace schedcheck {

struct AccessStamp {
  int agent = 0;
  uint32_t epoch = 0;
  int op = -1;      // trace index
  int access = -1;  // index within the operation
};

struct ShadowCell {
  uint64_t end = 0;
  bool written = false;
  AccessStamp write;
  LogicalValue value;
  std::vector<AccessStamp> reads;  // at most one per agent
};

class ShadowMemory {
 public:
  void add_buffer(uint64_t size);
  // Buffer `buffer` occupies `memory`'s bytes (memory released, then reused): both names reach
  // the same cells, so a write through one races with a pending read through the other.
  void share_memory(int buffer, int memory);
  // Visits the cells covering [begin, end) of buffer, split at the boundaries.
  void for_range(int buffer, uint64_t begin, uint64_t end,
                 const std::function<void(uint64_t begin, ShadowCell&)>& visit);
  // Marks [begin, end) as written before the run (weights, KV cache).
  void initialize(int buffer, uint64_t begin, uint64_t end, const LogicalValue& value);

 private:
  std::map<uint64_t, ShadowCell>::iterator split_at(std::map<uint64_t, ShadowCell>& cells,
                                                    uint64_t at);
  std::vector<std::map<uint64_t, ShadowCell>> buffers_;
  std::vector<int> memory_of_;  // per buffer: the index into buffers_ holding its cells
};

}  // namespace schedcheck
