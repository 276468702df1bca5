// The capability table of spec §4.6 per backend kind and version profile, scenario overrides,
// and the agents/events derived from it (several backends may share one physical device).
#include <gtest/gtest.h>

#include "executor/execution_layout.hpp"
#include "model/policies/registry.hpp"
#include "scenario/policy.hpp"
#include "scenario/scenario_builder.hpp"

namespace schedcheck::testing {
namespace {

const VersionProfile& profile(const char* policy) {
  return find_builtin_policy(policy)->knobs.profile;
}

TEST(Capabilities, HostBackendsAreSynchronousWithoutEventsOrAsyncMembers) {
  for (BackendKind k : {BackendKind::cpu, BackendKind::blas}) {
    Capabilities c = capabilities_for(k, profile("ggml-17795"));
    EXPECT_FALSE(c.async_queue);
    EXPECT_FALSE(c.events);
    EXPECT_FALSE(c.set_get_async);
    EXPECT_FALSE(c.cpy_async_member);
  }
}

TEST(Capabilities, CudaAcceptsHostSourcesOnlyInTheLessSyncVersions) {
  EXPECT_FALSE(capabilities_for(BackendKind::cuda, profile("ggml-v0")).cpy_async_from_host);
  EXPECT_TRUE(capabilities_for(BackendKind::cuda, profile("ggml-17795")).cpy_async_from_host);
  EXPECT_FALSE(capabilities_for(BackendKind::cuda, profile("ggml-20463")).cpy_async_from_host);
  EXPECT_TRUE(capabilities_for(BackendKind::cuda, profile("ggml-20793")).cpy_async_from_host);
  EXPECT_FALSE(capabilities_for(BackendKind::cuda, profile("ggml-26040")).cpy_async_from_host);
  // 17795 for every CUDA-family build, 20793 for CUDA only.
  EXPECT_TRUE(capabilities_for(BackendKind::hip, profile("ggml-17795")).cpy_async_from_host);
  EXPECT_TRUE(capabilities_for(BackendKind::musa, profile("ggml-17795")).cpy_async_from_host);
  EXPECT_FALSE(capabilities_for(BackendKind::hip, profile("ggml-20793")).cpy_async_from_host);
  EXPECT_FALSE(capabilities_for(BackendKind::musa, profile("ggml-20793")).cpy_async_from_host);
}

TEST(Capabilities, CudaFamilyQueuesCopiesOnTheSourceAndBlocksOnThePerThreadStream) {
  for (BackendKind k : {BackendKind::cuda, BackendKind::hip, BackendKind::musa}) {
    Capabilities c = capabilities_for(k, profile("ggml-v0"));
    EXPECT_TRUE(c.async_queue && c.events && c.set_get_async && c.cpy_async_device);
    EXPECT_EQ(c.device_copy_queue, CopyQueue::source_then_event);
    EXPECT_TRUE(c.blocking_stream);
    EXPECT_EQ(c.set_async_pinned, HostTransfer::at_execution);
    EXPECT_EQ(c.get_async_pageable, HostTransfer::blocks_host);
  }
  EXPECT_EQ(capabilities_for(BackendKind::cuda, profile("ggml-v0")).set_async_pageable,
            HostTransfer::captured_at_call);
  EXPECT_EQ(capabilities_for(BackendKind::hip, profile("ggml-v0")).set_async_pageable,
            HostTransfer::blocks_host);
}

TEST(Capabilities, VulkanCopiesOnTheDestinationFromPinnedHostOrTheSameDevice) {
  // 162fd7c1 is in every tree of the bundle, ggml-v0's included (docs/capabilities.md, F1).
  for (const Policy& version : ggml_versions()) {
    const Capabilities v = capabilities_for(BackendKind::vulkan, version.knobs.profile);
    EXPECT_TRUE(v.cpy_async_member && v.cpy_async_device && v.cpy_async_from_host) << version.name;
  }
  Capabilities c = capabilities_for(BackendKind::vulkan, profile("ggml-17795"));
  EXPECT_TRUE(c.cpy_async_member && c.cpy_async_from_host && c.cpy_async_from_host_pinned_only);
  EXPECT_TRUE(c.cpy_async_same_device_only);
  EXPECT_EQ(c.device_copy_queue, CopyQueue::destination);
  EXPECT_EQ(c.set_async_pageable, HostTransfer::blocks_host);
  EXPECT_FALSE(c.transfer_queue_waits_events);
  EXPECT_TRUE(
      capabilities_for(BackendKind::vulkan, profile("ggml-26040")).transfer_queue_waits_events);
}

TEST(Capabilities, MetalCapturesSetSourcesAtTheCallAndCopiesOnlyMetalToMetal) {
  Capabilities c = capabilities_for(BackendKind::metal, profile("ggml-v0"));
  EXPECT_EQ(c.set_async_pinned, HostTransfer::captured_at_call);
  EXPECT_EQ(c.get_async_pinned, HostTransfer::at_execution);
  EXPECT_FALSE(c.cpy_async_from_host);
  EXPECT_TRUE(c.cpy_async_device);
  EXPECT_FALSE(c.blocking_stream);
}

TEST(Capabilities, ScenarioOverridesApplyPerBackend) {
  ScenarioBuilder b;
  Index g = b.backend("CUDA0", BackendKind::cuda, 0);
  b.backend("CPU", BackendKind::cpu);
  CapabilityOverride no_events;
  no_events.field = "events";
  no_events.boolean = false;
  b.scenario().backends[g].overrides.push_back(no_events);
  EXPECT_FALSE(backend_capabilities(b.scenario(), g, profile("ggml-v0")).events);
  Capabilities c;
  EXPECT_TRUE(set_capability(c, "set_async_pinned", HostTransfer::blocks_host));
  EXPECT_EQ(c.set_async_pinned, HostTransfer::blocks_host);
  EXPECT_FALSE(set_capability(c, "no_such_field", true));
}

TEST(ExecutionLayout, BackendsOnOneDeviceShareItsPerThreadStream) {
  ScenarioBuilder b;
  Index a = b.backend("CUDA0", BackendKind::cuda, 0);
  Index v = b.backend("CUDA0v", BackendKind::cuda, 0);  // a virtual device on the same GPU
  Index o = b.backend("CUDA1", BackendKind::cuda, 1);
  b.backend("CPU", BackendKind::cpu);
  b.scenario().scheduler.pipeline_parallel = true;
  ExecutionLayout l = make_layout(b.scenario(), find_builtin_policy("ggml-v0")->knobs.profile);
  EXPECT_EQ(l.blocking_stream_of[a], l.blocking_stream_of[v]);
  EXPECT_NE(l.blocking_stream_of[a], l.blocking_stream_of[o]);
  EXPECT_NE(l.queue_of[a], l.queue_of[v]);  // but each backend has its own stream
  EXPECT_TRUE(l.pipeline_parallel);
  EXPECT_EQ(l.n_copies, 4);
  EXPECT_GE(l.sched_events[a][3], 0);
  EXPECT_EQ(l.sched_events[3][0], -1);  // the CPU has no events
}

TEST(ExecutionLayout, ABlasBackendDisablesPipelineParallelism) {
  ScenarioBuilder b;
  b.backend("CUDA0", BackendKind::cuda, 0);
  b.backend("CUDA1", BackendKind::cuda, 1);
  b.backend("BLAS", BackendKind::blas);
  b.backend("CPU", BackendKind::cpu);
  b.scenario().scheduler.pipeline_parallel = true;
  ExecutionLayout l = make_layout(b.scenario(), find_builtin_policy("ggml-v0")->knobs.profile);
  EXPECT_FALSE(l.pipeline_parallel);  // llama.cpp's check ignores only CPU devices
  EXPECT_EQ(l.n_copies, 1);
}

}  // namespace
}  // namespace schedcheck::testing
