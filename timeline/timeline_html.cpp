#include "timeline/timeline_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "timeline/timeline_layout.hpp"

namespace schedcheck {
namespace {

// Rows: an axis on top, then one lane per agent.
constexpr double kAxisHeight = 30;
constexpr double kLaneHeight = 56;
constexpr double kBoxHeight = 32;
constexpr double kLabelWidth = 240;  // the lane names, left of the scrolling drawing
constexpr double kCharWidth = 6.4;   // of the 11px box labels, to leave out those that do not fit

// The race colour is used for the racing pairs, their missing edges and their legend only.
constexpr const char* kStyle = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 14px 0 6px; }
pre { font: 12px/1.35 ui-monospace, monospace; margin: 0; white-space: pre-wrap; }
.verdict { padding: 1px 8px; border: 1px solid #444; border-radius: 4px; }
.clean { color: #2b6e2b; }
details { margin: 2px 0; }
summary { cursor: pointer; font: 12px/1.5 ui-monospace, monospace; }
details pre { margin: 4px 0 8px 22px; padding: 6px 8px; background: #f6f6f6; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; }
.swatch.race { background: #d62728; }
.swatch.stale { background: #8c564b; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0; font-size: 13px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.note { font-size: 13px; color: #444; margin: 4px 0; max-width: 1100px; }
.timeline { display: flex; border: 1px solid #ccc; margin-top: 10px; }
.scroll { overflow-x: auto; flex: 1; }
svg text { font-family: ui-monospace, monospace; }
.lane-bg.odd { fill: #f4f4f4; }
.lane-bg.even { fill: #fff; }
.lane-name { font: 12px system-ui, sans-serif; fill: #222; }
.tick { font-size: 10px; fill: #666; }
.grid { stroke: #e4e4e4; }
.box rect { stroke: #555; stroke-width: 1; }
.box text { font-size: 11px; fill: #111; text-anchor: middle; pointer-events: none; }
.box text.sub { font-size: 9.5px; fill: #444; }
.k-graph rect { fill: #9ecae1; }
.k-copy rect { fill: #a1d99b; }
.k-host rect { fill: #fdd0a2; }
.k-record rect { fill: #bcbddc; }
.k-wait rect, .k-sync rect { fill: #d9d9d9; }
.noeffect rect { fill: #fff; stroke-dasharray: 3 2; }
.hl-race rect { fill: #d62728; stroke: #7f0000; stroke-width: 2; }
.hl-stale rect { fill: #8c564b; stroke: #3b1f1a; stroke-width: 2; }
.hl-race text, .hl-stale text, .hl-race text.sub, .hl-stale text.sub { fill: #fff; }
.edge path { fill: none; }
.edge path.hit { stroke: transparent; stroke-width: 8; }
.e-event path.line { stroke: #6a51a3; stroke-width: 1.3; opacity: 0.75; }
.e-sync path.line { stroke: #636363; stroke-width: 1.3; opacity: 0.75; }
.e-missing path.line { stroke: #d62728; stroke-width: 2.2; stroke-dasharray: 7 4; }
)";

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

const char* kind_class(BoxKind k) {
  switch (k) {
    case BoxKind::graph:
      return "k-graph";
    case BoxKind::copy:
      return "k-copy";
    case BoxKind::host_access:
      return "k-host";
    case BoxKind::record:
      return "k-record";
    case BoxKind::event_wait:
      return "k-wait";
    case BoxKind::synchronize:
      break;
  }
  return "k-sync";
}

const char* edge_class(EdgeKind k) {
  switch (k) {
    case EdgeKind::event:
      return "e-event";
    case EdgeKind::synchronize:
      return "e-sync";
    case EdgeKind::missing:
      break;
  }
  return "e-missing";
}

const char* lane_kind_text(AgentKind k) {
  switch (k) {
    case AgentKind::host:
      return "the host thread: scheduler calls, CPU splits, memcpys";
    case AgentKind::queue:
      return "a backend's in-order queue";
    case AgentKind::blocking_stream:
      return "a hidden stream of blocking copies, not ordered with the backend queues";
    case AgentKind::transfer_queue:
      break;
  }
  return "a backend's separate transfer queue";
}

double box_top(int lane) {
  return kAxisHeight + lane * kLaneHeight + (kLaneHeight - kBoxHeight) / 2;
}

std::string header(const Timeline& t) {
  std::string out =
      fmt::format("<h1>{} <small>under</small> {} &mdash; <span class=\"verdict\">{}</span></h1>\n",
                  html_escape(t.scenario), html_escape(t.policy), html_escape(t.verdict));
  std::string lines;
  for (const std::string& line : t.header_lines) lines += html_escape(line) + "\n";
  out += "<pre class=\"report\">" + lines + "</pre>\n";
  if (t.clean())
    return out + "<p class=\"clean\">clean: no race and no stale read in this run.</p>\n";
  out += "<h2>Findings (as the text report gives them; open one for its whole entry)</h2>\n";
  for (const TimelineFinding& f : t.findings)
    out += fmt::format(
        "<details><summary><span class=\"swatch {}\"></span>{}{}</summary><pre>{}</pre>"
        "</details>\n",
        f.race ? "race" : "stale", html_escape(f.title), f.drawn ? "" : " (not drawn)",
        html_escape(f.text));
  return out;
}

// A small drawing of a box or an edge for the legend.
std::string legend_item(const std::string& drawing, const std::string& text) {
  return fmt::format("<span><svg width=\"34\" height=\"18\">{}</svg>{}</span>\n", drawing, text);
}

std::string legend_box(const char* classes) {
  return fmt::format(
      "<g class=\"box {}\"><rect x=\"1\" y=\"1\" width=\"32\" height=\"16\" rx=\"3\"/></g>",
      classes);
}

std::string legend_edge(const char* kind) {
  return fmt::format(
      "<g class=\"edge {0}\"><path class=\"line\" d=\"M1 9 H29\" marker-end=\"url(#arrow-{0})\"/>"
      "</g>",
      kind);
}

std::string legend(const Timeline& t) {
  bool race = false, stale = false;
  for (const TimelineFinding& f : t.findings) (f.race ? race : stale) = true;
  std::string out = "<div class=\"legend\">\n";
  out += legend_item(legend_box("k-graph"), "graph launch / CPU split");
  out += legend_item(legend_box("k-copy"), "copy");
  out += legend_item(legend_box("k-host"), "host write or read of a tensor");
  out += legend_item(legend_box("k-record"), "event_record");
  out += legend_item(legend_box("k-wait"), "event wait, synchronize");
  out += legend_item(legend_box("k-wait noeffect"), "wait on a never-recorded event (no effect)");
  out += legend_item(legend_edge("e-event"), "event: record &rarr; the waits that used it");
  out += legend_item(legend_edge("e-sync"), "the host waits for a queue or blocking copy");
  if (race) {
    out += legend_item(legend_box("hl-race"), "racing pair");
    out += legend_item(legend_edge("e-missing"), "missing happens-before edge");
  }
  if (stale) out += legend_item(legend_box("hl-stale"), "stale read, and the write it saw");
  return out + "</div>\n";
}

std::string layout_note(const Timeline& t, const TimelineGeometry& g) {
  if (g.measured)
    return "Across: measured time. A box without a measured time is drawn as a thin mark where "
           "what it comes after ends.";
  return fmt::format(
      "Across: happens-before layers, as early as possible: a box is one layer after the "
      "previous box of its lane, the host call that issued it, and the record or queue it waits "
      "for. Every happens-before edge points right; boxes in one column are unordered{}. Hover "
      "over a box or an arrow for its details.",
      t.clean() ? ""
                : ", and a race's missing edge may point left or straight up or down: nothing "
                  "orders its two boxes");
}

std::string markers() {
  std::string out = "<defs>";
  for (const auto& [kind, colour] :
       {std::pair{"e-event", "#6a51a3"}, {"e-sync", "#636363"}, {"e-missing", "#d62728"}})
    out += fmt::format(
        "<marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
        "markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
        "L0,10 z\" fill=\"{}\"/></marker>",
        kind, colour);
  return out + "</defs>\n";
}

std::string lane_names(const Timeline& t, const TimelineGeometry& g, double height) {
  std::string out = fmt::format(
      "<svg class=\"lanes\" width=\"{}\" height=\"{}\">\n<text class=\"tick\" x=\"8\" "
      "y=\"18\">across: {}</text>\n",
      num(kLabelWidth), num(height), html_escape(g.axis_title));
  for (std::size_t i = 0; i < t.lanes.size(); ++i) {
    const double y = kAxisHeight + static_cast<double>(i) * kLaneHeight;
    out += fmt::format(
        "<g><title>{}: {}</title><rect class=\"lane-bg {}\" x=\"0\" y=\"{}\" width=\"{}\" "
        "height=\"{}\"/><text class=\"lane-name\" x=\"8\" y=\"{}\">{}</text></g>\n",
        html_escape(t.lanes[i].name), html_escape(lane_kind_text(t.lanes[i].kind)),
        i % 2 ? "even" : "odd", num(y), num(kLabelWidth), num(kLaneHeight),
        num(y + kLaneHeight / 2 + 4), html_escape(t.lanes[i].name));
  }
  return out + "</svg>\n";
}

std::string axis(const TimelineGeometry& g, double height) {
  std::string out;
  for (const AxisTick& tick : g.ticks)
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text class=\"tick\" "
        "x=\"{3}\" y=\"18\">{4}</text>\n",
        num(tick.x), num(kAxisHeight - 6), num(height), num(tick.x + 3), html_escape(tick.label));
  return out;
}

std::string box_svg(const Box& b, const BoxPlace& p) {
  std::string classes = kind_class(b.kind);
  if (!b.effective) classes += " noeffect";
  if (b.highlight == Highlight::race) classes += " hl-race";
  if (b.highlight == Highlight::stale) classes += " hl-stale";
  const double y = box_top(b.lane);
  std::string out = fmt::format(
      "<g class=\"box {}\" id=\"t{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" "
      "height=\"{}\" rx=\"3\"/>",
      classes, b.trace_index, html_escape(b.details), num(p.x), num(y), num(p.width),
      num(kBoxHeight));
  const double cx = p.x + p.width / 2;
  const auto fits = [&](const std::string& s) {
    return static_cast<double>(s.size()) * kCharWidth + 4 <= p.width;
  };
  if (fits(b.label))
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", num(cx), num(y + 13),
                       html_escape(b.label));
  if (fits(b.sublabel))
    out += fmt::format("<text class=\"sub\" x=\"{}\" y=\"{}\">{}</text>", num(cx), num(y + 26),
                       html_escape(b.sublabel));
  return out + "</g>\n";
}

// An edge routed through the gaps between lanes, so that it crosses few boxes: out of the side
// of the source that faces the target's lane, along the gap next to the target, into the target.
// Within one lane: an arc over the top. `spread` shifts it within the gap, so that edges sharing
// a gap stay apart.
std::string edge_path(const Box& a, const BoxPlace& pa, const Box& b, const BoxPlace& pb,
                      double spread) {
  const double ay = box_top(a.lane), by = box_top(b.lane);
  const double gap = (kLaneHeight - kBoxHeight) / 2;  // from a box to its lane's edge
  if (a.lane == b.lane) {
    const double x1 = pa.x + pa.width * 0.75, x2 = pb.x + pb.width * 0.25;
    const double top = ay - gap - spread;
    return fmt::format("M{} {} C{} {} {} {} {} {}", num(x1), num(ay), num(x1), num(top), num(x2),
                       num(top), num(x2), num(by));
  }
  const bool down = b.lane > a.lane;
  const double sx = pa.x + pa.width / 2, tx = pb.x + pb.width / 2;
  const double sy = down ? ay + kBoxHeight : ay, ty = down ? by : by + kBoxHeight;
  const double run = down ? by - gap + spread : by + kBoxHeight + gap - spread;
  const double r = std::min(5.0, std::abs(tx - sx) / 2);  // rounded corners
  const double dir = tx >= sx ? 1 : -1, vdir = down ? 1 : -1;
  return fmt::format("M{} {} V{} Q{} {} {} {} H{} Q{} {} {} {} V{}", num(sx), num(sy),
                     num(run - vdir * r), num(sx), num(run), num(sx + dir * r), num(run),
                     num(tx - dir * r), num(tx), num(run), num(tx), num(run + vdir * r), num(ty));
}

std::string edge_svg(const Timeline& t, const TimelineGeometry& g, std::size_t index) {
  const Edge& e = t.edges[index];
  const double spread = static_cast<double>(index % 4) * 3 - 4.5;
  const std::string d =
      edge_path(t.boxes[e.from], g.boxes[e.from], t.boxes[e.to], g.boxes[e.to], spread);
  const char* kind = edge_class(e.kind);
  return fmt::format(
      "<g class=\"edge {0}\"><title>{1}</title><path class=\"hit\" d=\"{2}\"/><path "
      "class=\"line\" d=\"{2}\" marker-end=\"url(#arrow-{0})\"/></g>\n",
      kind, html_escape(e.details), d);
}

std::string drawing(const Timeline& t, const TimelineGeometry& g) {
  const double height = kAxisHeight + static_cast<double>(t.lanes.size()) * kLaneHeight;
  std::string out = "<div class=\"timeline\">\n" + lane_names(t, g, height);
  out += fmt::format("<div class=\"scroll\"><svg class=\"plot\" width=\"{}\" height=\"{}\">\n",
                     num(g.width), num(height));
  out += markers();
  for (std::size_t i = 0; i < t.lanes.size(); ++i)
    out +=
        fmt::format("<rect class=\"lane-bg {}\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
                    i % 2 ? "even" : "odd", num(kAxisHeight + static_cast<double>(i) * kLaneHeight),
                    num(g.width), num(kLaneHeight));
  out += axis(g, height);
  for (std::size_t i = 0; i < t.boxes.size(); ++i) out += box_svg(t.boxes[i], g.boxes[i]);
  // Ordering edges over the boxes, the missing ones last so that nothing hides them.
  for (std::size_t i = 0; i < t.edges.size(); ++i)
    if (t.edges[i].kind != EdgeKind::missing) out += edge_svg(t, g, i);
  for (std::size_t i = 0; i < t.edges.size(); ++i)
    if (t.edges[i].kind == EdgeKind::missing) out += edge_svg(t, g, i);
  return out + "</svg></div>\n</div>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters are not allowed in HTML text; newlines and tabs are kept.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += "\xEF\xBF\xBD";
        else
          out += c;
    }
  }
  return out;
}

std::string timeline_html(const Timeline& t) {
  const TimelineGeometry g = place_boxes(t);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>schedcheck "
      "timeline: {} under {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      html_escape(t.scenario), html_escape(t.policy), kStyle);
  out += header(t);
  out += legend(t);
  out += "<p class=\"note\">" + html_escape(layout_note(t, g)) + "</p>\n";
  for (const std::string& note : t.notes)
    out += "<p class=\"note\">" + html_escape(note) + "</p>\n";
  out += drawing(t, g);
  return out + "</body>\n</html>\n";
}

}  // namespace schedcheck
