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

ScenarioSpec p1() {  // one GPU, full offload
  ScenarioSpec spec;
  spec.shape = "P1";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  spec.splits = {split_on(0, spec.n_inputs, true)};
  return spec;
}

ScenarioSpec p2() {  // layer split over G GPUs, each with its own user inputs
  ScenarioSpec spec;
  spec.shape = "P2";
  gen_driver(spec);
  const int g = *inRange(2, kMaxSpecGpus + 1);
  spec.gpus = gen_gpus(g);
  spec.splits.clear();
  for (int i = 0; i < g; ++i) spec.splits.push_back(split_on(i, spec.n_inputs, true));
  spec.pipeline_parallel = *weightedElement<bool>({{4, true}, {1, false}});
  spec.max_copies = *weightedElement<int>({{4, 4}, {1, 2}, {1, 3}, {1, 1}});
  return spec;
}

ScenarioSpec p3() {  // partial offload: CPU layers, then GPU splits pulling host weights
  ScenarioSpec spec;
  spec.shape = "P3";
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

ScenarioSpec p4() {  // an op the GPU cannot run: GPU -> CPU -> GPU
  ScenarioSpec spec;
  spec.shape = "P4";
  gen_driver(spec);
  const int g = *inRange(1, 3);
  spec.gpus = gen_gpus(g);
  spec.splits = {split_on(0, spec.n_inputs, true), split_on(g + spec.blas, spec.n_inputs, false),
                 split_on(g - 1, spec.n_inputs, true)};
  spec.pipeline_parallel = g >= 2 && *arbitrary<bool>();
  return spec;
}

ScenarioSpec
p5() {  // MoE experts on the CPU: GPU -> CPU -> GPU, MUL_MAT_ID offloaded for big batches
  ScenarioSpec spec;
  spec.shape = "P5";
  gen_driver(spec);
  spec.gpus = gen_gpus(1);
  SplitSpec moe = split_on(0, spec.n_inputs, false);
  moe.moe = true;
  spec.splits = {split_on(0, spec.n_inputs, true), split_on(1, spec.n_inputs, false), moe};
  return spec;
}

ScenarioSpec p6() {  // --no-kv-offload: attention on the CPU with a host KV cache
  ScenarioSpec spec;
  spec.shape = "P6";
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

}  // namespace

const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> names{"P1", "P2", "P3", "P4", "P5", "P6", "free"};
  return names;
}

rc::Gen<ScenarioSpec> gen_shape(const std::string& shape) {
  if (shape == "P1") return rc::gen::exec(p1);
  if (shape == "P2") return rc::gen::exec(p2);
  if (shape == "P3") return rc::gen::exec(p3);
  if (shape == "P4") return rc::gen::exec(p4);
  if (shape == "P5") return rc::gen::exec(p5);
  if (shape == "P6") return rc::gen::exec(p6);
  return rc::gen::exec(free_form);
}

rc::Gen<ScenarioSpec> gen_scenario_spec() {
  return rc::gen::weightedOneOf<ScenarioSpec>({{2, gen_shape("P1")},
                                               {3, gen_shape("P2")},
                                               {1, gen_shape("P3")},
                                               {2, gen_shape("P4")},
                                               {1, gen_shape("P5")},
                                               {1, gen_shape("P6")},
                                               {3, gen_shape("free")}});
}

}  // namespace schedcheck
