#include "real/carried_plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <tuple>
#include <variant>

#include "real/delay_plan.hpp"
#include "sim/race_report.hpp"
#include "sim/report_text.hpp"

namespace schedcheck {

namespace {

// What an operation does, independent of who issued it and when: its kind and the logical
// values it reads and writes, with the buffer each lives in (a copy of one value into two
// backends' slots is two operations).
struct OperationKey {
  OpKind kind = OpKind::compute;
  std::vector<std::tuple<bool, Index, int, Index>> accesses;  // write?, tensor, eval, buffer
  bool operator==(const OperationKey&) const = default;
};

std::optional<OperationKey> key_of(const TraceEntry& e) {
  if (e.kind != TraceKind::access) return std::nullopt;
  OperationKey key{e.op.kind, {}};
  for (const Access& a : e.op.accesses)
    key.accesses.emplace_back(a.is_write, a.value.tensor, a.value.eval, a.region.buffer);
  std::sort(key.accesses.begin(), key.accesses.end());
  key.accesses.erase(std::unique(key.accesses.begin(), key.accesses.end()), key.accesses.end());
  return key;
}

const std::string& agent_name(const ReplayResult& r, const TraceEntry& e) {
  return r.run.layout.agents[e.agent].name;
}

bool holdable(const ReplayResult& r, const TraceEntry& e) {
  return holds_on_queue(r.run.layout.agents[e.agent].kind);
}

// The index in r.trace of the n-th operation with this key (on `agent` only, when given).
std::optional<int> nth_with_key(const ReplayResult& r, const OperationKey& key, int n,
                                const std::string* agent) {
  for (int i = 0; i < static_cast<int>(r.trace.size()); ++i) {
    if (agent && agent_name(r, r.trace[i]) != *agent) continue;
    if (key_of(r.trace[i]) == key && n-- == 0) return i;
  }
  return std::nullopt;
}

// How many operations before `call` have this key (on `agent` only, when given).
int rank_of(const ReplayResult& r, const OperationKey& key, int call, const std::string* agent) {
  int n = 0;
  for (int i = 0; i < call; ++i)
    if ((!agent || agent_name(r, r.trace[i]) == *agent) && key_of(r.trace[i]) == key) ++n;
  return n;
}

// The call of `to` that performs what `from`'s call did (a hold: on a queue), or why there is
// none.
std::variant<int, std::string> carried_call(const ReplayResult& from, const Delay& d,
                                            const ReplayResult& to) {
  const int call = d.call;
  if (call < 0 || call >= static_cast<int>(from.trace.size()))
    return fmt::format("call #{} is not one of the {} calls", call, from.trace.size());
  const TraceEntry& e = from.trace[call];
  const auto key = key_of(e);
  if (!key) return fmt::format("call #{} is not an operation", call);
  const std::string& agent = agent_name(from, e);
  auto found = nth_with_key(to, *key, rank_of(from, *key, call, &agent), &agent);
  if (!found) found = nth_with_key(to, *key, rank_of(from, *key, call, nullptr), nullptr);
  if (!found)
    return fmt::format("call #{} ({} on {}): no such operation", call, to_string(e.op.kind), agent);
  if (d.on_queue && !holdable(to, to.trace[*found]))
    return fmt::format("call #{} ({} on {}): performed by {}, which nothing overtakes", call,
                       to_string(e.op.kind), agent, agent_name(to, to.trace[*found]));
  return *found;
}

}  // namespace

DelayPlan carry_plan(const DelayPlan& plan, const ReplayResult& from, const ReplayResult& to) {
  DelayPlan out;
  std::vector<std::string> left_out;
  for (const Delay& d : plan.delays) {
    const auto call = carried_call(from, d, to);
    if (const auto* why = std::get_if<std::string>(&call)) {
      left_out.push_back(*why);
      continue;
    }
    const int c = std::get<int>(call);
    Delay moved = d;
    moved.call = c;
    moved.reason = fmt::format("{}; #{} under {}", d.reason, d.call, from.run.policy.name);
    out.delays.push_back(std::move(moved));
  }
  out.name = fmt::format("{}, carried from {}", plan.name, from.run.policy.name);
  if (!left_out.empty())
    out.name += fmt::format(" ({} of {} delays left out: {})", left_out.size(), plan.delays.size(),
                            fmt::join(left_out, "; "));
  return out;
}

std::vector<PlannedRun> carried_targeted_plans(const ReplayResult& from, const ReplayResult& to,
                                               int runs) {
  std::vector<PlannedRun> out;
  for (const FindingGroup& g : explain(from).groups) {
    if (!is_race(g.first.kind)) continue;
    const DelayPlan plan = carry_plan(targeted_plan(from, g.first), from, to);
    for (int i = 0; i < runs; ++i)
      out.push_back(
          {plan, fmt::format("{}'s {} [{}] on {}", from.run.policy.name, to_string(g.first.kind),
                             to_string(g.mechanism), to_text(g.buffer))});
  }
  return out;
}

}  // namespace schedcheck
