#include "scenario/kv_sequences.hpp"

#include <algorithm>
#include <numeric>

namespace schedcheck {

std::vector<int> sequences_of(const DriverConfig& d, int eval) {
  if (d.sequences.per_ubatch.empty()) {
    std::vector<int> all(static_cast<std::size_t>(d.sequences.count));
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  const auto n = static_cast<int>(d.sequences.per_ubatch.size());
  std::vector<int> seqs = d.sequences.per_ubatch[static_cast<std::size_t>(eval % n)];
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

bool same_sequence_shape(const DriverConfig& d, int eval_a, int eval_b) {
  const std::vector<int> a = sequences_of(d, eval_a);
  const std::vector<int> b = sequences_of(d, eval_b);
  return d.sequences.unified_kv ? a.size() == b.size() : a == b;
}

bool reads_sequence(const DriverConfig& d, int eval, int sequence) {
  if (d.sequences.unified_kv) return true;
  const std::vector<int> seqs = sequences_of(d, eval);
  return !seqs.empty() && seqs.front() <= sequence && sequence <= seqs.back();
}

std::vector<bool> kv_partitioned_tensors(const Scenario& s) {
  std::vector<bool> kv(s.tensors.size(), false);
  if (s.driver.sequences.count <= 1) return kv;
  for (const Node& n : s.nodes)
    if (n.writes_persistent) kv[static_cast<std::size_t>(n.output)] = true;
  return kv;
}

uint64_t kv_part_size(const Scenario& s, uint64_t tensor_size) {
  return tensor_size / static_cast<uint64_t>(std::max(1, s.driver.sequences.count));
}

int kv_sequence_at(const Scenario& s, uint64_t tensor_size, uint64_t tensor_offset) {
  const uint64_t part = kv_part_size(s, tensor_size);
  return part == 0 ? 0 : static_cast<int>(tensor_offset / part);
}

}  // namespace schedcheck
