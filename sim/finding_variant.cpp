#include "sim/finding_variant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "sim/finding_grouping.hpp"
#include "sim/finding_mechanism.hpp"

namespace schedcheck {
namespace {

VariantAccess variant_access(const ReplayResult& replay, int op, int agent) {
  VariantAccess a;
  if (op < 0) return a;
  const TraceEntry& entry = replay.trace[op];
  const CallSite& cs = entry.site();
  a.present = true;
  a.call = cs.call;
  a.step = std::string(cs.step);
  a.op = entry.op.kind;
  a.agent = replay.run.layout.agents[agent].kind;
  const auto& splits = replay.run.epoch(cs.assignment_epoch).plan.splits;
  if (cs.split >= 0 && static_cast<std::size_t>(cs.split) < splits.size())
    a.split =
        splits[cs.split].inputs.empty() ? SplitShape::without_inputs : SplitShape::with_inputs;
  return a;
}

int eval_of(const ReplayResult& replay, int op) {
  return op >= 0 ? replay.trace[op].site().eval : 0;
}

std::string_view agent_name(AgentKind k) {
  switch (k) {
    case AgentKind::host:
      return "host";
    case AgentKind::queue:
      return "queue";
    case AgentKind::blocking_stream:
      return "blocking stream";
    case AgentKind::transfer_queue:
      return "transfer queue";
  }
  return "?";
}

std::string_view split_text(SplitShape s) {
  switch (s) {
    case SplitShape::none:
      return "";
    case SplitShape::with_inputs:
      return ", split with inputs";
    case SplitShape::without_inputs:
      return ", split without inputs";
  }
  return "";
}

std::string_view split_slug(SplitShape s) {
  switch (s) {
    case SplitShape::none:
      return "";
    case SplitShape::with_inputs:
      return ".inputs";
    case SplitShape::without_inputs:
      return ".no_inputs";
  }
  return "";
}

std::string_view kind_slug(FindingKind k) {
  switch (k) {
    case FindingKind::read_after_write:
      return "raw";
    case FindingKind::write_after_read:
      return "war";
    case FindingKind::write_after_write:
      return "waw";
    case FindingKind::stale_read:
      return "stale";
  }
  return "";
}

std::string_view kind_text(FindingKind k) {
  switch (k) {
    case FindingKind::read_after_write:
      return "RAW";
    case FindingKind::write_after_read:
      return "WAR";
    case FindingKind::write_after_write:
      return "WAW";
    case FindingKind::stale_read:
      return "stale read";
  }
  return "";
}

std::string access_text(const VariantAccess& a) {
  if (!a.present) return "never written";
  const std::string step = a.step.empty() ? "" : "[" + a.step + "]";
  return fmt::format("{}{} ({} on {}{})", to_string(a.call), step, to_string(a.op),
                     agent_name(a.agent), split_text(a.split));
}

// Keeps letters, digits, '_' and '.'; anything else (spaces too) becomes '_'.
std::string file_safe(std::string_view text) {
  std::string out(text);
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.') ch = '_';
  return out;
}

std::string access_slug(const VariantAccess& a) {
  if (!a.present) return "unwritten";
  std::string out = file_safe(to_string(a.call));
  if (!a.step.empty()) out += "." + file_safe(a.step);
  return out + fmt::format(".{}.{}{}", file_safe(to_string(a.op)), file_safe(agent_name(a.agent)),
                           split_slug(a.split));
}

}  // namespace

FindingVariant classify_variant(const ReplayResult& replay, const Finding& f) {
  FindingVariant v;
  v.mechanism = classify_mechanism(replay, f);
  v.kind = f.kind;
  v.first = variant_access(replay, f.first_op, f.first_agent);
  v.second = variant_access(replay, f.second_op, f.second_agent);
  v.evals = f.first_op >= 0 && eval_of(replay, f.second_op) > eval_of(replay, f.first_op)
                ? EvalRelation::later
                : EvalRelation::same;
  return v;
}

std::vector<FindingVariant> finding_variants(const ReplayResult& replay) {
  std::vector<FindingVariant> out;
  for (const FindingOccurrences& g : group_findings(replay)) {
    FindingVariant v = classify_variant(replay, g.first);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  }
  return out;
}

std::string to_string(const FindingVariant& v) {
  return fmt::format("{} {} · {} ⟂ {} · {}", to_string(v.mechanism), kind_text(v.kind),
                     access_text(v.first), access_text(v.second),
                     v.evals == EvalRelation::later ? "later evaluation" : "same evaluation");
}

std::string slug(const FindingVariant& v) {
  return fmt::format("{}-{}-{}-{}-{}", file_safe(to_string(v.mechanism)), kind_slug(v.kind),
                     access_slug(v.first), access_slug(v.second),
                     v.evals == EvalRelation::later ? "later" : "same");
}

}  // namespace schedcheck
