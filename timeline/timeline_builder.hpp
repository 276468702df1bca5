// Builds the timeline of one replay (timeline/timeline.hpp): a lane per agent, a box per trace
// entry laid out in happens-before layers, the event and synchronization edges, and each
// finding of the report (PolicyVerdict, from explain()) highlighted with its missing edge.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "sim/race_report.hpp"
#include "sim/report_writer.hpp"
#include "timeline/timeline.hpp"

namespace schedcheck {

struct TimelineOptions {
  // Traces longer than this keep only the evaluations that hold a finding's accesses (a clean
  // run: its first evaluations), and the page says so.
  std::size_t max_boxes = 1500;
  // Indexed like ReplayResult::trace (empty: nothing measured): when the entry ran. With any
  // span the page places boxes by time instead of by layer (timeline_layout).
  std::vector<std::optional<MeasuredSpan>> measured;
};

// `verdict` is explain(replay); `context` names the scenario as the text report does.
// Throws std::invalid_argument when options.measured is neither empty nor one per trace entry.
Timeline build_timeline(const ReplayResult& replay, const PolicyVerdict& verdict,
                        const ReportContext& context, const TimelineOptions& options = {});

}  // namespace schedcheck
