#include "model/allocator.hpp"

#include <algorithm>
#include <compare>
#include <map>

#include "scenario/scenario_error.hpp"

namespace schedcheck {
namespace {

uint64_t align_up(uint64_t v, uint64_t a) {
  return a <= 1 ? v : (v + a - 1) / a * a;
}

// Best-fit free list over one buffer with an open-ended tail, as ggml-alloc.c's dynamic
// allocator: the free block that reaches the tail is the last resort, and among free blocks of
// equal size the one at the highest offset wins (docs/fidelity.md, F1).
class FreeList {
 public:
  FreeList(uint64_t base, uint64_t alignment) : end_(base), high_(base), alignment_(alignment) {}

  uint64_t allocate(uint64_t size) {
    size = align_up(std::max<uint64_t>(size, 1), alignment_);
    auto tail = free_.end();
    if (!free_.empty() && std::prev(free_.end())->first + std::prev(free_.end())->second == end_)
      tail = std::prev(free_.end());
    auto best = free_.end();
    for (auto it = free_.begin(); it != tail; ++it)
      if (it->second >= size && (best == free_.end() || it->second <= best->second)) best = it;
    if (best != free_.end()) {
      uint64_t off = best->first;
      uint64_t rest = best->second - size;
      free_.erase(best);
      if (rest) free_[off + size] = rest;
      return off;
    }
    // The tail: a free block reaching it is extended.
    uint64_t off = end_;
    if (tail != free_.end()) {
      off = tail->first;
      free_.erase(tail);
    }
    end_ = off + size;
    high_ = std::max(high_, end_);
    return off;
  }

  void release(uint64_t off, uint64_t size) {
    size = align_up(std::max<uint64_t>(size, 1), alignment_);
    auto [it, inserted] = free_.emplace(off, size);
    (void)inserted;
    auto next = std::next(it);
    if (next != free_.end() && it->first + it->second == next->first) {
      it->second += next->second;
      free_.erase(next);
    }
    if (it != free_.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        free_.erase(it);
      }
    }
  }

  uint64_t high_water() const { return high_; }

 private:
  std::map<uint64_t, uint64_t> free_;  // offset -> size
  uint64_t end_;
  uint64_t high_;
  uint64_t alignment_;
};

// What the allocation walk manages: a tensor or a copy.
struct Block {
  bool is_copy = false;
  Index id = kNone;
  auto operator<=>(const Block&) const = default;
};

class AllocationWalk {
 public:
  AllocationWalk(const Scenario& s, const SplitPlan& p, int input_ring)
      : scenario_(s), plan_(p), input_ring_(input_ring) {
    alloc_.tensor_slots.resize(s.tensors.size());
    alloc_.copy_slots.resize(p.copies.size());
    alloc_.tensor_life.resize(s.tensors.size());
    alloc_.copy_life.resize(p.copies.size());
    alloc_.buffer_size.assign(s.buffers.size(), 0);
  }

  AllocationPlan run() {
    place_explicit();
    count_consumers();
    const bool multi = plan_.n_copies > 1;
    // Multiplied graph inputs and split-input copies: leaves, all slots coexist, never freed.
    if (input_ring_)
      for (Index t = 0; t < static_cast<Index>(scenario_.tensors.size()); ++t)
        if (scenario_.tensors[t].role == TensorRole::user_input && alloc_.tensor_slots[t].empty())
          allocate_slots({false, t}, input_ring_);
    if (multi) {
      for (Index t : plan_.graph_inputs)
        if (alloc_.tensor_slots[t].empty()) allocate_slots({false, t}, plan_.n_copies);
      for (Index c = 0; c < static_cast<Index>(plan_.copies.size()); ++c)
        allocate_slots({true, c}, plan_.n_copies);
    }
    // Remaining INPUT-flagged tensors are allocated before any node.
    for (Index t = 0; t < static_cast<Index>(scenario_.tensors.size()); ++t)
      if (scenario_.tensors[t].role == TensorRole::user_input && alloc_.tensor_slots[t].empty())
        allocate_slots({false, t}, 1);

    for (const Split& split : plan_.splits) {
      for (const SplitInput& in : split.inputs) {
        // The dummy view keeps the source alive until the split starts, then lets it go.
        ++position_;
        consume({false, in.source});
        ++position_;
        if (!multi) allocate_slots({true, in.copy}, 1);
      }
      for (Index n = split.first_node; n < split.end_node; ++n) {
        ++position_;
        allocate_node(n);
        for (const SourceRef& ref : plan_.node_sources[n])
          consume(ref.copy != kNone ? Block{true, ref.copy} : Block{false, ref.tensor});
      }
    }
    for (Index b = 0; b < static_cast<Index>(scenario_.buffers.size()); ++b) finish_buffer(b);
    return std::move(alloc_);
  }

 private:
  void place_explicit() {
    for (Index t = 0; t < static_cast<Index>(scenario_.tensors.size()); ++t) {
      const Tensor& tensor = scenario_.tensors[t];
      if (tensor.buffer == kNone || !tensor.offset) continue;
      alloc_.tensor_slots[t] = {Region{tensor.buffer, *tensor.offset, tensor.size}};
      reserved_end_[tensor.buffer] =
          std::max(reserved_end_[tensor.buffer], *tensor.offset + tensor.size);
    }
  }

