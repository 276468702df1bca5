#include "model/prepared_run.hpp"

#include <algorithm>

#include "model/backend_upgrade.hpp"
#include "model/node_assignment.hpp"
#include "model/policies/registry.hpp"

namespace schedcheck {

namespace {

// A buffer the meta backend fills (usage compute: ggml places what is in it).
Index add_run_buffer(PreparedRun& r, Index owner, const std::string& what, uint64_t size) {
  Buffer b;
  b.name = r.scenario.backends[owner].name + " " + what;
  b.kind = BufferKind::device;
  b.usage = BufferUsage::compute;
  b.owner = owner;
  r.scenario.buffers.push_back(b);
  r.alloc.buffer_size.push_back(size);
  return static_cast<Index>(r.scenario.buffers.size()) - 1;
}

uint64_t aligned(uint64_t n) {
  return (n + 255) / 256 * 256;
}

// What ggml places on a meta backend's devices, bounded from above (the simulator grows buffers
// as they are used; a GPU run allocates these sizes): a device's slices of the scheduler's
// tensors at the meta tensors' offsets; its slices of the weights, each allocation 256-aligned;
// the AllReduce's buffers, at most one per step (two with alternating sets) for each larger
// partial sum.
void add_meta_member_buffers(PreparedRun& r) {
  Scenario& s = r.scenario;
  for (Index meta = 0; meta < static_cast<Index>(s.backends.size()); ++meta) {
    if (s.backends[meta].kind != BackendKind::meta) continue;
    uint64_t weights = 0, outputs = 0;
    for (const Tensor& t : s.tensors)
      if (t.role == TensorRole::persistent && t.buffer != kNone &&
          s.buffers[t.buffer].owner == meta)
        weights += aligned(t.size) + 256;
    for (const Node& n : s.nodes)
      if (n.backend == meta) outputs += aligned(s.tensors[n.output].size);
    const auto devices = s.backends[meta].members.size();
    uint64_t steps = 0;
    while ((std::size_t{1} << steps) < devices) ++steps;
    const uint64_t compute = 2 * r.alloc.buffer_size[s.backends[meta].compute_buffer] + 65536;
    for (Index member : s.backends[meta].members) {
      uint64_t& own = r.alloc.buffer_size[s.backends[member].compute_buffer];
      own = std::max(own, compute);
      PreparedRun::MetaMemberBuffers m;
      m.weights = add_run_buffer(r, member, "meta weights", weights);
      m.reduce = add_run_buffer(r, member, "AllReduce buffers", 2 * steps * outputs);
      r.meta_buffers[member] = m;
    }
  }
}

PreparedRun prepare_one(const Scenario& s, const Policy& policy) {
  PreparedRun r;
  r.scenario = s;
  const std::vector<bool> in_place = in_place_readers(s, policy.knobs.profile);
  upgrade_node_backends(r.scenario, in_place);  // ggml's pass 3, before splits are formed
  r.policy = policy;
  r.layout = make_layout(s, policy.knobs.profile, policy_event_specs(policy));
  r.plan = form_splits(
      r.scenario, SplitOptions{r.layout.n_copies, policy.knobs.profile.max_split_inputs, in_place});
  const int ring = input_ring_slots(policy.knobs);
  add_input_ring_events(r.layout, r.scenario, in_place, ring);
  if (policy.is_real()) add_tree_events(r.layout, r.scenario);
  r.alloc = allocate(r.scenario, r.plan, ring);
  // The scheduler's host vector for expert ids, one per split whose first node is MUL_MAT_ID.
  for (Index k = 0; k < static_cast<Index>(r.plan.splits.size()); ++k) {
    const Split& split = r.plan.splits[k];
    if (split.empty() || !r.scenario.nodes[split.first_node].is_mul_mat_id()) continue;
    const Node& node = r.scenario.nodes[split.first_node];
    if (node.sources.size() < 3) continue;
    Buffer ids;
    ids.name = "scheduler ids host vector (split " + std::to_string(k) + ")";
    ids.kind = BufferKind::pageable_host;
    ids.usage = BufferUsage::output;
    ids.size = r.scenario.tensors[node.sources[2]].size;
    r.moe_ids_buffer[k] = static_cast<Index>(r.scenario.buffers.size());
    r.scenario.buffers.push_back(ids);
    r.alloc.buffer_size.push_back(ids.size);
  }
  add_meta_member_buffers(r);
  return r;
}

}  // namespace

PreparedRun prepare_run(const Scenario& s, const Policy& policy) {
  PreparedRun r = prepare_one(s, policy);
  r.assignments = program_assignments(s);
  r.assignment_epoch = {0};
  for (std::size_t i = 1; i < r.assignments.size(); ++i)
    r.assignment_epoch.push_back(
        epoch_of(r, prepare_one(with_assignment(s, r.assignments[i]), policy)));
  unify_epochs(r);
  return r;
}

}  // namespace schedcheck
