#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "model/split_formation.hpp"
#include "properties/scenario_spec.hpp"
#include "scenario/scenario_builder.hpp"

namespace schedcheck {
namespace {

constexpr uint64_t kSizes[] = {128, 256, 512};
constexpr int kExperts = 4;
constexpr uint64_t kExpertBytes = 256;

class Synthesizer {
 public:
  Synthesizer(const ScenarioSpec& spec, const std::string& name) : spec_(spec), base_(name) {}

  Scenario run() {
    scenario_.description = "generated: " + describe_spec(spec_);
    backends();
    buffers();
    graph();
    driver();
    finish_weight_buffers();
    return base_.take();
  }

 private:
  int n_gpus() const { return std::clamp(static_cast<int>(spec_.gpus.size()), 1, kMaxSpecGpus); }
  Index cpu() const { return static_cast<Index>(scenario_.backends.size()) - 1; }
  bool is_gpu(Index b) const { return !is_host_backend(scenario_.backends[b].kind); }

  void backends() {
    std::map<BackendKind, int> count;
    for (int g = 0; g < n_gpus(); ++g) {
      const GpuSpec gs = g < static_cast<int>(spec_.gpus.size()) ? spec_.gpus[g] : GpuSpec{};
      Backend b;
      b.kind = is_host_backend(gs.kind) ? BackendKind::cuda : gs.kind;
      b.name = fmt::format("{}{}", to_string(b.kind), count[b.kind]++);
      // Only kinds that ggml splits into virtual devices share a GPU (CUDA family since
      // 83849ea9, Metal since e1fda9de); a shared device needs the same kind as its owner.
      b.device = g;
      const int shared = std::clamp(gs.device, 0, g);
      if (shared < g && b.kind != BackendKind::vulkan && scenario_.backends[shared].kind == b.kind)
        b.device = scenario_.backends[shared].device;
      base_.add_backend(b);
    }
    if (spec_.blas) base_.add_backend(Backend{"BLAS", BackendKind::blas, -1, kNone, {}, false});
    base_.add_backend(Backend{"CPU", BackendKind::cpu, -1, kNone, {}, false});
  }

  Index add_buffer(const std::string& name, BufferKind kind, BufferUsage usage, Index owner,
                   uint64_t size) {
    return base_.buffer(name, kind, usage, owner, size);
  }

  void buffers() {
    const BufferKind host =
        spec_.pinned_compute ? BufferKind::pinned_host : BufferKind::pageable_host;
    host_compute_ = add_buffer("CPU_compute", host, BufferUsage::compute, kNone, 0);
    host_weights_ = add_buffer(
        "CPU_weights", spec_.pinned_weights ? BufferKind::pinned_host : BufferKind::pageable_host,
        BufferUsage::weights, kNone, 0);
    host_kv_ = add_buffer("CPU_kv", host, BufferUsage::kv, kNone, 0);
    for (Index b = 0; b < static_cast<Index>(scenario_.backends.size()); ++b) {
      if (!is_gpu(b)) {
        scenario_.backends[b].compute_buffer = host_compute_;
        continue;
      }
      const std::string& n = scenario_.backends[b].name;
      scenario_.backends[b].compute_buffer =
          add_buffer(n + "_compute", BufferKind::device, BufferUsage::compute, b, 0);
      device_weights_[b] =
          add_buffer(n + "_weights", BufferKind::device, BufferUsage::weights, b, 0);
      device_kv_[b] = add_buffer(n + "_kv", BufferKind::device, BufferUsage::kv, b, 0);
    }
  }

  Index persistent(const std::string& name, Index buffer, uint64_t size) {
    return base_.weight(name, buffer, size);
  }

  Index node(const std::string& name, const std::string& op, Index backend,
             std::vector<Index> sources, uint64_t size, uint8_t flags = 0) {
    return base_.op_node(name, op, backend, std::move(sources), size, flags);
  }

