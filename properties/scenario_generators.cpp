#include "properties/scenario_generators.hpp"

namespace schedcheck {
namespace {

using rc::gen::arbitrary;
using rc::gen::container;
using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

// CUDA first: shrinking moves towards it.
rc::Gen<BackendKind> gen_gpu_kind() {
  return weightedElement<BackendKind>({{6, BackendKind::cuda},
                                       {1, BackendKind::hip},
                                       {1, BackendKind::musa},
                                       {2, BackendKind::vulkan},
                                       {1, BackendKind::metal}});
}

// Several GPUs of one kind (a multi-GPU box), sometimes sharing devices (virtual devices).
std::vector<GpuSpec> gen_gpus(int n) {
  const BackendKind kind = *gen_gpu_kind();
  const bool mixed = *weightedElement<bool>({{5, false}, {1, true}});
  std::vector<GpuSpec> gpus;
  for (int g = 0; g < n; ++g) {
    GpuSpec spec;
    spec.kind = mixed ? *gen_gpu_kind() : kind;
    spec.device = *weightedElement<int>({{4, g}, {1, 0}});
    gpus.push_back(spec);
  }
  return gpus;
}

std::vector<int> gen_inputs(int n_inputs) {
  return *container<std::vector<int>>(inRange(0, n_inputs)).as("user inputs");
}

SplitSpec split_on(int backend, int n_inputs, bool inputs) {
  SplitSpec sp;
  sp.backend = backend;
  sp.reads_previous = true;
  if (inputs) sp.inputs = gen_inputs(n_inputs);
  sp.kv = *arbitrary<bool>();
  sp.extra_nodes = *inRange(0, 3);
  sp.size_class = *inRange(0, 3);
  sp.inputs_first = *weightedElement<bool>({{3, false}, {1, true}});
  return sp;
}

void gen_driver(ScenarioSpec& spec) {
  spec.ubatches = *container<std::vector<int>>(inRange(1, kMaxSpecUbatches + 1));
  spec.graph_reuse = *arbitrary<bool>();
  spec.eval_callback = *weightedElement<bool>({{6, false}, {1, true}});
  spec.outputs_every_ubatch = *weightedElement<bool>({{2, true}, {1, false}});
  spec.pinned_compute = *weightedElement<bool>({{3, true}, {1, false}});
  spec.pinned_weights = *arbitrary<bool>();
  spec.pinned_output = *weightedElement<bool>({{3, true}, {1, false}});
  spec.n_inputs = *inRange(1, 5);
}

ScenarioSpec full_offload() {  // one GPU, full offload
  ScenarioSpec spec;
  spec.shape = "full-offload";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  spec.splits = {split_on(0, spec.n_inputs, true)};
  return spec;
}

ScenarioSpec layer_split() {  // layer split over G GPUs, each with its own user inputs
  ScenarioSpec spec;
  spec.shape = "layer-split";
  gen_driver(spec);
  const int g = *inRange(2, kMaxSpecGpus + 1);
  spec.gpus = gen_gpus(g);
  spec.splits.clear();
  for (int i = 0; i < g; ++i) spec.splits.push_back(split_on(i, spec.n_inputs, true));
  spec.pipeline_parallel = *weightedElement<bool>({{4, true}, {1, false}});
  spec.max_copies = *weightedElement<int>({{4, 4}, {1, 2}, {1, 3}, {1, 1}});
  return spec;
}

ScenarioSpec
partial_offload() {  // partial offload: CPU layers, then GPU splits pulling host weights
  ScenarioSpec spec;
  spec.shape = "partial-offload";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  spec.splits = {split_on(1, spec.n_inputs, false)};
  const int gpu_splits = *inRange(1, 4);
  for (int i = 0; i < gpu_splits; ++i) {
    SplitSpec sp = split_on(0, spec.n_inputs, i == 0);
    sp.host_weight = true;
    spec.splits.push_back(sp);
  }
  return spec;
}

ScenarioSpec unsupported_op() {  // an op the GPU cannot run: GPU -> CPU -> GPU
  ScenarioSpec spec;
  spec.shape = "unsupported-op";
  gen_driver(spec);
  const int g = *inRange(1, 3);
  spec.gpus = gen_gpus(g);
  spec.splits = {split_on(0, spec.n_inputs, true), split_on(g + spec.blas, spec.n_inputs, false),
                 split_on(g - 1, spec.n_inputs, true)};
  spec.pipeline_parallel = g >= 2 && *arbitrary<bool>();
  return spec;
}

// MoE experts on the CPU: GPU -> CPU -> GPU, MUL_MAT_ID offloaded for big batches.
ScenarioSpec moe_host_experts() {
  ScenarioSpec spec;
  spec.shape = "moe-host-experts";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  SplitSpec moe = split_on(0, spec.n_inputs, false);
  moe.moe = true;
  spec.splits = {split_on(0, spec.n_inputs, true), split_on(1, spec.n_inputs, false), moe};
  return spec;
}

ScenarioSpec no_kv_offload() {  // --no-kv-offload: attention on the CPU with a host KV cache
  ScenarioSpec spec;
  spec.shape = "no-kv-offload";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  const int layers = *inRange(1, 3);
  spec.splits.clear();
  for (int l = 0; l < layers; ++l) {
    spec.splits.push_back(split_on(0, spec.n_inputs, l == 0));
    SplitSpec attn = split_on(1, spec.n_inputs, true);
    attn.kv = true;
    spec.splits.push_back(attn);
  }
  spec.splits.push_back(split_on(0, spec.n_inputs, false));
  return spec;
}

ScenarioSpec free_form() {
  ScenarioSpec spec;
  spec.shape = "free";
  gen_driver(spec);
  spec.gpus = gen_gpus(*inRange(1, kMaxSpecGpus + 1));
  spec.blas = *weightedElement<bool>({{5, false}, {1, true}});
  spec.pipeline_parallel = *arbitrary<bool>();
  spec.max_copies = *inRange(1, 5);
  spec.splits = *container<std::vector<SplitSpec>>(rc::gen::exec([] {
    SplitSpec sp = split_on(*inRange(0, kMaxSpecGpus + 2), 4, *arbitrary<bool>());
    sp.reads_previous = *weightedElement<bool>({{5, true}, {1, false}});
    sp.host_weight = *weightedElement<bool>({{4, false}, {1, true}});
    sp.moe = *weightedElement<bool>({{5, false}, {1, true}});
    return sp;
  }));
  return spec;
}

// llama.cpp's -sm tensor: ggml's meta backend over 2-4 GPU devices (CUDA, Vulkan, HIP or Metal,
// each its own), 1-3 blocks (attention or FFN), 1-4 ubatches in 1-2 batches. Shrinks towards
// two CUDA devices, one FFN block, one ubatch.
TpBlockSpec tp_block() {
  TpBlockSpec b;
  b.attention = *arbitrary<bool>();
  b.gated = *arbitrary<bool>();
  b.norm = *weightedElement<bool>({{3, true}, {1, false}});
  return b;
}

ScenarioSpec tensor_parallel() {
  ScenarioSpec spec;
  spec.shape = kTensorParallelShape;
  TensorParallelSpec& tp = spec.tensor_parallel;
  // Element choices, not ranges: RapidCheck scales ranges with the case size, and the first
  // cases of a search are small; the first element is where shrinking goes.
  tp.devices = *weightedElement<int>({{2, 2}, {1, 3}, {1, 4}});
  const auto blocks = *weightedElement<std::size_t>({{1, 1}, {2, 2}, {2, 3}});
  tp.blocks = *container<std::vector<TpBlockSpec>>(blocks, rc::gen::exec(tp_block));
  tp.cpu_embedding = *weightedElement<bool>({{2, false}, {1, true}});
  tp.output_head = *weightedElement<bool>({{2, false}, {1, true}});
  spec.gpus.assign(static_cast<std::size_t>(tp.devices), GpuSpec{});
  for (int g = 0; g < tp.devices; ++g) {
    GpuSpec& gpu = spec.gpus[static_cast<std::size_t>(g)];
    gpu.device = g;
    // The copies between members differ by kind: CUDA, HIP and Metal queue them on the source
    // device with an event the destination waits for; Vulkan copies between devices through
    // the host, after synchronizing both.
    gpu.kind = *weightedElement<BackendKind>({{4, BackendKind::cuda},
                                              {2, BackendKind::vulkan},
                                              {1, BackendKind::hip},
                                              {1, BackendKind::metal}});
  }
  const auto batches = *weightedElement<std::size_t>({{3, 1}, {1, 2}});
  spec.ubatches = *container<std::vector<int>>(batches, element(1, 2, 3, 4));
  spec.graph_reuse = *arbitrary<bool>();
  spec.outputs_every_ubatch = *weightedElement<bool>({{2, true}, {1, false}});
  return spec;
}

// The shapes and their generators, in spec §3.6's order.
struct Shape {
  std::string name;
  ScenarioSpec (*make)();
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> table{{"full-offload", full_offload},
                                        {"layer-split", layer_split},
                                        {"partial-offload", partial_offload},
                                        {"unsupported-op", unsupported_op},
                                        {"moe-host-experts", moe_host_experts},
                                        {"no-kv-offload", no_kv_offload},
                                        {"free", free_form}};
  return table;
}

}  // namespace

const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Shape& shape : shapes()) out.push_back(shape.name);
    return out;
  }();
  return names;
}

rc::Gen<ScenarioSpec> gen_shape(const std::string& name) {
  if (name == kTensorParallelShape) return rc::gen::exec(tensor_parallel);
  for (const Shape& shape : shapes())
    if (shape.name == name) return rc::gen::exec(shape.make);
  return rc::gen::exec(free_form);
}

rc::Gen<ScenarioSpec> gen_scenario_spec() {
  return rc::gen::weightedOneOf<ScenarioSpec>({{2, gen_shape("full-offload")},
                                               {3, gen_shape("layer-split")},
                                               {1, gen_shape("partial-offload")},
                                               {2, gen_shape("unsupported-op")},
                                               {1, gen_shape("moe-host-experts")},
                                               {1, gen_shape("no-kv-offload")},
                                               {3, gen_shape("free")}});
}

}  // namespace schedcheck
