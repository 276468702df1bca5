// What each built-in policy does with each hazard class of spec §8 on generated scenarios
// (docs/policies.md, "Hazards per policy").
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "executor/execution_layout.hpp"
#include "model/policies/registry.hpp"
#include "properties/counterexample_search.hpp"
#include "properties/scenario_generators.hpp"

namespace schedcheck {
namespace {

bool has(const std::vector<Mechanism>& v, Mechanism x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool has_kind(const Scenario& s, BackendKind k) {
  return std::any_of(s.backends.begin(), s.backends.end(),
                     [&](const Backend& b) { return b.kind == k; });
}

const Policy& policy(const char* name) {
  return *find_builtin_policy(name);
}

RC_GTEST_PROP(Hazards, Ggml20793IsCleanOnEveryGeneratedScenario, ()) {
  const ScenarioSpec spec = *gen_scenario_spec();
  RC_ASSERT(finding_mechanisms(spec, policy("ggml-20793")).empty());
}

bool is_stale(Mechanism m) {
  return m == Mechanism::stale || m == Mechanism::stale_slot || m == Mechanism::stale_host_read ||
         m == Mechanism::uninitialized;
}

bool has_vulkan(const ScenarioSpec& spec) {
  return std::any_of(spec.gpus.begin(), spec.gpus.end(),
                     [](const GpuSpec& g) { return g.kind == BackendKind::vulkan; });
}

RC_GTEST_PROP(Hazards, TheBuiltInVersionsReadStaleDataOnlyWhereVulkanDropsRecordedWork, ()) {
  // B2 and B4 were fixed before every built-in version. What is left is Vulkan's event_wait
  // before fda28915 (audit finding F3): it drops the copies and reads recorded before it.
  const ScenarioSpec spec = *gen_scenario_spec();
  for (const Policy& p : builtin_policies())
    for (const Mechanism m : finding_mechanisms(spec, p))
      if (is_stale(m))
        RC_ASSERT(has_vulkan(spec) && !p.knobs.profile.vulkan_event_wait_submits);
}

RC_GTEST_PROP(Hazards, H1NeedsPipelineParallelism, ()) {
  // Without events every version synchronizes the destination before the copy into its slot.
  const ScenarioSpec spec = *gen_scenario_spec();
  const Scenario s = synthesize(spec);
  for (const Policy& p : builtin_policies())
    if (has(finding_mechanisms(spec, p), Mechanism::H1))
      RC_ASSERT(make_layout(s, p.knobs.profile).pipeline_parallel);
}

RC_GTEST_PROP(Hazards, H2OnCudaOnlyWhereCudaAcceptsHostSources, ()) {
  // V0-code versions decline host->CUDA copies (blocking fallback): their H2 needs a backend
  // that reads pinned host memory asynchronously (Vulkan). ggml-17795 adds CUDA copy_from_host.
  const ScenarioSpec spec = *gen_scenario_spec();
  const Scenario s = synthesize(spec);
  for (const char* name : {"ggml-v0", "ggml-20463", "ggml-25138", "ggml-26040"})
    if (has(finding_mechanisms(spec, policy(name)), Mechanism::H2))
      RC_ASSERT(has_kind(s, BackendKind::vulkan));
}

RC_GTEST_PROP(Hazards, Ggml26040RacesOnlyWhereGgml25138Does, ()) {
  // #26040 only adds synchronization (and the Vulkan transfer-queue wait) to the same code.
  const ScenarioSpec spec = *gen_scenario_spec();
  if (!finding_mechanisms(spec, policy("ggml-26040")).empty())
    RC_ASSERT(!finding_mechanisms(spec, policy("ggml-25138")).empty());
}

}  // namespace
}  // namespace schedcheck
