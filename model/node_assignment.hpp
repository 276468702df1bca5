// ggml_backend_sched_set_tensor_backend in a program (ProgramStep::Kind::set_backend): the node
// assignments a program reaches, each prepared as an epoch of the run (PreparedRun::epochs),
// and the scheduler's choice of epoch at every graph allocation.
#pragma once

#include <vector>

#include "model/prepared_run.hpp"

namespace schedcheck {

// The program's node -> backend tables in the order its set_backend steps reach them; the
// first is the scenario's own. One table when the program has no set_backend step.
std::vector<std::vector<Index>> program_assignments(const Scenario& s);

// The scenario with a table's node backends.
Scenario with_assignment(const Scenario& s, const std::vector<Index>& table);

// The epoch of `run` that places every node as `e` does after ggml's upgrade; `e` becomes a new
// epoch of `run` when none does.
int epoch_of(PreparedRun& run, PreparedRun&& e);

// After the epochs are prepared: one list of copies for all (a copy index means the same in
// each), epoch 0's layout in each, and compute buffers as large as the largest epoch needs.
void unify_epochs(PreparedRun& run);

// The program's table as its set_backend steps change it, and the epoch each graph allocation
// uses. ggml's alloc_splits compares the new split graph's node backends with the previous
// one's (backend_ids_changed, every version of the bundle) and then re-reserves, after
// synchronizing every backend; the reservation before the first allocation uses epoch 0.
class NodeAssignment {
 public:
  explicit NodeAssignment(const PreparedRun& run);
  void set(Index node, Index backend);  // from the next allocation on
  // A graph allocation: true when its epoch differs from the previous allocation's.
  bool allocate();
  int epoch() const { return epoch_; }
  const PreparedRun& run() const { return run_.epoch(epoch_); }  // the epoch allocated last

 private:
  const PreparedRun& run_;
  std::vector<Index> table_;
  int epoch_ = 0;
};

}  // namespace schedcheck
