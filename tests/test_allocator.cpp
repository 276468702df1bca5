// The allocator's lifetime rules, spec §3.5: reuse of dead regions, INPUT/OUTPUT handling,
// copy sources freed at the consuming split's start, slots of several copies, in-place reuse.
#include <gtest/gtest.h>

#include "model/allocator.hpp"
#include "scenario/scenario_error.hpp"
#include "scenario/scenario_builder.hpp"
#include "tests/support/gpu_and_cpu.hpp"

namespace schedcheck::testing {
namespace {

struct Alloc : GpuAndCpu {
  AllocationPlan plan(int n_copies = 1) {
    split = form_splits(b.scenario(), SplitOptions{n_copies, 30, {}});
    return allocate(b.scenario(), split);
  }
  SplitPlan split;
};

TEST_F(Alloc, ADeadRegionIsReusedByALaterTensor) {
  Index a = b.node("a", cpu, {}, 256);
  Index c = b.node("c", cpu, {a}, 256);  // a dies here
  Index d = b.node("d", cpu, {c}, 256);  // takes a's region
  AllocationPlan p = plan();
  EXPECT_EQ(p.tensor_slots[d][0].offset, p.tensor_slots[a][0].offset);
  EXPECT_FALSE(p.tensor_slots[c][0].overlaps(p.tensor_slots[a][0]));
  EXPECT_EQ(p.tensor_life[a].freed_after, p.tensor_life[c].allocated_at);
}

TEST_F(Alloc, ANodeNeverTakesTheRegionOfItsOwnSources) {
  Index a = b.node("a", cpu, {}, 256);
  Index c = b.node("c", cpu, {a}, 256);
  AllocationPlan p = plan();
  EXPECT_FALSE(p.tensor_slots[c][0].overlaps(p.tensor_slots[a][0]));
}

TEST_F(Alloc, OutputTensorsAreNeverReused) {
  Index a = b.node("a", cpu, {}, 256, kFlagOutput);
  Index c = b.node("c", cpu, {a}, 256);
  Index d = b.node("d", cpu, {c}, 256);
  AllocationPlan p = plan();
  EXPECT_EQ(p.tensor_life[a].freed_after, -1);
  EXPECT_FALSE(p.tensor_slots[d][0].overlaps(p.tensor_slots[a][0]));
}

TEST_F(Alloc, InputsAreAllocatedFirstSoTheyNeverAliasEarlierTensors) {
  Index x = b.node("x", cpu, {}, 256);
  Index y = b.node("y", cpu, {x}, 256);  // x dies
  Index in = b.input("in", 256);
  Index z = b.node("z", cpu, {y, in}, 256);
  AllocationPlan p = plan();
  EXPECT_EQ(p.tensor_life[in].allocated_at, 0);
  for (Index t : {x, y, z}) EXPECT_FALSE(p.tensor_slots[in][0].overlaps(p.tensor_slots[t][0])) << t;
}

TEST_F(Alloc, AnInputOnlyUserInputIsFreedAfterItsLastConsumerWithOneCopy) {
  Index in = b.input("in", 256);
  Index x = b.node("x", cpu, {in}, 256);
  Index y = b.node("y", cpu, {x}, 256);
  AllocationPlan p = plan();
  EXPECT_EQ(p.tensor_life[in].freed_after, p.tensor_life[x].allocated_at);
  EXPECT_EQ(p.tensor_slots[y][0].offset, p.tensor_slots[in][0].offset);
}

TEST_F(Alloc, CopySourcesAreFreedAtTheStartOfTheConsumingSplit) {
  Index x = b.node("x", cpu, {}, 256);  // copied to the GPU
  b.node("g", gpu, {x}, 256);
  Index y = b.node("y", cpu, {}, 256);  // a later CPU tensor reuses x's region
  AllocationPlan p = plan();
  EXPECT_GE(p.tensor_life[x].freed_after, 0);
  EXPECT_LT(p.tensor_life[x].freed_after, p.tensor_life[y].allocated_at);
  EXPECT_EQ(p.tensor_slots[y][0].offset, p.tensor_slots[x][0].offset);
  EXPECT_EQ(p.tensor_slots[y][0].buffer, p.tensor_slots[x][0].buffer);
}

TEST_F(Alloc, WithOneCopyASplitInputCopyIsAnOrdinaryReusableTensor) {
  Index x = b.node("x", cpu, {}, 256);
  Index g = b.node("g", gpu, {x}, 256);  // CUDA0#x dies after g
  Index h = b.node("h", gpu, {g}, 256);
  Index k = b.node("k", gpu, {h}, 256);
  AllocationPlan p = plan(1);
  ASSERT_EQ(split.copies.size(), 1u);
  EXPECT_EQ(p.copy_slots[0].size(), 1u);
  EXPECT_GE(p.copy_life[0].freed_after, 0);
  (void)k;
  bool reused = false;
  for (Index t : {h, k}) reused |= p.tensor_slots[t][0].overlaps(p.copy_slots[0][0]);
  EXPECT_TRUE(reused);
}

TEST_F(Alloc, WithSeveralCopiesEverySlotCoexistsAndIsNeverReused) {
  Index in = b.input("in", 128);
  Index x = b.node("x", cpu, {in}, 256);
  Index g = b.node("g", gpu, {x, in}, 256);
  Index h = b.node("h", gpu, {g}, 256);
  Index c2 = b.node("c2", cpu, {}, 256);
  AllocationPlan p = plan(4);
  ASSERT_EQ(p.tensor_slots[in].size(), 4u);
  for (std::size_t c = 0; c < split.copies.size(); ++c) {
    ASSERT_EQ(p.copy_slots[c].size(), 4u);
    EXPECT_EQ(p.copy_life[c].freed_after, -1);
  }
  std::vector<Region> slots = p.tensor_slots[in];
  for (const auto& cs : p.copy_slots) slots.insert(slots.end(), cs.begin(), cs.end());
  for (std::size_t i = 0; i < slots.size(); ++i)
    for (std::size_t j = i + 1; j < slots.size(); ++j)
      EXPECT_FALSE(slots[i].overlaps(slots[j])) << i << " " << j;
  for (Index t : {x, g, h, c2})
    for (const auto& r : slots) EXPECT_FALSE(p.tensor_slots[t][0].overlaps(r)) << t;
}

TEST_F(Alloc, AnInplaceNodeTakesOverItsDyingFirstSource) {
  Index a = b.node("a", cpu, {}, 256);
  Index c = b.node("c", cpu, {a}, 256, 0, true);
  AllocationPlan p = plan();
  EXPECT_EQ(p.tensor_slots[c][0], p.tensor_slots[a][0]);
}

TEST_F(Alloc, AnInplaceNodeKeepsItsOwnRegionWhenTheSourceLivesOn) {
  Index a = b.node("a", cpu, {}, 256);
  Index c = b.node("c", cpu, {a}, 256, 0, true);
  b.node("d", cpu, {a, c}, 256);
  AllocationPlan p = plan();
  EXPECT_FALSE(p.tensor_slots[c][0].overlaps(p.tensor_slots[a][0]));
}

TEST_F(Alloc, ComputeBuffersAreSizedToTheirHighWaterMark) {
  Index a = b.node("a", cpu, {}, 100);
  Index c = b.node("c", cpu, {a}, 100);
  AllocationPlan p = plan();
  const Index buf = b.scenario().backends[cpu].compute_buffer;
  // a = [0, 100) rounded to 128; c = [128, 228) rounded to 256.
  EXPECT_EQ(p.tensor_slots[c][0].offset, 128u);
  EXPECT_EQ(p.buffer_size[buf], 256u);
}

TEST_F(Alloc, AnExplicitBufferTooSmallForItsTensorsIsAnError) {
  Index out = b.buffer("small", BufferKind::pinned_host, BufferUsage::output, kNone, 64);
  Index a = b.node("a", cpu, {}, 256);
  b.scenario().tensors[a].buffer = out;
  EXPECT_EQ(error_of([&] { plan(); }).json_path(), "/buffers/" + std::to_string(out) + "/size");
}

TEST_F(Alloc, ThePlanIsTheSameEveryTimeItIsComputed) {
  Index a = b.node("a", cpu, {}, 256);
  b.node("g", gpu, {a}, 512);
  AllocationPlan p1 = plan(), p2 = plan();
  EXPECT_EQ(p1.tensor_slots, p2.tensor_slots);
  EXPECT_EQ(p1.copy_slots, p2.copy_slots);
}

}  // namespace
}  // namespace schedcheck::testing
