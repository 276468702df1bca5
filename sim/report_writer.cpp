#include "sim/report_writer.hpp"

#include <fmt/format.h>

#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

std::string evals_text(const std::vector<int>& evals) {
  std::string out;
  for (std::size_t i = 0; i < evals.size(); ++i) {
    if (i == 8) return out + fmt::format(", ... ({} in all)", evals.size());
    out += (i ? ", " : "") + std::to_string(evals[i]);
  }
  return out;
}

std::string access_line(const char* role, const AccessDescription& d) {
  if (!d.exists()) return fmt::format("    {:<6} (none: the bytes were never written)\n", role);
  return fmt::format("    {:<6} {} @{} at {}: {}\n           [{}; trace #{}; {} {}]\n", role,
                     d.agent, d.epoch, to_text(d.place), to_text(d.operation), call_text(d),
                     d.trace_index, d.is_write ? "writes" : "reads", to_text(d.tensor));
}

nlohmann::ordered_json access_json(const AccessDescription& d) {
  if (!d.exists()) return nullptr;
  nlohmann::ordered_json j;
  j["agent"] = d.agent;
  j["access"] = d.is_write ? "write" : "read";
  j["operation"] = to_text(d.operation);
  j["call"] = call_text(d);
  j["tensor"] = to_text(d.tensor);
  j["batch"] = d.place.batch;
  j["ubatch"] = d.place.ubatch;
  j["evaluation"] = d.place.eval;
  j["split"] = d.place.split;
  if (d.place.assignment_epoch > 0) j["node_assignment"] = d.place.assignment_epoch;
  j["trace_index"] = d.trace_index;
  j["epoch"] = d.epoch;
  return j;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string repro_command(const ReportContext& ctx, const std::string& policy) {
  return fmt::format("schedcheck replay {} --policy {}", ctx.scenario_file, policy);
}

std::vector<std::string> header_lines(const ReportContext& ctx, const PolicyVerdict& v) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("== {} under {} (ggml {}, {}) ==", ctx.scenario_name, v.policy,
                              v.commit, v.reference));
  std::size_t occurrences = 0;
  for (const auto& g : v.groups) occurrences += g.evals.size();
  std::string verdict = fmt::format("verdict: {}", upper(to_string(v.verdict)));
  if (!v.groups.empty())
    verdict +=
        fmt::format(" ({} finding{}, {} occurrence{})", v.groups.size(),
                    v.groups.size() == 1 ? "" : "s", occurrences, occurrences == 1 ? "" : "s");
  verdict +=
      fmt::format("; {} evaluations{}, {} operations, n_copies {}{}", v.evaluations,
                  v.reused_graphs ? fmt::format(" ({} on a reused graph)", v.reused_graphs) : "",
                  v.operations, v.n_copies, v.pipeline_parallel ? ", pipeline parallel" : "");
  lines.push_back(verdict);
  std::string splits;
  for (const auto& p : v.host_calls.splits) splits += (splits.empty() ? "" : " | ") + to_text(p);
  lines.push_back(fmt::format("host calls in the first ubatch, per split: {}", splits));
  return lines;
}

std::string finding_title(const PolicyVerdict& v, std::size_t i) {
  const FindingGroup& g = v.groups[i];
  return fmt::format("[{}] {} [{}] on {} [{}, {})", i + 1, to_string(g.first.kind),
                     to_string(g.mechanism), to_text(g.buffer), g.begin, g.end);
}

