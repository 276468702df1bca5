// The brute-force oracle against the vector-clock engine on random call programs of the
// fixture world (RapidCheck generators, shrunk on a disagreement), and on copies of partly written
// sources: the engine finds a race or stale read exactly when some execution order reorders a
// conflicting pair or makes a read see a wrong value.
#include <gtest/gtest.h>

#include <rapidcheck.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "scenario/policy.hpp"
#include "tests/support/oracle_world.hpp"

namespace schedcheck::testing {
namespace {

// ---- Random call programs on the fixture world. ----
// A program is data that RapidCheck generates; a disagreement shrinks to a smallest program
// through the generator's own shrink tree.

constexpr uint64_t kUnit = 32;

// Where a view lies: `units` 32-byte units of a buffer from `unit` on. A read expects the value
// a sequential run leaves there, or, when `wrong`, a value nobody writes.
struct ProgramRef {
  Index buffer = kBufPinned;
  int unit = 0;
  int units = 1;
  bool wrong = false;
};

enum class StepKind {
  graph,
  host_write,
  host_read,
  synchronize,
  event_record,
  event_wait,
  event_synchronize,
  copy_async,
  set_async,
  get_async,
};

struct ProgramStep {
  StepKind kind = StepKind::graph;
  Index backend = 0;               // graph, synchronize, set/get, a copy's source; an event's owner
  Index other = 0;                 // a copy's destination; the backend that waits on an event
  int slot = 0;                    // an event's copy slot (modulo the slots the layout has)
  bool host_source = false;        // a copy from the CPU reads a host buffer of its own choice
  std::vector<ProgramRef> reads;   // graph reads; the host read; a copy's source
  std::vector<ProgramRef> writes;  // graph writes; the host write; a copy's destination
};

struct Program {
  std::vector<ProgramRef> presets;  // contents before the run
  std::vector<ProgramStep> steps;
};

using rc::gen::inRange;
using rc::gen::weightedElement;

rc::Gen<Index> gen_buffer(bool host_only) {
  if (host_only)
    return rc::gen::elementOf(std::vector<Index>{kBufHostCompute, kBufPinned, kBufPageable});
  return rc::gen::elementOf(std::vector<Index>{kBufG0, kBufG1, kBufVk, kBufMtl, kBufHostCompute,
                                               kBufPinned, kBufPageable});
}

// A view of 1-2 units anywhere in the first four (reads expect a wrong value one time in 12).
rc::Gen<ProgramRef> gen_ref(rc::Gen<Index> buffer, int first_units, int max_units, bool read) {
  return rc::gen::build<ProgramRef>(
      rc::gen::set(&ProgramRef::buffer, std::move(buffer)),
      rc::gen::set(&ProgramRef::unit, inRange(0, first_units)),
      rc::gen::set(&ProgramRef::units, inRange(1, max_units + 1)),
      rc::gen::set(&ProgramRef::wrong,
                   read ? weightedElement<bool>({{11, false}, {1, true}}) : rc::gen::just(false)));
}

rc::Gen<std::vector<ProgramRef>> gen_refs(bool host_only, bool read) {
  return rc::gen::mapcat(inRange(0, 3), [=](int n) {
    return rc::gen::container<std::vector<ProgramRef>>(static_cast<std::size_t>(n),
                                                       gen_ref(gen_buffer(host_only), 4, 2, read));
  });
}

rc::Gen<std::vector<ProgramRef>> one(rc::Gen<ProgramRef> ref) {
  return rc::gen::container<std::vector<ProgramRef>>(1, std::move(ref));
}

rc::Gen<ProgramStep> gen_step(StepKind kind, int copy_units) {
  using rc::gen::set;
  const rc::Gen<Index> any_backend = inRange<Index>(0, 5), gpu = inRange<Index>(0, 4);
  // Copies read and write units 0..2 of their backends' memory (the buffer is chosen at run).
  const rc::Gen<ProgramRef> device_ref = gen_ref(rc::gen::just(Index{kNone}), 3, copy_units, true);
  const rc::Gen<ProgramRef> host_ref = gen_ref(gen_buffer(true), 3, copy_units, true);
  ProgramStep empty;
  empty.kind = kind;
  const rc::Gen<ProgramStep> base = rc::gen::just(empty);
  switch (kind) {
    case StepKind::graph:
      return rc::gen::build(base, set(&ProgramStep::backend, any_backend),
                            set(&ProgramStep::reads, gen_refs(false, true)),
                            set(&ProgramStep::writes, gen_refs(false, false)));
    case StepKind::host_write:
      return rc::gen::build(base,
                            set(&ProgramStep::writes, one(gen_ref(gen_buffer(true), 4, 2, false))));
    case StepKind::host_read:
      return rc::gen::build(base,
                            set(&ProgramStep::reads, one(gen_ref(gen_buffer(true), 4, 2, true))));
    case StepKind::synchronize:
      return rc::gen::build(base, set(&ProgramStep::backend, any_backend));
    case StepKind::event_record:
    case StepKind::event_synchronize:
      return rc::gen::build(base, set(&ProgramStep::backend, gpu),
                            set(&ProgramStep::slot, inRange(0, 4)));
    case StepKind::event_wait:
      return rc::gen::build(base, set(&ProgramStep::backend, gpu),
                            set(&ProgramStep::slot, inRange(0, 4)), set(&ProgramStep::other, gpu));
    case StepKind::copy_async:
      return rc::gen::build(base, set(&ProgramStep::backend, any_backend),
                            set(&ProgramStep::other, gpu),
                            set(&ProgramStep::host_source, rc::gen::arbitrary<bool>()),
                            set(&ProgramStep::reads, one(rc::gen::oneOf(device_ref, host_ref))),
                            set(&ProgramStep::writes, one(device_ref)));
    case StepKind::set_async:
      return rc::gen::build(base, set(&ProgramStep::backend, gpu),
                            set(&ProgramStep::reads, one(host_ref)),
                            set(&ProgramStep::writes, one(device_ref)));
    case StepKind::get_async:
      return rc::gen::build(base, set(&ProgramStep::backend, gpu),
                            set(&ProgramStep::reads, one(device_ref)),
                            set(&ProgramStep::writes, one(host_ref)));
  }
  return base;
}

rc::Gen<Program> gen_program(int copy_units) {
  const rc::Gen<StepKind> kind = weightedElement<StepKind>({{2, StepKind::graph},
                                                            {1, StepKind::host_write},
                                                            {1, StepKind::host_read},
                                                            {1, StepKind::synchronize},
                                                            {1, StepKind::event_record},
                                                            {1, StepKind::event_wait},
                                                            {1, StepKind::event_synchronize},
                                                            {1, StepKind::copy_async},
                                                            {1, StepKind::set_async},
                                                            {1, StepKind::get_async}});
  const rc::Gen<ProgramStep> step =
      rc::gen::mapcat(kind, [copy_units](StepKind k) { return gen_step(k, copy_units); });
  const rc::Gen<std::vector<ProgramStep>> steps = rc::gen::mapcat(inRange(4, 16), [step](int n) {
    return rc::gen::container<std::vector<ProgramStep>>(static_cast<std::size_t>(n), step);
  });
  const rc::Gen<std::vector<ProgramRef>> presets =
      rc::gen::container<std::vector<ProgramRef>>(gen_ref(gen_buffer(false), 4, 1, false));
  return rc::gen::build<Program>(rc::gen::set(&Program::presets, rc::gen::resize(4, presets)),
                                 rc::gen::set(&Program::steps, steps));
}

// Issues a program's calls on the world, tracking the value each unit holds in issue order so
// that reads expect what a sequential run gives.
class ProgramRunner {
 public:
  explicit ProgramRunner(OracleWorld& world) : world_(world) {}

