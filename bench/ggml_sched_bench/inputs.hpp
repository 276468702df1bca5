// A ubatch's user inputs, as llama.cpp sets them: token ids, positions, the attention mask
// (causal within the ubatch, with a window that differs per ubatch) and the ids of the rows
// whose logits are read (a rotation that differs per ubatch). Every input differs between
// ubatches and sets, so a stale read of any of them changes the logits.
#pragma once

#include <cstdint>
#include <vector>

#include "scenario.hpp"

namespace gsb {

struct UbatchGraph;

struct UbatchInputs {
  std::vector<int32_t> tokens;   // n_tokens
  std::vector<int32_t> pos;      // n_tokens
  std::vector<float> mask;       // n_tokens (kv) x n_tokens (query), 0 or -inf
  std::vector<int32_t> out_ids;  // n_tokens
};

UbatchInputs make_inputs(const ModelShape& shape, uint64_t seed, int set, int ubatch);

// The same inputs with every token id moved to the next one: what --inject-fault feeds.
UbatchInputs perturbed(const ModelShape& shape, const UbatchInputs& in);

// ggml_backend_tensor_set of the four inputs, after ggml_backend_sched_alloc_graph.
void set_inputs(const UbatchGraph& g, const UbatchInputs& in);

}  // namespace gsb
