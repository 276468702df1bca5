// A small fixed world for happens-before tests: two CUDA GPUs, a Vulkan and a Metal GPU and the
// CPU, with device, pinned and pageable buffers; the backend API drives the semantics engine.
#pragma once

#include <memory>

#include "executor/backend_api.hpp"
#include "model/policies/registry.hpp"
#include "scenario/policy.hpp"
#include "model/prepared_run.hpp"
#include "sim/semantics_engine.hpp"

namespace schedcheck::testing {

enum FixtureBackend : Index { kG0 = 0, kG1 = 1, kVk = 2, kMtl = 3, kCpu = 4 };
enum FixtureBuffer : Index {
  kBufG0 = 0,
  kBufG1 = 1,
  kBufVk = 2,
  kBufMtl = 3,
  kBufHostCompute = 4,
  kBufPinned = 5,
  kBufPageable = 6
};

inline Scenario fixture_scenario() {
  Scenario s;
  s.file = "hb-fixture";
  s.name = "hb-fixture";
  s.scheduler.pipeline_parallel = true;  // so that events[b][c] exist
  s.scheduler.max_copies = 2;
  auto gpu = [&](std::string name, BackendKind kind, int device, Index buffer) {
    s.backends.push_back(Backend{std::move(name), kind, device, buffer, {}, false});
  };
  gpu("G0", BackendKind::cuda, 0, kBufG0);
  gpu("G1", BackendKind::cuda, 1, kBufG1);
  gpu("VK", BackendKind::vulkan, 0, kBufVk);  // Vulkan device 0: the pinned buffers are its own
  gpu("MTL", BackendKind::metal, 3, kBufMtl);
  s.backends.push_back(Backend{"CPU", BackendKind::cpu, -1, kBufHostCompute, {}, false});
  auto buf = [&](std::string name, BufferKind kind, BufferUsage usage, Index owner, uint64_t size) {
    s.buffers.push_back(Buffer{std::move(name), kind, usage, owner, size, 32});
  };
  buf("g0", BufferKind::device, BufferUsage::compute, kG0, 0);
  buf("g1", BufferKind::device, BufferUsage::compute, kG1, 0);
  buf("vk", BufferKind::device, BufferUsage::compute, kVk, 0);
  buf("mtl", BufferKind::device, BufferUsage::compute, kMtl, 0);
  buf("host_compute", BufferKind::pinned_host, BufferUsage::compute, kNone, 0);
  buf("pinned", BufferKind::pinned_host, BufferUsage::output, kNone, 4096);
  buf("pageable", BufferKind::pageable_host, BufferUsage::output, kNone, 4096);
  for (int i = 0; i < 8; ++i) {
    Tensor t;
    t.name = "t" + std::to_string(i);
    t.role = TensorRole::persistent;
    t.size = 64;
    s.tensors.push_back(t);
  }
  Node n;
  n.name = "n0";
  n.op = "noop";
  n.backend = kCpu;
  n.output = static_cast<Index>(s.tensors.size());
  Tensor out;
  out.name = "n0";
  out.size = 64;
  out.producer = 0;
  s.tensors.push_back(out);
  s.nodes.push_back(n);
  return s;
}

// The policy of a world: Vulkan submits its recorded work at event_wait unless a test asks for
// the pre-fda28915 behaviour (audit finding F3), so the other rules are tested on their own.
inline Policy world_policy(const std::string& name, bool event_wait_drops_recorded) {
  Policy p = *find_builtin_policy(name);
  p.knobs.profile.vulkan_event_wait_submits = !event_wait_drops_recorded;
  return p;
}

struct HbWorld {
  explicit HbWorld(const std::string& policy = "ggml-17795",
                   bool event_wait_drops_recorded = false)
      : HbWorld(fixture_scenario(), policy, event_wait_drops_recorded) {}
  // A world on a variant of the fixture (device properties, backends moved between devices).
  HbWorld(Scenario s, const std::string& policy, bool event_wait_drops_recorded = false)
      : run(prepare_run(std::move(s), world_policy(policy, event_wait_drops_recorded))),
        engine(run.layout, std::vector<uint64_t>(run.scenario.buffers.size(), 4096)),
        api(run.scenario, run.layout, engine) {}

  // 64 bytes at position `slot` of a buffer, holding logical tensor `slot` of evaluation 0.
  TensorView view(Index buffer, int slot) const {
    TensorView v;
    v.region = Region{buffer, static_cast<uint64_t>(slot) * 64, 64};
    v.tensor = slot;
    v.expected = LogicalValue{slot, 0, 0};
    return v;
  }
  // Contents present before the run (ordered before everything).
  void preset(const TensorView& v) { engine.initialize(v.region, v.expected); }
  CallSite site(Call c = Call::graph_compute) const {
    CallSite cs;
    cs.call = c;
    return cs;
  }
  // A graph on backend b that reads `reads` and writes `writes`.
  void kernel(Index b, std::initializer_list<TensorView> reads,
              std::initializer_list<TensorView> writes) {
    Operation op;
    op.kind = OpKind::compute;
    op.site = site();
    for (const auto& r : reads)
      op.accesses.push_back({false, r.region, r.expected, r.tensor, kNone, 0, 0, -1});
    for (const auto& w : writes)
      op.accesses.push_back({true, w.region, w.expected, w.tensor, kNone, 0, 0, -1});
    api.graph_compute_async(b, op);
  }
  void host_write(const TensorView& v) { api.host_write(v, site(Call::set_inputs)); }
  void host_read(const TensorView& v) { api.host_read(v, site(Call::host_read_output)); }
  EventId event(Index backend, int slot = 0) const {
    return run.layout.sched_events[backend][slot];
  }

  int races() const {
    int n = 0;
    for (const auto& f : engine.findings()) n += is_race(f.kind);
    return n;
  }
  int findings() const { return static_cast<int>(engine.findings().size()); }
  bool has(FindingKind k) const {
    for (const auto& f : engine.findings())
      if (f.kind == k) return true;
    return false;
  }

  PreparedRun run;
  SemanticsEngine engine;
  BackendApi api;
};

}  // namespace schedcheck::testing
