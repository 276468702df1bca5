#include "sim/finding_grouping.hpp"

#include <map>
#include <string_view>
#include <tuple>

namespace schedcheck {
namespace {

// One access's share of the key: its call, split, compute_splits step and tensors (not the
// slot: occurrences in different evaluations use different slots).
using AccessKey = std::tuple<int, int, std::string_view, int, int>;

AccessKey access_key(const ReplayResult& replay, int op, int index) {
  if (op < 0) return {-1, -1, std::string_view{}, -1, -1};
  const CallSite& cs = replay.trace[op].site();
  const Access& a = replay.trace[op].op.accesses[index];
  return {static_cast<int>(cs.call), static_cast<int>(cs.split), cs.step,
          static_cast<int>(a.tensor), static_cast<int>(a.copy)};
}

// Occurrences of one finding in different evaluations share: kind, both agents, the calls
// and steps that issued both accesses, their splits, and the tensors (not the slots).
using GroupKey = std::tuple<int, int, int, int, int, std::string_view, std::string_view, int, int,
                            int, int, int, int, int>;

GroupKey group_key(const ReplayResult& replay, const Finding& f) {
  const auto [call1, split1, step1, tensor1, copy1] =
      access_key(replay, f.first_op, f.first_access);
  const auto [call2, split2, step2, tensor2, copy2] =
      access_key(replay, f.second_op, f.second_access);
  return {static_cast<int>(f.kind),
          f.first_agent,
          f.second_agent,
          call1,
          call2,
          step1,
          step2,
          split1,
          split2,
          tensor1,
          copy1,
          tensor2,
          copy2,
          f.buffer};
}

}  // namespace

std::vector<FindingOccurrences> group_findings(const ReplayResult& replay) {
  std::vector<FindingOccurrences> groups;
  std::map<GroupKey, std::size_t> index;
  for (const Finding& f : replay.findings) {
    const int eval = f.second_op >= 0 ? replay.trace[f.second_op].site().eval : 0;
    const auto [it, added] = index.emplace(group_key(replay, f), groups.size());
    if (added)
      groups.push_back({f, {eval}});
    else
      groups[it->second].evals.push_back(eval);
  }
  return groups;
}

}  // namespace schedcheck
