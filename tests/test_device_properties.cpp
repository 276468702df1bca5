// Backend behaviour that depends on the device, not on the ggml version (audit findings F2, F6,
// F7, F9, F10, F11 of docs/capabilities-audit-findings.md): Vulkan's transfer queue and async
// support, which memory Vulkan counts as pinned, Metal's private buffers and shared queue.
#include <gtest/gtest.h>

#include "driver/scenario_file.hpp"
#include "scenario/scenario_json.hpp"
#include "tests/support/hb_fixture.hpp"
#include "tests/support/paths.hpp"

namespace schedcheck::testing {
namespace {

Scenario with(void (*change)(Scenario&)) {
  Scenario s = fixture_scenario();
  change(s);
  return s;
}

// Adds a backend in front of the CPU (which must stay last) and returns its index.
Index add_before_cpu(Scenario& s, const std::string& name, BackendKind kind, int device,
                     Index compute_buffer) {
  Backend b;
  b.name = name;
  b.kind = kind;
  b.device = device;
  b.compute_buffer = compute_buffer;
  s.backends.insert(s.backends.end() - 1, b);
  const Index added = static_cast<Index>(s.backends.size()) - 2;
  for (Node& n : s.nodes)
    if (n.backend >= added) ++n.backend;
  return added;
}

// The agent kind that performed the last access operation of the trace.
AgentKind last_access_agent(const HbWorld& w) {
  const auto& trace = w.engine.trace();
  for (auto it = trace.rbegin(); it != trace.rend(); ++it)
    if (it->kind == TraceKind::access) return w.run.layout.agents[it->agent].kind;
  return AgentKind::host;
}

std::string pattern(const HbWorld& w) {
  return call_pattern(w.api.calls());
}

// F2 + F10: with async_use_transfer_queue, set_tensor_async uploads on the transfer queue (as
// cpy_tensor_async from host does); get_tensor_async stays on the compute queue.
TEST(DeviceProperties, VulkanTransferQueueCarriesSetTensorAsync) {
  HbWorld w(with([](Scenario& s) { s.backends[kVk].transfer_queue = true; }), "ggml-26040");
  w.api.set_tensor_async(kVk, w.view(kBufPinned, 1), w.view(kBufVk, 1),
                         w.site(Call::set_tensor_async));
  EXPECT_EQ(last_access_agent(w), AgentKind::transfer_queue);
  w.api.get_tensor_async(kVk, w.view(kBufVk, 2), w.view(kBufPinned, 2),
                         w.site(Call::get_tensor_async));
  EXPECT_EQ(last_access_agent(w), AgentKind::queue);
}

// B12b: the compute queue's event_wait does not hold back an upload on the transfer queue
// before f257513c, so the upload overwrites what the compute queue still reads.
TEST(DeviceProperties, VulkanTransferQueueUploadRacesTheComputeQueueBeforeF257513c) {
  for (const char* policy : {"ggml-25138", "ggml-26040"}) {
    HbWorld w(with([](Scenario& s) { s.backends[kVk].transfer_queue = true; }), policy);
    w.preset(w.view(kBufVk, 3));
    w.kernel(kVk, {w.view(kBufVk, 3)}, {});
    w.api.event_record(w.event(kVk), kVk, w.site(Call::event_record));
    w.api.event_wait(kVk, w.event(kVk), w.site(Call::event_wait));
    w.api.set_tensor_async(kVk, w.view(kBufPinned, 3), w.view(kBufVk, 3),
                           w.site(Call::set_tensor_async));
    EXPECT_EQ(w.has(FindingKind::write_after_read), std::string(policy) == "ggml-25138") << policy;
  }
}

TEST(DeviceProperties, WithoutTheTransferQueueTheUploadFollowsTheComputeQueue) {
  HbWorld w("ggml-25138");
  w.preset(w.view(kBufVk, 3));
  w.kernel(kVk, {w.view(kBufVk, 3)}, {});
  w.api.set_tensor_async(kVk, w.view(kBufPinned, 3), w.view(kBufVk, 3),
                         w.site(Call::set_tensor_async));
  EXPECT_EQ(w.races(), 0);
}

// F9: Vulkan_Host memory is pinned for Vulkan device 0 only; the source backend is not looked at.
TEST(DeviceProperties, VulkanAcceptsAPinnedHostSourceOfAnyBackend) {
  Scenario s = fixture_scenario();
  const Index blas = add_before_cpu(s, "BLAS", BackendKind::blas, -1, kBufHostCompute);
  HbWorld w(std::move(s), "ggml-26040");
  EXPECT_TRUE(w.api.cpy_tensor_async(blas, kVk, w.view(kBufPinned, 4), w.view(kBufVk, 4),
                                     w.site(Call::cpy_tensor_async)));
  EXPECT_FALSE(w.api.cpy_tensor_async(blas, kVk, w.view(kBufPageable, 5), w.view(kBufVk, 5),
                                      w.site(Call::cpy_tensor_async)));
}

TEST(DeviceProperties, VulkanOnAnotherDeviceTreatsPinnedHostMemoryAsPageable) {
  HbWorld w(with([](Scenario& s) { s.backends[kVk].device = 1; }), "ggml-26040");
  EXPECT_FALSE(w.api.cpy_tensor_async(kCpu, kVk, w.view(kBufPinned, 4), w.view(kBufVk, 4),
                                      w.site(Call::cpy_tensor_async)));
  // The staged upload completes before set_tensor_async returns: overwriting the source is safe.
  w.host_write(w.view(kBufPinned, 6));
  w.api.set_tensor_async(kVk, w.view(kBufPinned, 6), w.view(kBufVk, 6),
                         w.site(Call::set_tensor_async));
  w.host_write(w.view(kBufPinned, 6));
  EXPECT_EQ(w.findings(), 0);
}

// F11: a Vulkan device without async support synchronizes in graph_compute and has no
// get_tensor_async (the generic fallback synchronizes and reads blocking); uploads stay async.
TEST(DeviceProperties, VulkanWithoutAsyncSupportRunsGraphsToCompletion) {
  HbWorld w(with([](Scenario& s) { s.backends[kVk].support_async = false; }), "ggml-26040");
  w.preset(w.view(kBufPinned, 8));
  w.kernel(kVk, {}, {w.view(kBufVk, 7)});
  w.api.get_tensor_async(kVk, w.view(kBufVk, 7), w.view(kBufPinned, 7),
                         w.site(Call::get_tensor_async));
  w.api.set_tensor_async(kVk, w.view(kBufPinned, 8), w.view(kBufVk, 8),
                         w.site(Call::set_tensor_async));
  // Launch + its own wait; fallback synchronize + blocking read (+ its stream's wait); upload.
  EXPECT_EQ(pattern(w), "gssasa");
  w.host_read(w.view(kBufPinned, 7));
  EXPECT_EQ(w.findings(), 0);
  EXPECT_EQ(last_access_agent(w), AgentKind::host);
}

// F7: one MTLCommandQueue per Metal device, shared by the backends on it.
TEST(DeviceProperties, MetalBackendsOnOneDeviceShareTheQueue) {
  Scenario s = fixture_scenario();
  const Index mtl1 = add_before_cpu(s, "MTL1", BackendKind::metal, 3, kBufMtl);
  const ExecutionLayout layout = make_layout(s, VersionProfile{});
  EXPECT_EQ(layout.queue_of[kMtl], layout.queue_of[mtl1]);
  EXPECT_GE(layout.last_command_event_of[mtl1], 0);
  s.backends[mtl1].device = 4;
  EXPECT_NE(make_layout(s, VersionProfile{}).queue_of[kMtl],
            make_layout(s, VersionProfile{}).queue_of[mtl1]);
}

// ggml_metal_synchronize waits for the context's own last command buffer, not for the other
// backend's later ones.
TEST(DeviceProperties, MetalSynchronizeWaitsForItsOwnCommandsOnly) {
  Scenario s = fixture_scenario();
  const Index buf_mtl1 = static_cast<Index>(s.buffers.size());
  const Index mtl1 = add_before_cpu(s, "MTL1", BackendKind::metal, 3, buf_mtl1);
  s.buffers.push_back(Buffer{"mtl1", BufferKind::device, BufferUsage::compute, mtl1, 0, 32});
  HbWorld w(std::move(s), "ggml-26040");
  w.kernel(kMtl, {}, {w.view(kBufMtl, 9)});
  w.kernel(mtl1, {}, {w.view(buf_mtl1, 9)});
  w.api.synchronize(kMtl, w.site(Call::synchronize));
  w.api.tensor_get(w.view(kBufMtl, 9), w.site(Call::tensor_copy));
  EXPECT_EQ(w.findings(), 0);
  w.api.tensor_get(w.view(buf_mtl1, 9), w.site(Call::tensor_copy));
  EXPECT_TRUE(w.has(FindingKind::read_after_write));
}

// F6: on private buffers a blocking get is a blit on the backend's queue, after its graph.
TEST(DeviceProperties, MetalPrivateBuffersOrderBlockingCopiesAfterTheQueue) {
  for (bool private_buffers : {false, true}) {
    HbWorld w(with(private_buffers ? [](Scenario& s) { s.backends[kMtl].private_buffers = true; }
                                   : [](Scenario&) {}),
              "ggml-26040");
    w.kernel(kMtl, {}, {w.view(kBufMtl, 10)});
    w.api.tensor_get(w.view(kBufMtl, 10), w.site(Call::tensor_copy));
    EXPECT_EQ(w.races(), private_buffers ? 0 : 1) << private_buffers;
  }
}

TEST(DeviceProperties, TheDeviceFieldsSurviveSaveAndLoad) {
  Scenario first =
      load_scenario_file(source_path("reports/bugs/B12-vulkan-transfer-queue-pp.json"));
  first.backends[1].support_async = false;
  const std::string saved = save_scenario(first).dump(2);
  const Scenario second = load_scenario_text(saved, "resaved");
  EXPECT_EQ(save_scenario(second).dump(2), saved);
  EXPECT_TRUE(second.backends[0].transfer_queue);
  EXPECT_FALSE(second.backends[1].support_async);
  EXPECT_TRUE(second.backends[0].support_async);
}

}  // namespace
}  // namespace schedcheck::testing