  void run(const Program& program) {
    for (const ProgramRef& p : program.presets) {
      const TensorView v = view(p, p.buffer, true);
      world_.preset(v);
      store(v.region, v.expected);
    }
    for (const ProgramStep& step : program.steps) issue(step);
  }

 private:
  static Index device_buffer(Index backend) { return backend == kCpu ? kBufHostCompute : backend; }

  LogicalValue at(Index buffer, uint64_t unit) const {
    auto it = values_.find({buffer, unit});
    return it == values_.end() ? LogicalValue{} : it->second;
  }
  void store(const Region& r, const LogicalValue& v) {
    for (uint64_t u = r.offset / kUnit; u < r.end() / kUnit; ++u) values_[{r.buffer, u}] = v;
  }
  // A read expects the value of its first unit; a write produces a new value.
  TensorView view(const ProgramRef& ref, Index buffer, bool write) {
    TensorView v;
    v.region = Region{buffer, static_cast<uint64_t>(ref.unit) * kUnit, ref.units * kUnit};
    v.tensor = ref.unit;
    if (write)
      v.expected = LogicalValue{ref.unit, next_eval_++, 0};
    else
      v.expected = ref.wrong ? LogicalValue{99, 0, 0} : at(buffer, static_cast<uint64_t>(ref.unit));
    return v;
  }
  // A copy's destination receives its source's units as they are in issue order.
  void copy_values(const TensorView& src, const TensorView& dst) {
    std::vector<LogicalValue> vals;
    for (uint64_t u = src.region.offset / kUnit; u < src.region.end() / kUnit; ++u)
      vals.push_back(at(src.region.buffer, u));
    for (std::size_t k = 0; k < vals.size(); ++k)
      values_[{dst.region.buffer, dst.region.offset / kUnit + k}] = vals[k];
  }
  EventId event(const ProgramStep& step) const {
    const auto& events = world_.run.layout.sched_events[step.backend];
    return events.empty() ? -1 : events[static_cast<std::size_t>(step.slot) % events.size()];
  }
  // A copy's source: its backend's memory, or a host buffer for a host source of the CPU.
  Index source_buffer(const ProgramStep& step) const {
    const ProgramRef& src = step.reads.at(0);
    return step.backend == kCpu && step.host_source && src.buffer != kNone
               ? src.buffer
               : device_buffer(step.backend);
  }

