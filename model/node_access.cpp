#include "model/node_access.hpp"

#include "model/scheduler.hpp"
#include "scenario/kv_sequences.hpp"

namespace schedcheck {

void append_source_reads(Operation& op, const Node& node, std::size_t index, const TensorView& v,
                         const DriverConfig& driver, int eval, int group) {
  if (!v.parts.empty()) {
    for (const ViewPart& part : v.parts) {
      if (part.sequence >= 0 && !reads_sequence(driver, eval, part.sequence)) continue;
      TensorView cells = sub_view(v, part.offset, part.size);
      cells.expected = part.expected;
      Access a = access_of(cells, false);
      a.group = group;
      op.accesses.push_back(a);
    }
    return;
  }
  if (!(node.is_mul_mat_id() && index == 0 && node.n_expert > 0)) {
    Access a = access_of(v, false);
    a.group = group;
    op.accesses.push_back(a);
    return;
  }
  const uint64_t rows = v.region.size / static_cast<uint64_t>(node.n_expert);
  for (int e : experts_for(node, eval)) {
    Access a = access_of(v, false);
    a.region = Region{v.region.buffer, v.region.offset + static_cast<uint64_t>(e) * rows, rows};
    a.tensor_offset = static_cast<uint64_t>(e) * rows;
    a.group = group;
    op.accesses.push_back(a);
  }
}

}  // namespace schedcheck
