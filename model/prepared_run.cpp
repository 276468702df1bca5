#include "model/prepared_run.hpp"

#include "model/backend_upgrade.hpp"
#include "model/node_assignment.hpp"
#include "model/policies/registry.hpp"

namespace schedcheck {

namespace {

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
