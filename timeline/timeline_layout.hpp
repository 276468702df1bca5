// Where a timeline's boxes go across the page: by happens-before layer (Box::column), or, when
// the timeline carries measured spans, by time, with an axis in ns, µs, ms or s. Boxes without a
// span in a measured timeline start when the last box they come after ends (timeline.hpp's
// Box::after), drawn as thin marks. Lanes (rows) are timeline_html's concern.
#pragma once

#include <string>
#include <vector>

#include "timeline/timeline.hpp"

namespace schedcheck {

struct LayoutMetrics {
  double margin = 12;
  double column_width = 76;  // by layer: one layer
  double box_width = 68;
  double target_box_width = 60;  // by time: the median measured span is drawn about this wide
  double min_box_width = 3;      // by time: a span too short to see stays visible
  double max_width = 40000;      // by time: the scale shrinks to keep the drawing this wide
  double tick_spacing = 90;      // the least distance between two axis ticks
  double tick_label_width = 48;  // room right of the last tick for its label
};

struct BoxPlace {
  double x = 0;
  double width = 0;
};

struct AxisTick {
  double x = 0;
  std::string label;  // "12", or "1.5 µs"
};

struct TimelineGeometry {
  bool measured = false;
  std::vector<BoxPlace> boxes;  // one per box
  std::vector<AxisTick> ticks;
  double width = 0;  // of the whole drawing, margins included
  std::string axis_title;
};

TimelineGeometry place_boxes(const Timeline& t, const LayoutMetrics& m = {});

}  // namespace schedcheck
