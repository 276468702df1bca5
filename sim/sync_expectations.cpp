#include "sim/sync_expectations.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/sync_analysis.hpp"

namespace schedcheck {

std::vector<int> host_syncs_per_evaluation(const ReplayResult& r) {
  std::vector<int> counts(static_cast<std::size_t>(std::max(1, r.stats.evaluations)), 0);
  for (const HostCall& c : r.calls) {
    if (!is_host_blocking_sync(c)) continue;
    const int eval = std::clamp(c.site.eval, 0, static_cast<int>(counts.size()) - 1);
    ++counts[static_cast<std::size_t>(eval)];
  }
  return counts;
}

std::vector<int> host_syncs_per_step(const ReplayResult& r) {
  std::vector<int> counts;
  for (const StepCalls& st : r.stats.steps) {
    int n = 0;
    for (std::size_t i = st.first; i < st.end && i < r.calls.size(); ++i)
      n += is_host_blocking_sync(r.calls[i]);
    counts.push_back(n);
  }
  return counts;
}

std::vector<SyncCountMiss> check_host_syncs(const ReplayResult& r, const SyncExpectation& e) {
  std::vector<SyncCountMiss> misses;
  if (e.empty()) return misses;
  const std::vector<int> counts = host_syncs_per_evaluation(r);
  if (e.per_evaluation) {
    SyncCountMiss m;
    m.scope = SyncCountMiss::Scope::per_evaluation;
    m.expected = *e.per_evaluation;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (e.per_evaluation->admits(counts[i])) continue;
      if (m.evaluations_out++ == 0) {
        m.evaluation = static_cast<int>(i);
        m.got = counts[i];
      }
    }
    if (m.evaluations_out > 0) misses.push_back(m);
  }
  if (e.total) {
    int total = 0;
    for (int c : counts) total += c;
    if (!e.total->admits(total)) {
      SyncCountMiss m;
      m.expected = *e.total;
      m.got = total;
      misses.push_back(m);
    }
  }
  const std::vector<int> per_step = host_syncs_per_step(r);
  for (const SyncExpectation::Step& st : e.steps) {
    const auto i = static_cast<std::size_t>(st.step);
    const int got = i < per_step.size() ? per_step[i] : 0;
    if (st.bound.admits(got)) continue;
    SyncCountMiss m;
    m.scope = SyncCountMiss::Scope::step;
    m.expected = st.bound;
    m.got = got;
    m.step = st.step;
    m.step_name = r.run.scenario.program.at(i).name;
    misses.push_back(std::move(m));
  }
  return misses;
}

std::string to_text(const SyncBound& b) {
  return fmt::format("{} {}", b.kind == SyncBound::Kind::exactly ? "exactly" : "at most", b.value);
}

std::string to_text(const SyncCountMiss& m) {
  if (m.scope == SyncCountMiss::Scope::step)
    return fmt::format(
        "step \"{}\" (step {}) issued {} host-blocking synchronization{}, expected {}", m.step_name,
        m.step, m.got, m.got == 1 ? "" : "s", to_text(m.expected));
  if (m.scope == SyncCountMiss::Scope::total)
    return fmt::format("the run issued {} host-blocking synchronizations, expected {}", m.got,
                       to_text(m.expected));
  return fmt::format(
      "evaluation {} issued {} host-blocking synchronizations, expected {} per evaluation (out of "
      "bounds in {} evaluation{})",
      m.evaluation, m.got, to_text(m.expected), m.evaluations_out,
      m.evaluations_out == 1 ? "" : "s");
}

}  // namespace schedcheck
