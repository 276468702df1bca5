// The brute-force oracle against the vector-clock engine on random call sequences of the
// fixture world, and on copies of partly written sources: the engine finds a race or stale read
// exactly when some execution order reorders a conflicting pair or makes a read see a wrong value.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "tests/support/oracle_world.hpp"

namespace schedcheck::testing {
namespace {

// ---- Random call sequences on the fixture world. ----

// Generates calls on an OracleWorld, tracking the value each 32-byte unit holds in issue order so
// that reads expect what a sequential run would give (and sometimes, on purpose, something else).
class RandomProgram {
 public:
  // copy_units: the largest copy, in 32-byte units. Copies of one unit never see two values.
  RandomProgram(OracleWorld& w, uint32_t seed, int copy_units)
      : w_(w), rng_(seed), copy_units_(copy_units) {}

  void run(int calls) {
    for (int u = 0; u < 4; ++u)
      if (pick(3) == 0) {
        const Index b = pick_buffer(false);
        TensorView v = view(b, u, 1, true);
        w_.preset(v);
        store(v.region, v.expected);
      }
    for (int i = 0; i < calls; ++i) call();
  }

 private:
  static constexpr uint64_t kUnit = 32;
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  Index pick_buffer(bool host_only) {
    static constexpr Index host[] = {kBufHostCompute, kBufPinned, kBufPageable};
    static constexpr Index all[] = {kBufG0,          kBufG1,     kBufVk,      kBufMtl,
                                    kBufHostCompute, kBufPinned, kBufPageable};
    return host_only ? host[pick(3)] : all[pick(7)];
  }
  static Index device_buffer(Index backend) { return backend == kCpu ? kBufHostCompute : backend; }

  LogicalValue at(Index buffer, uint64_t unit) const {
    auto it = values_.find({buffer, unit});
    return it == values_.end() ? LogicalValue{} : it->second;
  }
  void store(const Region& r, const LogicalValue& v) {
    for (uint64_t u = r.offset / kUnit; u < r.end() / kUnit; ++u) values_[{r.buffer, u}] = v;
  }
  // A read expects the value of its first unit (a wrong expectation one time in twelve).
  TensorView view(Index buffer, int unit, int units, bool write) {
    TensorView v;
    v.region = Region{buffer, static_cast<uint64_t>(unit) * kUnit, units * kUnit};
    v.tensor = unit;
    if (write)
      v.expected = LogicalValue{unit, next_eval_++, 0};
    else
      v.expected = pick(12) == 0 ? LogicalValue{99, 0, 0} : at(buffer, unit);
    return v;
  }
  TensorView any_view(Index buffer, bool write) {
    return view(buffer, pick(4), 1 + pick(2), write);
  }
  // A copy's destination receives its source's units as they are in issue order.
  void copy_values(const TensorView& src, const TensorView& dst) {
    std::vector<LogicalValue> vals;
    for (uint64_t u = src.region.offset / kUnit; u < src.region.end() / kUnit; ++u)
      vals.push_back(at(src.region.buffer, u));
    for (std::size_t k = 0; k < vals.size(); ++k)
      values_[{dst.region.buffer, dst.region.offset / kUnit + k}] = vals[k];
  }
  Index pick_backend() { return static_cast<Index>(pick(5)); }
  EventId pick_event() {
    const Index b = static_cast<Index>(pick(4));
    const auto& evs = w_.run.layout.sched_events[b];
    return evs.empty() ? -1 : evs[pick(static_cast<int>(evs.size()))];
  }

  void call() {
    switch (pick(11)) {
      case 0:
      case 1: {  // a graph on some backend
        const Index b = pick_backend();
        Operation op;
        op.kind = OpKind::compute;
        op.site = w_.site();
        std::vector<TensorView> writes;
        for (int k = pick(3); k > 0; --k) {
          TensorView r = any_view(pick_buffer(false), false);
          op.accesses.push_back({false, r.region, r.expected, r.tensor, kNone, 0, 0, -1});
        }
        for (int k = pick(3); k > 0; --k) {
          TensorView x = any_view(pick_buffer(false), true);
          op.accesses.push_back({true, x.region, x.expected, x.tensor, kNone, 0, 0, -1});
          writes.push_back(x);
        }
        w_.api.graph_compute_async(b, op);
        for (const auto& x : writes) store(x.region, x.expected);
        break;
      }
      case 2: {
        TensorView v = any_view(pick_buffer(true), true);
        w_.host_write(v);
        store(v.region, v.expected);
        break;
      }
      case 3:
        w_.host_read(any_view(pick_buffer(true), false));
        break;
      case 4:
        w_.api.synchronize(pick_backend(), w_.site(Call::synchronize));
        break;
      case 5:
        if (EventId e = pick_event(); e >= 0) {
          const Index b = w_.run.layout.events[e].backend;
          if (w_.run.layout.queue_of[b] >= 0)
            w_.api.event_record(e, b, w_.site(Call::event_record));
        }
        break;
      case 6:
        if (EventId e = pick_event(); e >= 0) {
          const Index b = static_cast<Index>(pick(4));
          if (w_.run.layout.caps[b].async_queue) w_.api.event_wait(b, e, w_.site(Call::event_wait));
        }
        break;
      case 7:
        if (EventId e = pick_event(); e >= 0)
          w_.api.event_synchronize(e, w_.site(Call::event_synchronize));
        break;
      case 8: {  // the scheduler's asynchronous copy, or its blocking fallback
        const Index bs = pick_backend();
        const Index bd = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(device_buffer(bs), pick(3), units, false);
        if (bs == kCpu && pick(2) == 0) src = view(pick_buffer(true), pick(3), units, false);
        TensorView dst = view(device_buffer(bd), pick(3), units, true);
        if (src.region == dst.region) break;
        w_.api.tensor_copy_async(bs, bd, src, dst, w_.site(Call::tensor_copy_async));
        copy_values(src, dst);
        break;
      }
      case 9: {  // set_tensor_async from host memory
        const Index b = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(pick_buffer(true), pick(3), units, false);
        TensorView dst = view(device_buffer(b), pick(3), units, true);
        w_.api.set_tensor_async(b, src, dst, w_.site(Call::set_tensor_async));
        copy_values(src, dst);
        break;
      }
      case 10: {  // get_tensor_async into host memory
        const Index b = static_cast<Index>(pick(4));
        const int units = 1 + pick(copy_units_);
        TensorView src = view(device_buffer(b), pick(3), units, false);
        TensorView dst = view(pick_buffer(true), pick(3), units, true);
        w_.api.get_tensor_async(b, src, dst, w_.site(Call::get_tensor_async));
        copy_values(src, dst);
        break;
      }
    }
  }

