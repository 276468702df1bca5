// The real scheduler's read of expert ids (MUL_MAT_ID): into its private host vector, from
// which it picks the experts to copy; the bridge answers with the experts of the value read.
#include "bridge/real_scheduler.hpp"
#include "model/node_access.hpp"
#include "model/scheduler.hpp"

namespace schedcheck {

Index RealScheduler::ids_node(Index tensor) const {
  for (Index n = 0; n < static_cast<Index>(scenario_.nodes.size()); ++n) {
    const Node& node = scenario_.nodes[n];
    if (node.is_mul_mat_id() && node.sources.size() >= 3 && node.sources[2] == tensor) return n;
  }
  return kNone;
}

bool RealScheduler::is_ids_read(const bridge::TensorRef& src, const bridge::MemRef& dst) const {
  return dst.buffer < 0 && src.tensor >= 0 && ids_node(src.tensor) != kNone;
}

void RealScheduler::start_ids_read(const TensorView& src, void* host_data) {
  IdsRead r;
  // As the model: the experts of the split's first node (prepare_run made it a private buffer).
  if (split_ != kNone && run_.moe_ids_buffer.count(split_) != 0)
    r.node = assignment_.run().plan.splits[split_].first_node;
  if (r.node == kNone) unsupported("an expert-ids read outside a MUL_MAT_ID split");
  r.host = src;
  r.host.region = Region{run_.moe_ids_buffer.at(split_), 0, src.region.size};
  r.host.copy = kNone;
  r.host.slot = 0;
  r.host.backend = scenario_.cpu_backend();
  r.data = host_data;
  ids_read_ = r;
}

void RealScheduler::finish_ids_read() {
  IdsRead r = *ids_read_;
  ids_read_.reset();
  CallSite cs = site(Call::moe_ids_read, kNone);
  cs.call = Call::moe_ids_read;
  cs.tensor = r.host.tensor;
  api_.host_read(r.host, cs);
  // The scheduler picks the experts from the ids it reads: those of the value it saw.
  const std::vector<int> used = experts_for(scenario_.nodes[r.node], api_.observed_value().eval);
  auto* ids = static_cast<int32_t*>(r.data);
  const std::size_t n = r.host.region.size / sizeof(int32_t);
  for (std::size_t i = 0; i < n; ++i) ids[i] = used.empty() ? 0 : used[i % used.size()];
}

}  // namespace schedcheck