  void issue(const ProgramStep& step);

  OracleWorld& world_;
  std::map<std::pair<Index, uint64_t>, LogicalValue> values_;
  int next_eval_ = 1;
};

void ProgramRunner::issue(const ProgramStep& step) {
  BackendApi& api = world_.api;
  const auto& layout = world_.run.layout;
  switch (step.kind) {
    case StepKind::graph: {
      Operation op;
      op.kind = OpKind::compute;
      op.site = world_.site();
      std::vector<TensorView> writes;
      for (const ProgramRef& r : step.reads) {
        const TensorView v = view(r, r.buffer, false);
        op.accesses.push_back({false, v.region, v.expected, v.tensor, kNone, 0, 0, -1});
      }
      for (const ProgramRef& w : step.writes) {
        const TensorView v = view(w, w.buffer, true);
        op.accesses.push_back({true, v.region, v.expected, v.tensor, kNone, 0, 0, -1});
        writes.push_back(v);
      }
      api.graph_compute_async(step.backend, op);
      for (const TensorView& v : writes) store(v.region, v.expected);
      break;
    }
    case StepKind::host_write: {
      const TensorView v = view(step.writes.at(0), step.writes.at(0).buffer, true);
      world_.host_write(v);
      store(v.region, v.expected);
      break;
    }
    case StepKind::host_read:
      world_.host_read(view(step.reads.at(0), step.reads.at(0).buffer, false));
      break;
    case StepKind::synchronize:
      api.synchronize(step.backend, world_.site(Call::synchronize));
      break;
    case StepKind::event_record:
      if (const EventId e = event(step); e >= 0 && layout.queue_of[step.backend] >= 0)
        api.event_record(e, step.backend, world_.site(Call::event_record));
      break;
    case StepKind::event_wait:
      if (const EventId e = event(step); e >= 0 && layout.caps[step.other].async_queue)
        api.event_wait(step.other, e, world_.site(Call::event_wait));
      break;
    case StepKind::event_synchronize:
      if (const EventId e = event(step); e >= 0)
        api.event_synchronize(e, world_.site(Call::event_synchronize));
      break;
    case StepKind::copy_async: {
      const TensorView src = view(step.reads.at(0), source_buffer(step), false);
      const TensorView dst = view(step.writes.at(0), device_buffer(step.other), true);
      if (src.region == dst.region) break;
      api.tensor_copy_async(step.backend, step.other, src, dst,
                            world_.site(Call::tensor_copy_async));
      copy_values(src, dst);
      break;
    }
    case StepKind::set_async: {
      const TensorView src = view(step.reads.at(0), step.reads.at(0).buffer, false);
      const TensorView dst = view(step.writes.at(0), device_buffer(step.backend), true);
      api.set_tensor_async(step.backend, src, dst, world_.site(Call::set_tensor_async));
      copy_values(src, dst);
      break;
    }
    case StepKind::get_async: {
      const TensorView src = view(step.reads.at(0), device_buffer(step.backend), false);
      const TensorView dst = view(step.writes.at(0), step.writes.at(0).buffer, true);
      api.get_tensor_async(step.backend, src, dst, world_.site(Call::get_tensor_async));
      copy_values(src, dst);
      break;
    }
  }
}

// The engine's disagreement with the oracle on one program, "" when they agree.
std::string disagreement_on(const Program& program, const std::string& policy,
                            bool* has_findings = nullptr, std::size_t* states = nullptr) {
  OracleWorld w(policy);
  ProgramRunner(w).run(program);
  const OracleResult r = w.explore();
  if (has_findings) *has_findings = w.findings() > 0;
  if (states) *states = r.states_explored;
  return disagreement(w, r);
}

// Follows the generator's shrink tree while the disagreement stays.
rc::Shrinkable<Program> shrink_disagreement(rc::Shrinkable<Program> failing,
                                            const std::string& policy) {
  for (bool smaller = true; smaller;) {
    smaller = false;
    for (auto shrinks = failing.shrinks(); auto next = shrinks.next();) {
      if (disagreement_on(next->value(), policy).empty()) continue;
      failing = std::move(*next);
      smaller = true;
      break;
    }
  }
  return failing;
}

// Returns the number of programs on which the engine and the oracle disagree; each of the
// first three is reported shrunk.
int compare_on_random_programs(int programs, int copy_units) {
  const std::vector<Policy>& versions = ggml_versions();
  const rc::Gen<Program> gen = gen_program(copy_units);
  int with_findings = 0, disagreements = 0;
  std::size_t max_states = 0;
  for (int seed = 1; seed <= programs; ++seed) {
    const std::string& policy = versions[static_cast<std::size_t>(seed) % versions.size()].name;
    const rc::Shrinkable<Program> program = gen(rc::Random(static_cast<uint64_t>(seed)));
    bool findings = false;
    std::size_t states = 0;
    const std::string d = disagreement_on(program.value(), policy, &findings, &states);
    with_findings += findings;
    max_states = std::max(max_states, states);
    if (d.empty() || ++disagreements > 3) continue;
    const Program smallest = shrink_disagreement(program, policy).value();
    ADD_FAILURE() << "seed " << seed << " policy " << policy << ", shrunk to "
                  << smallest.presets.size() << " presets and " << smallest.steps.size()
                  << " steps:\n"
                  << disagreement_on(smallest, policy);
  }
  // Both outcomes must be well represented for the comparison to mean anything.
  EXPECT_GT(with_findings, programs / 5);
  EXPECT_LT(with_findings, programs * 9 / 10);
  std::printf("  %d random programs: %d with findings, at most %zu states\n", programs,
              with_findings, max_states);
  return disagreements;
}

TEST(BruteForceOracle, AgreesWithTheEngineOnRandomCallSequences) {
  EXPECT_EQ(compare_on_random_programs(3000, 1), 0);
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
  EXPECT_EQ(compare_on_random_programs(3000, 2), 0);
}

}  // namespace
}  // namespace schedcheck::testing
