#include "scenario.hpp"

#include <algorithm>
#include <stdexcept>

namespace gsb {
namespace {

// Small kernels (1 KiB activations, as the sync-bound scenarios): the scheduler's
// synchronizations dominate the host's time per ubatch.
ModelShape sync_bound(int layers) {
  return ModelShape{"sync-bound", 64, 2, 0, 256, layers, 8, GGML_TYPE_F32};
}

// The matrix sizes of a small llama (TinyLlama-1.1B's n_embd, n_ff, heads and vocabulary),
// with fewer layers and no KV cache: attention over the ubatch's own tokens.
ModelShape llama_small(const LlamaSize& s) {
  return ModelShape{"llama-small", 2048,     32,       5632,
                    32000,         s.layers, s.tokens, s.f16 ? GGML_TYPE_F16 : GGML_TYPE_F32};
}

// "layer 3" or "layers 0-2".
std::string layers(int first, int last) {
  return first == last ? "layer " + std::to_string(first)
                       : "layers " + std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

std::string ModelShape::describe() const {
  return name + ": n_embd " + std::to_string(n_embd) + ", n_head " + std::to_string(n_head) + ", " +
         (n_ff > 0 ? "n_ff " + std::to_string(n_ff) + " (SwiGLU)" : "attention-only") +
         ", n_vocab " + std::to_string(n_vocab) + ", " + std::to_string(n_layer) + " layers, " +
         std::to_string(n_tokens) + " tokens per ubatch, " + ggml_type_name(wtype) + " weights";
}

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> names = {"single-gpu-partial", "single-gpu-full",
                                                 "two-gpu-pp",         "two-gpu-layer",
                                                 "llama-small-full",   "llama-small-partial"};
  return names;
}

Scenario make_scenario(const std::string& name, const LlamaSize& llama) {
  Scenario s;
  s.name = name;
  if (name == "single-gpu-partial" || name == "single-gpu-full") {
    const bool partial = name == "single-gpu-partial";
    s.shape = sync_bound(7);
    s.layer_device.assign(7, 0);
    if (partial) s.layer_device[3] = kCpu;
    s.description = partial ? "CPU embedding | CUDA0 layers 0-2 | CPU layer 3 | CUDA0 layers 4-6 "
                              "+ output head"
                            : "CPU embedding | CUDA0 layers 0-6 + output head";
  } else if (name == "two-gpu-pp" || name == "two-gpu-layer") {
    // two-gpu-layer: the same layer split without pipeline parallelism (llama.cpp with partial
    // offload over two GPUs), so one copy slot and no slot events.
    s.shape = sync_bound(8);
    s.layer_device = {0, 0, 0, 0, 1, 1, 1, 1};
    s.head_device = 1;
    s.parallel = name == "two-gpu-pp";
    s.gpus = 2;
    s.description = "CPU embedding | CUDA0 layers 0-3 | CUDA1 layers 4-7 + output head; " +
                    std::string(s.parallel ? "pipeline parallel" : "no pipeline parallelism");
  } else if (name == "llama-small-full" || name == "llama-small-partial") {
    s.shape = llama_small(llama);
    s.layer_device.assign(static_cast<size_t>(llama.layers), 0);
    s.default_decodes = 10;
    s.description =
        "CPU embedding | CUDA0 " + layers(0, llama.layers - 1) + " + output head (full offload)";
    if (name == "llama-small-partial") {
      // llama.cpp's -ngl keeps the first layers on the CPU.
      const int on_cpu = std::max(1, llama.layers / 4);
      std::fill_n(s.layer_device.begin(), on_cpu, kCpu);
      s.default_decodes = 4;
      s.description = "CPU embedding + " + layers(0, on_cpu - 1) + " | CUDA0 " +
                      layers(on_cpu, llama.layers - 1) + " + output head (partial offload)";
    }
  } else {
    throw std::logic_error("unknown scenario " + name);
  }
  return s;
}

}  // namespace gsb
