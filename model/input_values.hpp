// The sequential semantics of user inputs that a program writes in parts: each byte holds what
// the host last wrote there. A reader in evaluation e expects that, not "input as of e", when
// an evaluation rewrote only part of the input (or none of it). Kept per copy slot of the
// input, since each slot is memory of its own. Only the program's own memory keeps the bytes
// between evaluations: the allocator may reuse an input it placed, which the simulator then
// reports as a stale read. Shared by the model's scheduler and the bridge's real one.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "executor/backend_api.hpp"

namespace schedcheck {

class InputValues {
 public:
  // The host wrote bytes [offset, offset + size) of input `tensor` in `slot` for `eval`.
  void record(Index tensor, int slot, uint64_t offset, uint64_t size, int eval);
  // The same for bytes [offset, offset + size) of `whole`, the input as bound now (size 0: to
  // its end); returns them as the view the write produces (the input's value of `eval`).
  TensorView write(const TensorView& whole, uint64_t offset, uint64_t size, int eval);
  // A view of input `tensor` as it is in `slot` (the input itself, or a copy taken from that
  // slot). Inputs never written keep the view's expected value; otherwise the bytes expect what
  // was last written there (one part per value when they differ).
  void add_parts(TensorView& v, int slot) const;

 private:
  struct Range {
    uint64_t begin = 0;
    uint64_t end = 0;
    int eval = 0;
  };
  std::map<std::pair<Index, int>, std::vector<Range>> written_;  // sorted, disjoint
};

}  // namespace schedcheck
