// The graph's sequential semantics of persistent tensors (weights, KV cache): which evaluation
// last wrote each, per sequence for a KV cache that several sequences share
// (scenario/kv_sequences.hpp). Shared by the model's scheduler and the bridge's real one.
#pragma once

#include <vector>

#include "executor/backend_api.hpp"

namespace schedcheck {

class PersistentValues {
 public:
  explicit PersistentValues(const Scenario& s);

  // What a reader of the whole tensor must see: its last write (the initial contents if none).
  LogicalValue expected(Index tensor) const;
  // A view of a KV tensor split into sequences' cells (or of a copy slot of one) gets one part
  // per sequence, each expecting that sequence's last write.
  void add_parts(TensorView& v) const;
  // Evaluation `eval`'s node writes persistent tensor `out.tensor` in place: the cells of the
  // evaluation's sequences, or the whole tensor. Appends the writes to op and records them.
  void append_write(Operation& op, const TensorView& out, int eval, int group);

 private:
  const Scenario& scenario_;
  std::vector<bool> partitioned_;
  std::vector<std::vector<int>> last_write_;  // [tensor][sequence] (one entry unless partitioned)
};

}  // namespace schedcheck
