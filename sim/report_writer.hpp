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
nlohmann::ordered_json verdict_json(const ReportContext& ctx, const PolicyVerdict& v);
nlohmann::ordered_json replay_json(const ReportContext& ctx,
                                   const std::vector<PolicyVerdict>& verdicts);

}  // namespace schedcheck
