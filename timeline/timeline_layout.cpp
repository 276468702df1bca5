#include "timeline/timeline_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace schedcheck {
namespace {

TimelineGeometry by_layer(const Timeline& t, const LayoutMetrics& m) {
  TimelineGeometry g;
  g.axis_title = "happens-before layer";
  int columns = 0;
  for (const Box& b : t.boxes) {
    g.boxes.push_back({m.margin + b.column * m.column_width, m.box_width});
    columns = std::max(columns, b.column + 1);
  }
  const int every = std::max(1, static_cast<int>(std::ceil(m.tick_spacing / m.column_width)));
  for (int c = 0; c < columns; c += every)
    g.ticks.push_back({m.margin + c * m.column_width, std::to_string(c)});
  g.width = 2 * m.margin + columns * m.column_width;
  return g;
}

// Spans in ns from the first measured start; unmeasured boxes start when what they come after
// ends.
std::vector<MeasuredSpan> spans_from_origin(const Timeline& t) {
  int64_t origin = std::numeric_limits<int64_t>::max();
  for (const Box& b : t.boxes)
    if (b.measured) origin = std::min(origin, b.measured->start_ns);
  std::vector<MeasuredSpan> spans;
  for (const Box& b : t.boxes) {
    MeasuredSpan s;
    if (b.measured) {
      s = {b.measured->start_ns - origin, b.measured->end_ns - origin};
    } else {
      for (int before : b.after) s.start_ns = std::max(s.start_ns, spans[before].end_ns);
      s.end_ns = s.start_ns;
    }
    s.end_ns = std::max(s.end_ns, s.start_ns);
    spans.push_back(s);
  }
  return spans;
}

// Pixels per ns: the median measured span about target_box_width wide, within max_width.
double time_scale(const Timeline& t, const std::vector<MeasuredSpan>& spans,
                  const LayoutMetrics& m) {
  std::vector<int64_t> durations;
  int64_t end = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    end = std::max(end, spans[i].end_ns);
    if (t.boxes[i].measured && spans[i].end_ns > spans[i].start_ns)
      durations.push_back(spans[i].end_ns - spans[i].start_ns);
  }
  const double usable = m.max_width - 2 * m.margin - m.tick_label_width;
  double scale = 1;
  if (!durations.empty()) {
    std::nth_element(durations.begin(), durations.begin() + durations.size() / 2, durations.end());
    scale = m.target_box_width / static_cast<double>(durations[durations.size() / 2]);
  } else if (end > 0) {
    scale = usable / 4 / static_cast<double>(end);
  }
  if (end > 0 && end * scale > usable) scale = usable / static_cast<double>(end);
  return scale;
}

// "1.5 µs": a tick's time in the unit of the tick step.
std::string time_label(int64_t ns, int64_t step) {
  const char* unit = "ns";
  double divisor = 1;
  if (step >= 1'000'000'000) {
    unit = "s";
    divisor = 1e9;
  } else if (step >= 1'000'000) {
    unit = "ms";
    divisor = 1e6;
  } else if (step >= 1'000) {
    unit = "µs";
    divisor = 1e3;
  }
  return fmt::format("{:g} {}", static_cast<double>(ns) / divisor, unit);
}

TimelineGeometry by_time(const Timeline& t, const LayoutMetrics& m) {
  TimelineGeometry g;
  g.measured = true;
  g.axis_title = "time since the first start";
  const std::vector<MeasuredSpan> spans = spans_from_origin(t);
  const double scale = time_scale(t, spans, m);
  double right = m.margin;
  int64_t end = 0;
  for (const MeasuredSpan& s : spans) {
    const BoxPlace p{m.margin + static_cast<double>(s.start_ns) * scale,
                     std::max(m.min_box_width, static_cast<double>(s.end_ns - s.start_ns) * scale)};
    g.boxes.push_back(p);
    right = std::max(right, p.x + p.width);
    end = std::max(end, s.end_ns);
  }
  // The step: 1, 2 or 5 times a power of ten, at least tick_spacing apart.
  int64_t step = 1;
  for (int64_t power = 1; static_cast<double>(step) * scale < m.tick_spacing; power *= 10)
    for (int64_t k : {1, 2, 5}) {
      step = k * power;
      if (static_cast<double>(step) * scale >= m.tick_spacing) break;
    }
  for (int64_t at = 0; at <= end; at += step)
    g.ticks.push_back({m.margin + static_cast<double>(at) * scale, time_label(at, step)});
  g.width = std::max(right + m.margin, g.ticks.back().x + m.tick_label_width);
  return g;
}

}  // namespace

TimelineGeometry place_boxes(const Timeline& t, const LayoutMetrics& m) {
  return t.measured() ? by_time(t, m) : by_layer(t, m);
}

}  // namespace schedcheck
