#include "real/reference_values.hpp"

#include "real/value_hash.hpp"

namespace schedcheck {

std::vector<NodeComputation> node_computations(const Operation& op) {
  std::vector<NodeComputation> out;
  std::map<int, std::vector<NodeSource>> reads;  // group -> sources
  for (const Access& a : op.accesses) {
    if (!a.is_write) {
      reads[a.group].push_back({a.value, a.tensor_offset, a.region.size});
      continue;
    }
    out.push_back({a.value, a.region.size, reads[a.group]});
  }
  return out;
}

uint32_t digest_of(const std::vector<std::vector<uint8_t>>& source_bytes,
                   const std::vector<NodeSource>& sources) {
  uint32_t digest = 0;
  for (std::size_t j = 0; j < sources.size(); ++j) {
    uint32_t checksum = 0;
    for (std::size_t k = 0; k < source_bytes[j].size(); ++k)
      checksum += values::byte_term(source_bytes[j][k], sources[j].offset + k);
    digest += values::source_term(checksum, static_cast<int>(j));
  }
  return digest;
}

void ReferenceValues::note_compute(const Operation& compute) {
  for (NodeComputation& c : node_computations(compute))
    defined_[{c.produced.tensor, c.produced.eval}] = std::move(c);
}

bool ReferenceValues::redefines(const Operation& compute) const {
  for (const Access& a : compute.accesses)
    if (a.is_write && defined_.count({a.value.tensor, a.value.eval})) return true;
  return false;
}

const std::vector<uint8_t>& ReferenceValues::whole(const LogicalValue& v, uint64_t size) {
  const auto key = std::make_pair(static_cast<int>(v.tensor), v.eval);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  std::vector<uint8_t> out(size);
  auto def = defined_.find(key);
  if (def == defined_.end()) {
    const uint32_t seed = values::value_seed(v.tensor, v.eval);
    for (uint64_t i = 0; i < size; ++i) out[i] = values::leaf_byte(seed, i);
  } else {
    const NodeComputation& c = def->second;
    std::vector<std::vector<uint8_t>> src;
    for (const NodeSource& ns : c.sources) src.push_back(bytes(ns.value, ns.offset, ns.size));
    const uint32_t digest = digest_of(src, c.sources);
    const uint32_t seed = values::value_seed(v.tensor, v.eval);
    for (uint64_t i = 0; i < size; ++i) out[i] = values::node_byte(seed, digest, i);
  }
  return memo_.emplace(key, std::move(out)).first->second;
}

std::vector<uint8_t> ReferenceValues::bytes(const LogicalValue& v, uint64_t offset, uint64_t size) {
  if (v.tensor == kNone) return std::vector<uint8_t>(size, values::kPoison);
  const uint64_t tensor_size = scenario_.tensors[v.tensor].size;
  const std::vector<uint8_t>& all = whole(v, std::max<uint64_t>(tensor_size, offset + size));
  return std::vector<uint8_t>(all.begin() + static_cast<long>(offset),
                              all.begin() + static_cast<long>(offset + size));
}

}  // namespace schedcheck