  OracleWorld& w_;
  std::mt19937 rng_;
  int copy_units_;
  std::map<std::pair<Index, uint64_t>, LogicalValue> values_;
  int next_eval_ = 1;
};

// Returns the number of sequences on which the engine and the oracle disagree.
int compare_on_random_sequences(int sequences, int copy_units) {
  const char* policies[] = {"ggml-v0",    "ggml-17795", "ggml-20463",
                            "ggml-20793", "ggml-25138", "ggml-26040"};
  int with_findings = 0;
  int disagreements = 0;
  std::size_t max_states = 0;
  for (uint32_t seed = 1; seed <= static_cast<uint32_t>(sequences); ++seed) {
    OracleWorld w(policies[seed % 6]);
    RandomProgram(w, seed, copy_units).run(4 + static_cast<int>(seed % 12));
    const OracleResult r = w.explore();
    max_states = std::max(max_states, r.states_explored);
    with_findings += w.findings() > 0;
    const std::string d = disagreement(w, r);
    if (!d.empty() && ++disagreements <= 3)
      ADD_FAILURE() << "seed " << seed << " policy " << policies[seed % 6] << ":\n" << d;
  }
  // Both outcomes must be well represented for the comparison to mean anything.
  EXPECT_GT(with_findings, sequences / 5);
  EXPECT_LT(with_findings, sequences * 9 / 10);
  std::printf("  %d random sequences: %d with findings, at most %zu states\n", sequences,
              with_findings, max_states);
  return disagreements;
}

TEST(BruteForceOracle, AgreesWithTheEngineOnRandomCallSequences) {
  EXPECT_EQ(compare_on_random_sequences(3000, 1), 0);
}

// ---- A copy of a partly written source (regression of a fixed engine defect). ----
// The engine once wrote, into each destination shadow cell, the value carried at the cell's
// first byte; it now splits the destination at the boundaries of what the copy's read saw.

TEST(BruteForceOracle, CopyOfAPartlyWrittenSourceCarriesEachPartsValue) {
  OracleWorld w;
  TensorView half = w.view(kBufPinned, 0);
  half.region.size = 32;
  w.host_write(half);  // bytes [0, 32) hold tensor 0; [32, 64) were never written
  w.api.tensor_copy(w.view(kBufPinned, 0), w.view(kBufPageable, 0), w.site(Call::tensor_copy));
  TensorView tail = w.view(kBufPageable, 0);
  tail.region = Region{kBufPageable, 32, 32};
  tail.expected = LogicalValue{};  // the copy put the unwritten bytes there
  w.host_read(tail);
  const OracleResult r = w.explore();
  ASSERT_EQ(r.mismatches.size(), 1u);  // only the copy's own read
  EXPECT_EQ(r.mismatches[0].read, (AccessRef{1, 0}));
  EXPECT_EQ(r.mismatches[0].begin, 32u);
}

TEST(BruteForceOracle, EngineCopyOfAPartlyWrittenSourceCarriesEachPartsValue) {
  OracleWorld w;
  TensorView half = w.view(kBufPinned, 0);
  half.region.size = 32;
  w.host_write(half);
  w.api.tensor_copy(w.view(kBufPinned, 0), w.view(kBufPageable, 0), w.site(Call::tensor_copy));
  TensorView tail = w.view(kBufPageable, 0);
  tail.region = Region{kBufPageable, 32, 32};
  tail.expected = LogicalValue{};
  w.host_read(tail);
  // The engine must not report a stale read at entry 2 (tensor 0 written over [32, 64)).
  EXPECT_EQ(disagreement(w, w.explore()), "");
}

TEST(BruteForceOracle, AgreesWithTheEngineOnRandomCallSequencesWithWideCopies) {
  EXPECT_EQ(compare_on_random_sequences(3000, 2), 0);
}

}  // namespace
}  // namespace schedcheck::testing
