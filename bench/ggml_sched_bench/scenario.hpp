// The scenarios: a model shape and where its layers run. The sync-bound three mirror the
// project's bench/sync_bound_scenarios.cpp; llama-small has the matrix sizes of a small llama.
#pragma once

#include <string>
#include <vector>

#include "ggml.h"
#include "options.hpp"

namespace gsb {

inline constexpr int kCpu = -1;  // a device index: the CPU; 0, 1: GPU 0, GPU 1

struct ModelShape {
  std::string name;  // "sync-bound" or "llama-small"
  int n_embd = 0;
  int n_head = 0;
  int n_ff = 0;  // 0: attention-only blocks
  int n_vocab = 0;
  int n_layer = 0;
  int n_tokens = 0;  // per ubatch; every token's logits are read
  ggml_type wtype = GGML_TYPE_F32;
  std::string describe() const;  // also the key of the reference cache
};

struct Scenario {
  std::string name;
  std::string description;
  ModelShape shape;
  std::vector<int> layer_device;  // per layer: kCpu or a GPU index
  int head_device = 0;            // output norm and head; the embedding is always on the CPU
  bool parallel = false;          // pipeline parallelism (n_copies 4)
  int gpus = 1;                   // GPUs it needs
  int default_decodes = 20;       // measured decodes per round unless --decodes
};

const std::vector<std::string>& scenario_names();
// name must be one of scenario_names().
Scenario make_scenario(const std::string& name, const LlamaSize& llama);

}  // namespace gsb
