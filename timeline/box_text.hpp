// The words of one timeline box, from the names the text report uses (sim/report_naming):
// a short label ("cpy", "graph", "rec e3", "wait e3", "sync"), where it runs ("u1 s2 #1") and
// the hover text, with every access's tensor and byte range.
#pragma once

#include <string>

#include "sim/report_naming.hpp"
#include "timeline/timeline.hpp"

namespace schedcheck {

struct BoxText {
  BoxKind kind = BoxKind::graph;
  std::string label;
  std::string sublabel;
  std::string details;
};

BoxText box_text(const ReportNaming& naming, int entry);

// "e3": the short name labels give an event (its index in the run's layout).
std::string event_label(int event);

}  // namespace schedcheck
