// A compact, shrinkable description of a scenario, following the generator recipe of spec
// §3.6: GPU backends (+ BLAS) + CPU, a CPU embedding split, then a list of splits with their
// inputs, and the driver settings. synthesize() turns any spec into a valid Scenario, so every
// shrink of a spec is still a scenario.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

struct GpuSpec {
  BackendKind kind = BackendKind::cuda;
  int device =
      0;  // < own index: share that backend's GPU (virtual devices); shrinks to sharing GPU 0

  bool operator==(const GpuSpec&) const = default;
};

struct SplitSpec {
  int backend = 0;             // index into the backend list (modulo its length; the CPU is last)
  bool reads_previous = true;  // the first node reads the previous split's output
  std::vector<int> inputs;     // user inputs read by the first node (modulo their count)
  bool host_weight = false;    // also reads a weight in host memory (partial offload)
  bool moe = false;            // first node is MUL_MAT_ID on expert weights in host memory (P5)
  bool kv = false;             // writes, then reads, a KV cache on its backend (P6 on the CPU)
  int extra_nodes = 0;         // 0..2 more nodes (allocator reuse)
  int size_class = 0;          // 0..2: tensors of 128, 256 or 512 bytes
  bool inputs_first = false;   // user inputs come before the activation in the split's inputs

  bool operator==(const SplitSpec&) const = default;
};

// One block of llama.cpp's layers under tensor parallelism: its matrices split by rows, then one
// split by columns, whose product is a partial sum on each device that an AllReduce adds up.
struct TpBlockSpec {
  bool attention = false;  // q, k, v by rows, combined row by row, o by columns; else an FFN
  bool gated = false;      // an FFN with a gate matrix beside up (SwiGLU's shape)
  bool norm = true;        // an RMS norm of the residual stream first (mirrored)

  bool operator==(const TpBlockSpec&) const = default;
};

// ggml's tensor-parallel meta backend (llama.cpp -sm tensor, docs/meta-backend.md) over GPU
// devices (their kinds: ScenarioSpec::gpus): the graph is `blocks` on the meta backend, fed from
// the CPU. devices 0: none (the splits of ScenarioSpec describe the graph); else they are not
// used.
struct TensorParallelSpec {
  int devices = 0;                  // 2..4
  std::vector<TpBlockSpec> blocks;  // 1..3
  bool cpu_embedding = false;  // the residual stream is a CPU get_rows of token ids (not an input)
  bool output_head = false;    // the output is a matrix split by rows (each device its slice)

  bool operator==(const TensorParallelSpec&) const = default;
};

struct ScenarioSpec {
  std::string shape = "free";     // a shape name or "free": how it was generated (informational)
  std::vector<GpuSpec> gpus{{}};  // 1..4
  bool blas = false;
  bool pinned_compute = true;   // the CPU compute buffer is the GPU's pinned host type
  bool pinned_weights = false;  // host weights pinned (else pageable, e.g. mmap)
  bool pinned_output = true;
  bool pipeline_parallel = false;              // llama.cpp's conditions hold (needs >= 2 GPUs)
  int max_copies = 4;                          // 1..4
  int n_inputs = 2;                            // 1..4 user inputs besides the token ids
  std::vector<SplitSpec> splits{SplitSpec{}};  // after the CPU embedding split; at most 8 used
  std::vector<int> ubatches{1};                // per batch, 1..8; at most 3 batches used
  bool graph_reuse = false;
  bool eval_callback = false;
  bool outputs_every_ubatch = true;
  TensorParallelSpec tensor_parallel;  // devices >= 2: a meta backend's graph instead

  bool operator==(const ScenarioSpec&) const = default;
};

inline constexpr int kMaxSpecSplits = 8;
inline constexpr int kMaxSpecBatches = 3;
inline constexpr int kMaxSpecUbatches = 8;
inline constexpr int kMaxSpecGpus = 4;

// The scenario a spec describes (always valid; see tests in properties/).
Scenario synthesize(const ScenarioSpec& spec, const std::string& name = "generated");

// The scenario of a spec with tensor parallelism (tensor_parallel.devices >= 2): its blocks on a
// meta backend over that many GPU devices (properties/tensor_parallel_synthesis.cpp).
Scenario synthesize_tensor_parallel(const ScenarioSpec& spec, const std::string& name);
// The kind of a meta backend's member `device`: its GpuSpec's, CUDA where there is none.
inline BackendKind tp_member_kind(const ScenarioSpec& spec, int device) {
  const auto d = static_cast<std::size_t>(device);
  return d < spec.gpus.size() ? spec.gpus[d].kind : BackendKind::cuda;
}
// The generator shape of tensor-parallel specs; only a real tree with a meta backend runs them.
inline constexpr const char* kTensorParallelShape = "tensor-parallel";
inline constexpr int kMaxTpDevices = 4;
inline constexpr int kMaxTpBlocks = 3;

// Sizes of a spec as reported for counterexamples.
struct SpecSize {
  int splits = 0;    // splits of the synthesized graph (including the CPU embedding split)
  int ubatches = 0;  // total evaluations
  int backends = 0;  // including the CPU
};
SpecSize spec_size(const Scenario& s);

std::string describe_spec(const ScenarioSpec& spec);

}  // namespace schedcheck
