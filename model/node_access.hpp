// What a graph node reads and writes when it runs (graph meaning, not policy): every source,
// except that MUL_MAT_ID reads only the rows of the experts its ubatch selects, and attention
// only the KV cells of the sequences it attends. Shared by the model's compute_splits and the
// bridge's real scheduler.
#pragma once

#include "executor/backend_api.hpp"

namespace schedcheck {

// Appends the reads of source `index` of node, seen through v, to op. A KV cache shared by
// several sequences is read in the cells the evaluation attends (scenario/kv_sequences.hpp).
void append_source_reads(Operation& op, const Node& node, std::size_t index, const TensorView& v,
                         const DriverConfig& driver, int eval, int group);

}  // namespace schedcheck
