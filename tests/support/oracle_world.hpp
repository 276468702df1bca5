// The brute-force oracle's world for tests: the happens-before fixture remembering its presets,
// and the comparison of the oracle with the vector-clock engine on the world's trace.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "properties/brute_force_oracle.hpp"
#include "tests/support/hb_fixture.hpp"

namespace schedcheck::testing {

// HbWorld remembering its presets, so that the oracle starts from the engine's memory.
struct OracleWorld : HbWorld {
  using HbWorld::HbWorld;
  void preset(const TensorView& v) {
    HbWorld::preset(v);
    initial.push_back({v.region, v.expected});
  }
  OracleResult explore(std::size_t max_states = 1'000'000, bool collapse = true) const {
    OracleOptions o;
    o.max_states = max_states;
    o.initial = initial;
    o.collapse_invisible = collapse;
    return explore_orders(engine.trace(), run.layout, o);
  }
  std::vector<InitialContent> initial;
};

inline std::string dump(const std::vector<TraceEntry>& trace, const ExecutionLayout& layout) {
  std::ostringstream out;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    const TraceEntry& e = trace[i];
    out << "  [" << i << "] " << layout.agents[e.agent].name << ": ";
    switch (e.kind) {
      case TraceKind::access:
        out << "access" << (e.op.reads_at_call ? " (reads at call)" : "");
        for (const Access& a : e.op.accesses)
          out << (a.is_write ? " W" : " R") << " b" << a.region.buffer << "[" << a.region.offset
              << "," << a.region.end() << ")=" << a.value.tensor << "/" << a.value.eval;
        break;
      case TraceKind::wait_queue:
        out << "wait for " << layout.agents[e.target].name;
        break;
      case TraceKind::record:
        out << "record " << layout.events[e.event].name;
        break;
      case TraceKind::wait_event:
        out << "wait " << layout.events[e.event].name << (e.effective ? "" : " (never recorded)");
        break;
      case TraceKind::host_wait_event:
        out << "event_synchronize " << layout.events[e.event].name;
        break;
    }
    out << "\n";
  }
  return out.str();
}

inline std::string findings_text(const std::vector<Finding>& findings) {
  std::ostringstream out;
  for (const Finding& f : findings)
    out << "  " << to_string(f.kind) << ": entry " << f.first_op << "." << f.first_access
        << " vs entry " << f.second_op << "." << f.second_access << " bytes [" << f.begin << ","
        << f.end << ") of buffer " << f.buffer << "\n";
  return out.str();
}

// Checks the oracle against the engine on the world's trace; returns "" when they agree.
inline std::string disagreement(const OracleWorld& w, const OracleResult& r) {
  std::ostringstream out;
  const auto& findings = w.engine.findings();
  if (!r.exhaustive) out << "oracle not exhaustive\n";
  if (findings.empty() != !r.finds_problem())
    out << "engine " << (findings.empty() ? "finds nothing" : "reports findings") << ", oracle "
        << (r.finds_problem() ? "finds a problem" : "finds none") << "\n";
  // Pair by pair: every race is a reorderable pair, every stale read a wrong read.
  std::set<std::tuple<int, int, int, int>> reorderable;
  for (const OraclePair& p : r.pairs)
    if (p.reorderable())
      reorderable.insert({p.first.op, p.first.access, p.second.op, p.second.access});
  std::set<AccessRef> wrong;
  for (const OracleMismatch& m : r.mismatches) wrong.insert(m.read);
  for (const Finding& f : findings) {
    if (is_race(f.kind) &&
        !reorderable.contains({f.first_op, f.first_access, f.second_op, f.second_access}))
      out << "race " << f.first_op << "." << f.first_access << " vs " << f.second_op << "."
          << f.second_access << " is not reorderable in the oracle\n";
    if (!is_race(f.kind) && !wrong.contains(AccessRef{f.second_op, f.second_access}))
      out << "stale read " << f.second_op << "." << f.second_access
          << " never reads a wrong value in the oracle\n";
  }
  if (out.str().empty()) return "";
  return out.str() + "trace:\n" + dump(w.engine.trace(), w.run.layout) + "engine:\n" +
         findings_text(findings) + "oracle: " + describe(r);
}

// The oracle against the engine on the world's trace, with the oracle's own invariants: an
// ordered trace (no engine finding) has no wrong read and no pair in both orders, and collapsing
// the steps that touch no memory finds the same.
inline void expect_oracle_agrees(const OracleWorld& w) {
  const OracleResult r = w.explore();
  EXPECT_EQ(disagreement(w, r), "");
  EXPECT_TRUE(r.exhaustive);
  EXPECT_GE(r.complete_orders, 1u);
  if (w.findings() == 0) {
    EXPECT_FALSE(r.value_mismatch) << describe(r);
    EXPECT_EQ(r.mismatching_orders, 0u);
    for (const OraclePair& p : r.pairs)
      EXPECT_NE(p.first_before_second, p.second_before_first)
          << "pair " << p.first.op << "." << p.first.access << " / " << p.second.op << "."
          << p.second.access;
  }
  const OracleResult full = w.explore(1'000'000, false);
  EXPECT_EQ(full.value_mismatch, r.value_mismatch);
  EXPECT_EQ(full.reorderable_conflict, r.reorderable_conflict);
  ASSERT_EQ(full.pairs.size(), r.pairs.size());
  for (std::size_t i = 0; i < r.pairs.size(); ++i) {
    EXPECT_EQ(full.pairs[i].first_before_second, r.pairs[i].first_before_second);
    EXPECT_EQ(full.pairs[i].second_before_first, r.pairs[i].second_before_first);
  }
  EXPECT_EQ(full.mismatches.size(), r.mismatches.size());
  EXPECT_GE(full.states_explored, r.states_explored);
}

// A world whose trace is checked by the oracle when it goes out of scope: every happens-before
// rule test (test_happens_before.cpp) is also a test of the detector against the oracle,
// without restating its call sequence.
struct OracleCheckedWorld : OracleWorld {
  using OracleWorld::OracleWorld;
  OracleCheckedWorld(const OracleCheckedWorld&) = delete;
  OracleCheckedWorld& operator=(const OracleCheckedWorld&) = delete;
  ~OracleCheckedWorld() { expect_oracle_agrees(*this); }
};

}  // namespace schedcheck::testing