  void graph() {
    const Index tokens = user_input("inp_tokens", 64);
    const int n_inputs = std::clamp(spec_.n_inputs, 1, 4);
    for (int i = 0; i < n_inputs; ++i) inputs_.push_back(user_input(fmt::format("inp_{}", i), 64));
    const Index embd_w = persistent("token_embd", host_weights_, 4096);
    Index prev = node("inp_embd", "get_rows", cpu(), {embd_w, tokens}, 256);
    Index prev_backend = cpu();
    const int n = std::min(static_cast<int>(spec_.splits.size()), kMaxSpecSplits);
    for (int k = 0; k < n; ++k) {
      const SplitSpec& sp = spec_.splits[k];
      const Index b =
          static_cast<Index>(((sp.backend % static_cast<int>(scenario_.backends.size())) +
                              static_cast<int>(scenario_.backends.size())) %
                             static_cast<int>(scenario_.backends.size()));
      const uint64_t size = kSizes[std::clamp(sp.size_class, 0, 2)];
      std::vector<Index> sources;
      Index first = kNone;
      if (sp.moe && is_gpu(b)) {
        // The router runs where the previous split ran; its ids feed MUL_MAT_ID (spec §3.6 P5b),
        // which takes exactly {expert weights, activations, ids}.
        const Index ids =
            node(fmt::format("ffn_moe_ids-{}", k), "argsort", prev_backend, {prev}, 64);
        const Index experts =
            persistent(fmt::format("ffn_up_exps-{}", k), host_weights_, kExperts * kExpertBytes);
        first = node(fmt::format("l{}.moe", k), "mul_mat_id", b, {experts, prev, ids}, size);
        scenario_.nodes.back().n_expert = kExperts;
        scenario_.nodes.back().experts_used = {{0, 1}, {2}, {1, 3}};
        sources.push_back(first);
      } else if (sp.reads_previous) {
        sources.push_back(prev);
      }
      std::vector<Index> users;
      for (int i : sp.inputs) {
        Index in = inputs_[static_cast<std::size_t>(((i % n_inputs) + n_inputs) % n_inputs)];
        if (std::find(users.begin(), users.end(), in) == users.end()) users.push_back(in);
      }
      // Split inputs are listed in the order the first node meets its sources.
      sources.insert(sp.inputs_first ? sources.begin() : sources.end(), users.begin(), users.end());
      if (sp.host_weight)
        sources.push_back(persistent(fmt::format("w_host-{}", k), host_weights_, 512));
      if (is_gpu(b)) sources.push_back(persistent(fmt::format("w-{}", k), device_weights_[b], 512));
      if (sources.empty()) sources.push_back(prev);
      first = node(fmt::format("l{}.first", k), "mul_mat", b, sources, size);
      Index last = first;
      if (sp.kv) {
        const Index cache =
            persistent(fmt::format("cache_k-{}", k), is_gpu(b) ? device_kv_[b] : host_kv_, 512);
        Node store;
        store.name = fmt::format("l{}.kv_store", k);
        store.op = "set_rows";
        store.backend = b;
        store.sources = {last};
        store.output = cache;
        store.writes_persistent = true;
        scenario_.nodes.push_back(store);
        last = node(fmt::format("l{}.attn", k), "mul_mat", b, {cache, last}, size);
      }
      for (int e = 0; e < std::clamp(sp.extra_nodes, 0, 2); ++e)
        last = node(fmt::format("l{}.extra{}", k, e), "add", b, {last}, size);
      prev = last;
      prev_backend = b;
    }
    output_ = node("result_output", "mul_mat", prev_backend, {prev}, 256, kFlagOutput);
  }

  Index user_input(const std::string& name, uint64_t size) { return base_.input(name, size); }

