// Builds scenarios in code — tests, the embedding API, the benchmark scenarios
// (bench/sync_bound_scenarios.cpp) and the generators' synthesis (properties/): backends with
// their compute buffers, weights, user inputs and nodes, resolved to indices as the loader would.
#pragma once

#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace schedcheck {

class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(const std::string& name = "test") {
    scenario_.file = name;
    scenario_.name = name;
  }

  // GPU backends get a device compute buffer; host backends (add the CPU last) share
  // one host compute buffer of the given kind.
  Index backend(const std::string& name, BackendKind kind, int device = 0,
                BufferKind host_kind = BufferKind::pinned_host) {
    Index b = static_cast<Index>(scenario_.backends.size());
    Backend be;
    be.name = name;
    be.kind = kind;
    if (is_host_backend(kind)) {
      if (host_compute_ == kNone)
        host_compute_ = buffer(name + "_compute", host_kind, BufferUsage::compute, kNone, 0);
      be.compute_buffer = host_compute_;
    } else {
      be.device = device;
      be.compute_buffer = buffer(name + "_compute", BufferKind::device, BufferUsage::compute, b, 0);
    }
    scenario_.backends.push_back(be);
    return b;
  }

  // A backend as given: its compute buffer is the caller's to set (backend_at), for callers
  // that lay out buffers in an order of their own.
  Index add_backend(Backend backend) {
    scenario_.backends.push_back(std::move(backend));
    return static_cast<Index>(scenario_.backends.size()) - 1;
  }
  Backend& backend_at(Index b) { return scenario_.backends[b]; }

  Index buffer(const std::string& name, BufferKind kind, BufferUsage usage, Index owner,
               uint64_t size = 0) {
    scenario_.buffers.push_back(Buffer{name, kind, usage, owner, size, 32});
    return static_cast<Index>(scenario_.buffers.size()) - 1;
  }

  // A persistent tensor appended to `buffer` (grows the buffer).
  Index weight(const std::string& name, Index buffer, uint64_t size) {
    return add_persistent_tensor(scenario_, name, buffer, size);
  }

  Index input(const std::string& name, uint64_t size) { return add_user_input(scenario_, name, size); }

  // A node producing a tensor of its own name; returns the tensor index.
  Index node(const std::string& name, Index backend, std::vector<Index> sources, uint64_t size,
             uint8_t flags = 0, bool inplace = false, const std::string& op = "op") {
    const Index t = add_node(scenario_, name, op, backend, std::move(sources), size, flags);
    scenario_.nodes.back().inplace = inplace;
    return t;
  }

  // A node of a named ggml op (the op shows in reports and GGML_SCHED_DEBUG-like dumps).
  Index op_node(const std::string& name, const std::string& op, Index backend,
                std::vector<Index> sources, uint64_t size, uint8_t flags = 0) {
    return add_node(scenario_, name, op, backend, std::move(sources), size, flags);
  }

  Scenario& scenario() { return scenario_; }
  Scenario take() { return std::move(scenario_); }

 private:
  Scenario scenario_;
  Index host_compute_ = kNone;
};

}  // namespace schedcheck
