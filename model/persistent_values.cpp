#include "model/persistent_values.hpp"

#include <algorithm>

#include "scenario/kv_sequences.hpp"

namespace schedcheck {

PersistentValues::PersistentValues(const Scenario& s)
    : scenario_(s), partitioned_(kv_partitioned_tensors(s)) {
  last_write_.resize(s.tensors.size());
  for (std::size_t t = 0; t < s.tensors.size(); ++t)
    last_write_[t].assign(partitioned_[t] ? static_cast<std::size_t>(s.driver.sequences.count) : 1,
                          kInitialEval);
}

LogicalValue PersistentValues::expected(Index tensor) const {
  const std::vector<int>& last = last_write_[static_cast<std::size_t>(tensor)];
  return {tensor, *std::max_element(last.begin(), last.end()), 0};
}

void PersistentValues::add_parts(TensorView& v) const {
  if (v.tensor == kNone || !partitioned_[static_cast<std::size_t>(v.tensor)]) return;
  const std::vector<int>& last = last_write_[static_cast<std::size_t>(v.tensor)];
  const uint64_t part = kv_part_size(scenario_, scenario_.tensors[v.tensor].size);
  // The view may cover only some of the tensor's bytes: its parts are what it covers of each
  // sequence's cells, at offsets within the view.
  const uint64_t begin = v.tensor_offset;
  const uint64_t end = begin + v.region.size;
  v.parts.clear();
  for (std::size_t q = 0; q < last.size(); ++q) {
    const uint64_t b = std::max(begin, q * part);
    const uint64_t e = std::min(end, (q + 1) * part);
    if (b < e)
      v.parts.push_back(
          {b - begin, e - b, LogicalValue{v.tensor, last[q], 0}, static_cast<int>(q)});
  }
}

void PersistentValues::append_write(Operation& op, const TensorView& out, int eval, int group) {
  const Index t = out.tensor;
  std::vector<int>& last = last_write_[static_cast<std::size_t>(t)];
  auto write = [&](const TensorView& cells) {
    Access w = access_of(cells, true);
    w.value = LogicalValue{t, eval, 0};
    w.group = group;
    op.accesses.push_back(w);
  };
  if (!partitioned_[static_cast<std::size_t>(t)]) {
    last[0] = eval;
    write(out);
    return;
  }
  const uint64_t part = kv_part_size(scenario_, scenario_.tensors[t].size);
  for (int q : sequences_of(scenario_.driver, eval)) {
    last[static_cast<std::size_t>(q)] = eval;
    write(sub_view(out, static_cast<uint64_t>(q) * part, part));
  }
}

}  // namespace schedcheck