  void driver() {
    DriverConfig& d = scenario_.driver;
    d.ubatches_per_batch.clear();
    for (int i = 0; i < std::min(static_cast<int>(spec_.ubatches.size()), kMaxSpecBatches); ++i)
      d.ubatches_per_batch.push_back(std::clamp(spec_.ubatches[i], 1, kMaxSpecUbatches));
    if (d.ubatches_per_batch.empty()) d.ubatches_per_batch.push_back(1);
    d.graph_reuse = spec_.graph_reuse;
    d.sync_after_batch = SyncAfterBatch::always;
    const int max_ub = *std::max_element(d.ubatches_per_batch.begin(), d.ubatches_per_batch.end());
    const Index logits = add_buffer(
        "logits", spec_.pinned_output ? BufferKind::pinned_host : BufferKind::pageable_host,
        BufferUsage::output, kNone,
        scenario_.tensors[output_].size *
            static_cast<uint64_t>(spec_.outputs_every_ubatch ? max_ub : 1));
    d.outputs.push_back(
        OutputRead{output_,
                   logits,
                   spec_.outputs_every_ubatch ? OutputRead::When::all : OutputRead::When::last,
                   {}});
    if (spec_.eval_callback)
      d.eval_callback = EvalCallback{false, {scenario_.tensors[output_].producer}};
    int gpus = 0;
    for (const Backend& b : scenario_.backends) gpus += !is_host_backend(b.kind);
    scenario_.scheduler.pipeline_parallel = spec_.pipeline_parallel && gpus >= 2;
    scenario_.scheduler.max_copies = std::clamp(spec_.max_copies, 1, 4);
  }

  // Buffers that hold persistent tensors must not be empty; unused ones get a minimal size.
  void finish_weight_buffers() {
    for (Buffer& b : scenario_.buffers)
      if (b.usage != BufferUsage::compute && b.size == 0) b.size = 32;
  }

  const ScenarioSpec& spec_;
  ScenarioBuilder base_;
  Scenario& scenario_ = base_.scenario();  // what the builder builds, for reading back
  Index host_compute_ = kNone, host_weights_ = kNone, host_kv_ = kNone, output_ = kNone;
  std::map<Index, Index> device_weights_, device_kv_;
  std::vector<Index> inputs_;
};

}  // namespace

Scenario synthesize(const ScenarioSpec& spec, const std::string& name) {
  if (spec.tensor_parallel.devices >= 2) return synthesize_tensor_parallel(spec, name);
  return Synthesizer(spec, name).run();
}

SpecSize spec_size(const Scenario& s) {
  SpecSize z;
  z.backends = static_cast<int>(s.backends.size());
  z.ubatches = s.total_evaluations();
  z.splits = static_cast<int>(form_splits(s, SplitOptions{1, 0, {}}).splits.size());
  return z;
}

std::string describe_spec(const ScenarioSpec& spec) {
  const TensorParallelSpec& tp = spec.tensor_parallel;
  if (tp.devices >= 2) {
    std::string blocks;
    for (const TpBlockSpec& b : tp.blocks)
      blocks += fmt::format("{}{}{}{}", blocks.empty() ? "" : " ", b.norm ? "norm+" : "",
                            b.attention ? "attn" : "ffn", !b.attention && b.gated ? "-gated" : "");
    std::vector<std::string_view> kinds;
    for (int d = 0; d < tp.devices; ++d) kinds.push_back(to_string(tp_member_kind(spec, d)));
    return fmt::format(
        "shape {}, meta backend over {} devices [{}], blocks [{}], embedding {}, output {}, "
        "ubatches {}, reuse {}",
        spec.shape, tp.devices, fmt::join(kinds, " "), blocks,
        tp.cpu_embedding ? "CPU get_rows" : "input",
        tp.output_head ? "head split by rows" : "residual", fmt::join(spec.ubatches, "+"),
        spec.graph_reuse);
  }
  std::string gpus;
  for (const auto& g : spec.gpus)
    gpus += fmt::format("{}{}@{} ", gpus.empty() ? "" : "", to_string(g.kind), g.device);
  return fmt::format(
      "shape {}, gpus [{}], {} splits, ubatches {}, pp {} (max_copies {}), reuse {}, pinned "
      "compute {}",
      spec.shape, gpus, spec.splits.size(), fmt::join(spec.ubatches, "+"), spec.pipeline_parallel,
      spec.max_copies, spec.graph_reuse, spec.pinned_compute);
}

}  // namespace schedcheck
