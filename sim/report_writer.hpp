// Report writers: readable text (both accesses, ordering present, missing edge, cheapest
// fix, effect, reproduction) and stable JSON (schema "schedcheck-report/1", docs/report-format.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/race_report.hpp"

namespace schedcheck {

struct ReportContext {
  std::string scenario_name;
  std::string scenario_file;
};

std::string repro_command(const ReportContext& ctx, const std::string& policy);
std::string format_text(const ReportContext& ctx, const PolicyVerdict& v);
// The pieces of format_text, for pages that show them apart (timeline/): the title, verdict
// and host-call lines; finding i's first line ("[1] WRITE-AFTER-READ race [H2] on ...") and its
// whole block (that line first, every line ending in a newline).
std::vector<std::string> header_lines(const ReportContext& ctx, const PolicyVerdict& v);
std::string finding_title(const PolicyVerdict& v, std::size_t i);
std::string finding_text(const ReportContext& ctx, const PolicyVerdict& v, std::size_t i);
nlohmann::ordered_json verdict_json(const ReportContext& ctx, const PolicyVerdict& v);
nlohmann::ordered_json replay_json(const ReportContext& ctx,
                                   const std::vector<PolicyVerdict>& verdicts);

}  // namespace schedcheck
