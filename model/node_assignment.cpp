#include "model/node_assignment.hpp"

#include <algorithm>
#include <stdexcept>

namespace schedcheck {

std::vector<std::vector<Index>> program_assignments(const Scenario& s) {
  std::vector<Index> table;
  for (const Node& n : s.nodes) table.push_back(n.backend);
  std::vector<std::vector<Index>> tables{table};
  for (const ProgramStep& step : s.program) {
    if (step.kind != ProgramStep::Kind::set_backend) continue;
    table[static_cast<std::size_t>(s.tensors[step.tensor].producer)] = step.backend;
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) tables.push_back(table);
  }
  return tables;
}

Scenario with_assignment(const Scenario& s, const std::vector<Index>& table) {
  Scenario out = s;
  for (std::size_t n = 0; n < out.nodes.size(); ++n) out.nodes[n].backend = table[n];
  return out;
}

int epoch_of(PreparedRun& run, PreparedRun&& e) {
  auto same = [&](const PreparedRun& k) {
    return std::equal(k.scenario.nodes.begin(), k.scenario.nodes.end(), e.scenario.nodes.begin(),
                      e.scenario.nodes.end(),
                      [](const Node& x, const Node& y) { return x.backend == y.backend; });
  };
  for (int k = 0; k <= static_cast<int>(run.epochs.size()); ++k)
    if (same(run.epoch(k))) return k;
  run.epochs.push_back(std::move(e));
  return static_cast<int>(run.epochs.size());
}

namespace {

// Renumbers an epoch's copies into `all` (adding those it lacks): its plan and allocation then
// index copies as every other epoch does.
void merge_copies(PreparedRun& e, std::vector<CopyTensor>& all) {
  std::vector<Index> to(e.plan.copies.size());
  for (std::size_t c = 0; c < e.plan.copies.size(); ++c) {
    const CopyTensor& copy = e.plan.copies[c];
    auto it = std::find_if(all.begin(), all.end(), [&](const CopyTensor& o) {
      return o.source == copy.source && o.backend == copy.backend;
    });
    if (it == all.end()) it = all.insert(all.end(), copy);
    to[c] = static_cast<Index>(it - all.begin());
  }
  auto renumber = [&](Index& c) {
    if (c != kNone) c = to[static_cast<std::size_t>(c)];
  };
  for (Split& split : e.plan.splits)
    for (SplitInput& in : split.inputs) renumber(in.copy);
  for (auto& sources : e.plan.node_sources)
    for (SourceRef& ref : sources) renumber(ref.copy);
  std::vector<std::vector<Region>> slots(all.size());
  std::vector<Lifetime> life(all.size());
  for (std::size_t c = 0; c < to.size(); ++c) {
    slots[static_cast<std::size_t>(to[c])] = std::move(e.alloc.copy_slots[c]);
    life[static_cast<std::size_t>(to[c])] = e.alloc.copy_life[c];
  }
  e.alloc.copy_slots = std::move(slots);
  e.alloc.copy_life = std::move(life);
}

}  // namespace

void unify_epochs(PreparedRun& run) {
  if (run.epochs.empty()) return;
  std::vector<CopyTensor> all = run.plan.copies;
  std::vector<uint64_t> sizes = run.alloc.buffer_size;
  for (PreparedRun& e : run.epochs) {
    merge_copies(e, all);
    for (std::size_t b = 0; b < sizes.size(); ++b)
      sizes[b] = std::max(sizes[b], e.alloc.buffer_size.at(b));
  }
  // Copies an epoch lacks have no slots there: no split of that epoch refers to them.
  auto finish = [&](PreparedRun& e) {
    e.alloc.copy_slots.resize(all.size());
    e.alloc.copy_life.resize(all.size());
    e.plan.copies = all;
    e.alloc.buffer_size = sizes;
  };
  finish(run);
  for (PreparedRun& e : run.epochs) {
    finish(e);
    e.layout = run.layout;
  }
}

// The scenario's own table, as the program gave it: run.scenario's nodes are after the upgrade.
NodeAssignment::NodeAssignment(const PreparedRun& run) : run_(run) {
  if (run.assignments.empty()) throw std::logic_error("a run not made by prepare_run");
  table_ = run.assignments.front();
}

void NodeAssignment::set(Index node, Index backend) {
  table_.at(static_cast<std::size_t>(node)) = backend;
}

bool NodeAssignment::allocate() {
  const auto it = std::find(run_.assignments.begin(), run_.assignments.end(), table_);
  if (it == run_.assignments.end())
    throw std::logic_error("a node assignment the program's set_backend steps do not reach");
  const int e = run_.assignment_epoch[static_cast<std::size_t>(it - run_.assignments.begin())];
  const bool changed = e != epoch_;
  epoch_ = e;
  return changed;
}

}  // namespace schedcheck
