// llama.cpp's parallel sequences over the KV cache (driver.sequences): which sequences an
// evaluation holds, which tensors are the KV cache, and which of its cells belong to whom.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

// The sequences of evaluation `eval`, ascending: the driver's list for it (cycled), or all.
std::vector<int> sequences_of(const DriverConfig& d, int eval);

// Does llm_graph_params::allow_reuse see the same sequence shape at both evaluations? A unified
// cache (split_simple) compares how many sequences the ubatch holds; a stream per sequence
// (split_equal) compares which.
bool same_sequence_shape(const DriverConfig& d, int eval_a, int eval_b);

// Does a node of evaluation `eval` read the cells of `sequence` of a KV tensor? A unified cache
// is read whole (the mask hides the other sequences inside the kernel); with a stream per
// sequence, get_k views the streams from the ubatch's lowest sequence to its highest.
bool reads_sequence(const DriverConfig& d, int eval, int sequence);

// Per tensor: is it a KV cache tensor split into per-sequence cells (a persistent tensor that a
// node writes, in a scenario with several sequences)?
std::vector<bool> kv_partitioned_tensors(const Scenario& s);

// The bytes of one sequence's cells within a KV tensor of `tensor_size` bytes.
uint64_t kv_part_size(const Scenario& s, uint64_t tensor_size);

// The sequence whose cells hold byte `tensor_offset` of a partitioned KV tensor.
int kv_sequence_at(const Scenario& s, uint64_t tensor_size, uint64_t tensor_offset);

}  // namespace schedcheck
