// A llama-shaped scenario computed with its own ops: llama.cpp's decoder graph (build_llama with
// the non-flash-attention path and a KV cache that is not transposed) over GPUs that each run a
// range of layers (--split-mode layer), token embeddings on the CPU, one decode of several
// ubatches of a prompt with logits for every token (perplexity-style). Real sizes of a small
// model, random weights (docs/llama-scenario.md).
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

struct LlamaShape {
  // TinyLlama-1.1B's dimensions by default.
  int n_embd = 2048;
  int n_head = 32;
  int n_head_kv = 4;
  int n_ff = 5632;
  int n_vocab = 32000;
  std::vector<int> layers_per_gpu{2, 2};  // one entry per GPU; more than one: pipeline parallel
  int n_ubatch = 512;
  int ubatches = 8;  // in one decode; the KV cache holds them all
  BackendKind kind = BackendKind::cuda;
  int max_copies = 4;
  double rms_eps = 1e-5;
  double rope_freq_base = 10000;
};

// Throws std::invalid_argument naming the field for shapes that do not fit together.
Scenario make_llama_scenario(const LlamaShape& shape);

}  // namespace schedcheck
