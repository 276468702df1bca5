#include "sim/sync_expectations.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/sync_analysis.hpp"

namespace schedcheck {

std::vector<int> host_syncs_per_evaluation(const ReplayResult& r) {
  std::vector<int> counts(static_cast<std::size_t>(std::max(1, r.stats.evaluations)), 0);
  for (const HostCall& c : r.calls) {
    if (c.sync_id < 0 || !blocks_host(c)) continue;
    const int eval = std::clamp(c.site.eval, 0, static_cast<int>(counts.size()) - 1);
    ++counts[static_cast<std::size_t>(eval)];
  }
  return counts;
}

std::vector<SyncCountMiss> check_host_syncs(const ReplayResult& r, const SyncExpectation& e) {
  std::vector<SyncCountMiss> misses;
  if (e.empty()) return misses;
  const std::vector<int> counts = host_syncs_per_evaluation(r);
  if (e.per_evaluation) {
    SyncCountMiss m{SyncCountMiss::Scope::per_evaluation, *e.per_evaluation};
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
    if (!e.total->admits(total)) misses.push_back({SyncCountMiss::Scope::total, *e.total, total});
  }
  return misses;
}

std::string to_text(const SyncBound& b) {
  return fmt::format("{} {}", b.kind == SyncBound::Kind::exactly ? "exactly" : "at most", b.value);
}

std::string to_text(const SyncCountMiss& m) {
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