  void count_consumers() {
    for (const Split& split : plan_.splits)
      for (const SplitInput& in : split.inputs) ++consumers_[{false, in.source}];
    for (const auto& refs : plan_.node_sources)
      for (const SourceRef& ref : refs)
        ++consumers_[ref.copy != kNone ? Block{true, ref.copy} : Block{false, ref.tensor}];
  }

  Index buffer_of(Block b) const {
    return b.is_copy ? scenario_.backends[plan_.copies[b.id].backend].compute_buffer
                     : tensor_buffer(scenario_, b.id);
  }
  uint64_t size_of(Block b) const {
    return scenario_.tensors[b.is_copy ? plan_.copies[b.id].source : b.id].size;
  }
  bool never_freed(Block b) const {
    const bool user_input = !b.is_copy && scenario_.tensors[b.id].role == TensorRole::user_input;
    if ((plan_.n_copies > 1 && (b.is_copy || user_input)) || (input_ring_ && user_input))
      return true;
    return !b.is_copy && (scenario_.tensors[b.id].flags & kFlagOutput);
  }
  std::vector<Region>& slots(Block b) {
    return b.is_copy ? alloc_.copy_slots[b.id] : alloc_.tensor_slots[b.id];
  }
  Lifetime& life(Block b) { return b.is_copy ? alloc_.copy_life[b.id] : alloc_.tensor_life[b.id]; }

  FreeList& list_for(Index buffer) {
    auto it = lists_.find(buffer);
    if (it == lists_.end())
      it =
          lists_
              .emplace(buffer, FreeList(reserved_end_[buffer], scenario_.buffers[buffer].alignment))
              .first;
    return it->second;
  }

  void allocate_slots(Block b, int n) {
    Index buffer = buffer_of(b);
    FreeList& list = list_for(buffer);
    for (int i = 0; i < n; ++i)
      slots(b).push_back(Region{buffer, list.allocate(size_of(b)), size_of(b)});
    life(b).allocated_at = position_;
  }

  void allocate_node(Index n) {
    const Node& node = scenario_.nodes[n];
    const Index out = node.output;
    if (node.writes_persistent || !alloc_.tensor_slots[out].empty()) return;
    if (node.inplace && !node.sources.empty()) {
      const SourceRef& first = plan_.node_sources[n][0];
      Block parent = first.copy != kNone ? Block{true, first.copy} : Block{false, first.tensor};
      bool owned = !slots(parent).empty() && slots(parent).size() == 1 && !never_freed(parent) &&
                   !(scenario_.tensors[first.tensor].flags & kFlagInput) &&
                   life(parent).allocated_at >= 0;
      if (owned && consumers_[parent] == 1 && buffer_of(parent) == tensor_buffer(scenario_, out) &&
          size_of(parent) == scenario_.tensors[out].size) {
        alloc_.tensor_slots[out] = {
            Region{buffer_of(parent), slots(parent)[0].offset, scenario_.tensors[out].size}};
        alloc_.tensor_life[out].allocated_at = position_;
        handed_over_.push_back(parent);
        return;
      }
    }
    allocate_slots({false, out}, 1);
  }

  void consume(Block b) {
    auto it = consumers_.find(b);
    if (it == consumers_.end() || --it->second > 0) return;
    if (never_freed(b) || slots(b).size() != 1 || life(b).allocated_at < 0) return;
    life(b).freed_after = position_;
    if (std::find(handed_over_.begin(), handed_over_.end(), b) != handed_over_.end()) return;
    const Region& r = slots(b)[0];
    list_for(r.buffer).release(r.offset, r.size);
  }

  void finish_buffer(Index b) {
    const Buffer& buf = scenario_.buffers[b];
    uint64_t need = reserved_end_.count(b) ? reserved_end_[b] : 0;
    if (auto it = lists_.find(b); it != lists_.end())
      need = std::max(need, it->second.high_water());
    if (buf.usage == BufferUsage::compute && buf.size == 0) {
      alloc_.buffer_size[b] = need;
      return;
    }
    if (need > buf.size)
      throw ScenarioError(scenario_.file, "/buffers/" + std::to_string(b) + "/size",
                          "buffer \"" + buf.name + "\" needs " + std::to_string(need) +
                              " bytes for its tensors, but its size is " +
                              std::to_string(buf.size));
    alloc_.buffer_size[b] = buf.size;
  }

  const Scenario& scenario_;
  const SplitPlan& plan_;
  AllocationPlan alloc_;
  std::map<Block, int> consumers_;
  std::map<Index, FreeList> lists_;
  std::map<Index, uint64_t> reserved_end_;
  std::vector<Block> handed_over_;
  int position_ = 0;
  const int input_ring_;  // slots per user input with an input ring, else 0
};

}  // namespace

AllocationPlan allocate(const Scenario& s, const SplitPlan& plan, int input_ring) {
  return AllocationWalk(s, plan, input_ring).run();
}

}  // namespace schedcheck