std::string finding_text(const ReportContext& ctx, const PolicyVerdict& v, std::size_t i) {
  const FindingGroup& g = v.groups[i];
  std::string out = finding_title(v, i) + "\n";
  out += fmt::format("    mechanism: {}\n", mechanism_line(g.mechanism));
  const bool stale = g.first.kind == FindingKind::stale_read;
  out += access_line(stale ? "wrote" : "first", g.first_access);
  out += access_line(stale ? "read" : "then", g.second_access);
  out += fmt::format("    ordering present: {}\n", to_text(g.ordering_present));
  out += fmt::format("    missing edge: {}\n", to_text(g.missing_edge));
  out += fmt::format("    cheapest fix: {}\n", to_text(g.cheapest_fix));
  out += fmt::format("    effect: {}\n", to_text(g.effect));
  out += fmt::format("    corrupts: {}\n", to_text(g.corrupts));
  out += fmt::format("    occurs in evaluations: {}\n", evals_text(g.evals));
  out += fmt::format("    reproduce: {}\n", repro_command(ctx, v.policy));
  return out;
}

std::string format_text(const ReportContext& ctx, const PolicyVerdict& v) {
  std::string out;
  for (const std::string& line : header_lines(ctx, v)) out += line + "\n";
  for (std::size_t i = 0; i < v.groups.size(); ++i) out += "\n" + finding_text(ctx, v, i);
  return out;
}

nlohmann::ordered_json verdict_json(const ReportContext& ctx, const PolicyVerdict& v) {
  nlohmann::ordered_json j;
  j["policy"] = v.policy;
  j["commit"] = v.commit;
  j["reference"] = v.reference;
  j["verdict"] = to_string(v.verdict);
  j["evaluations"] = v.evaluations;
  j["reused_graphs"] = v.reused_graphs;
  j["operations"] = v.operations;
  j["accesses"] = v.accesses;
  j["n_copies"] = v.n_copies;
  j["pipeline_parallel"] = v.pipeline_parallel;
  j["host_calls_first_ubatch"] = v.host_calls.whole;
  nlohmann::ordered_json split_patterns = nlohmann::ordered_json::array();
  for (const SplitCallPattern& p : v.host_calls.splits) split_patterns.push_back(to_text(p));
  j["split_patterns"] = split_patterns;
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < v.groups.size(); ++i) {
    const FindingGroup& g = v.groups[i];
    nlohmann::ordered_json f;
    f["id"] = i + 1;
    f["kind"] = g.first.kind == FindingKind::read_after_write    ? "read_after_write"
                : g.first.kind == FindingKind::write_after_read  ? "write_after_read"
                : g.first.kind == FindingKind::write_after_write ? "write_after_write"
                                                                 : "stale_read";
    f["mechanism"] = std::string(to_string(g.mechanism));
    f["buffer"] = to_text(g.buffer);
    f["range"] = {g.begin, g.end};
    f["occurrences"] = g.evals.size();
    f["evaluations"] = g.evals;
    f["first"] = access_json(g.first_access);
    f["second"] = access_json(g.second_access);
    f["ordering_present"] = to_text(g.ordering_present);
    f["missing_edge"] = to_text(g.missing_edge);
    f["cheapest_fix"] = to_text(g.cheapest_fix);
    f["fix_blocks_host"] = g.cheapest_fix.blocks_host;
    f["effect"] = to_text(g.effect);
    if (const auto& c = g.effect.crossing)
      f["crosses_sequences"] = {{"node", c->node},   {"input", c->input},
                                {"cache", c->cache}, {"writes_cache", c->writes_cache},
                                {"own", c->own},     {"other", c->other}};
    f["corrupts"] = to_text(g.corrupts);
    f["reproduce"] = repro_command(ctx, v.policy);
    findings.push_back(f);
  }
  j["findings"] = findings;
  return j;
}

nlohmann::ordered_json replay_json(const ReportContext& ctx,
                                   const std::vector<PolicyVerdict>& verdicts) {
  nlohmann::ordered_json j;
  j["schema"] = "schedcheck-report/1";
  j["scenario"] = {{"name", ctx.scenario_name}, {"file", ctx.scenario_file}};
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& v : verdicts) list.push_back(verdict_json(ctx, v));
  j["policies"] = list;
  return j;
}

}  // namespace schedcheck
