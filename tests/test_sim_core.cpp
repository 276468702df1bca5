// The detector's two data structures on their own: vector clocks and the byte-range shadow.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "sim/shadow_memory.hpp"
#include "sim/vector_clock.hpp"

namespace schedcheck::testing {
namespace {

TEST(VectorClock, TickAdvancesOnlyTheOwnEntryAndKnowsWhatIsAtOrBelowIt) {
  VectorClock c(3);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.tick(1), 1u);
  EXPECT_EQ(c.tick(1), 2u);
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[1], 2u);
  EXPECT_TRUE(c.knows(1, 2));
  EXPECT_TRUE(c.knows(1, 1));
  EXPECT_FALSE(c.knows(1, 3));
  EXPECT_TRUE(c.knows(2, 0));  // epoch 0: before any access of that agent
  EXPECT_FALSE(c.knows(2, 1));
}

TEST(VectorClock, JoinTakesTheEntrywiseMaximumAndSaysWhetherAnythingGrew) {
  VectorClock a(3), b(3);
  a.tick(0);
  a.tick(0);
  b.tick(1);
  b.tick(2);
  b.tick(2);
  EXPECT_TRUE(a.join(b));
  EXPECT_EQ(a.entries(), (std::vector<uint32_t>{2, 1, 2}));
  EXPECT_FALSE(a.join(b));  // nothing new
  VectorClock older(3);
  older.tick(0);
  EXPECT_FALSE(a.join(older));
  EXPECT_EQ(a.entries(), (std::vector<uint32_t>{2, 1, 2}));
}

// The cells for_range visits: (begin, end) pairs.
std::vector<std::pair<uint64_t, uint64_t>> cells(ShadowMemory& m, int buffer, uint64_t begin,
                                                 uint64_t end) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  m.for_range(buffer, begin, end, [&](uint64_t b, ShadowCell& c) { out.emplace_back(b, c.end); });
  return out;
}

TEST(ShadowMemory, ARangeIsVisitedAsCellsSplitExactlyAtItsBoundaries) {
  ShadowMemory m;
  m.add_buffer(100);
  EXPECT_EQ(cells(m, 0, 10, 30), (std::vector<std::pair<uint64_t, uint64_t>>{{10, 30}}));
  EXPECT_EQ(cells(m, 0, 0, 100),
            (std::vector<std::pair<uint64_t, uint64_t>>{{0, 10}, {10, 30}, {30, 100}}));
  EXPECT_EQ(cells(m, 0, 20, 40), (std::vector<std::pair<uint64_t, uint64_t>>{{20, 30}, {30, 40}}));
  EXPECT_TRUE(cells(m, 0, 50, 50).empty());
}

// A meta backend's buffers are sized by what ggml allocates in them: they start empty.
TEST(ShadowMemory, AnEmptyBufferGrowsToTheRangesAccessed) {
  ShadowMemory m;
  m.add_buffer(0);
  EXPECT_EQ(cells(m, 0, 256, 512), (std::vector<std::pair<uint64_t, uint64_t>>{{256, 512}}));
  EXPECT_EQ(cells(m, 0, 0, 1024),
            (std::vector<std::pair<uint64_t, uint64_t>>{{0, 256}, {256, 512}, {512, 1024}}));
}

TEST(ShadowMemory, WhatARangeRecordsStaysInsideItAndBuffersAreIndependent) {
  ShadowMemory m;
  m.add_buffer(64);
  m.add_buffer(64);
  m.for_range(0, 16, 32, [](uint64_t, ShadowCell& c) {
    c.written = true;
    c.write = AccessStamp{2, 5, 7, 0};
    c.reads.push_back(AccessStamp{1, 3, 6, 0});
  });
  m.for_range(0, 0, 64, [](uint64_t begin, ShadowCell& c) {
    const bool inside = begin >= 16 && c.end <= 32;
    EXPECT_EQ(c.written, inside) << begin;
    EXPECT_EQ(c.reads.size(), inside ? 1u : 0u) << begin;
    if (inside) {
      EXPECT_EQ(c.write.epoch, 5u);
    }
  });
  m.for_range(1, 0, 64, [](uint64_t, ShadowCell& c) { EXPECT_FALSE(c.written); });
}

TEST(ShadowMemory, InitializeWritesTheValueAndForgetsEarlierReads) {
  ShadowMemory m;
  m.add_buffer(32);
  m.for_range(0, 0, 32, [](uint64_t, ShadowCell& c) {
    c.reads.push_back(AccessStamp{1, 1, 0, 0});
  });
  LogicalValue v;
  v.tensor = 4;
  v.eval = 2;
  m.initialize(0, 8, 24, v);
  m.for_range(0, 0, 32, [&](uint64_t begin, ShadowCell& c) {
    const bool inside = begin >= 8 && c.end <= 24;
    EXPECT_EQ(c.written, inside);
    EXPECT_EQ(c.reads.empty(), inside);
    if (inside) {
      EXPECT_TRUE(c.value.same_data(v));
    }
  });
}

TEST(ShadowMemory, ARangePastTheRecordedSizeExtendsTheBuffer) {
  ShadowMemory m;
  m.add_buffer(16);
  EXPECT_EQ(cells(m, 0, 8, 40), (std::vector<std::pair<uint64_t, uint64_t>>{{8, 16}, {16, 40}}));
}

}  // namespace
}  // namespace schedcheck::testing
