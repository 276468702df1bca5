#include "timeline/timeline_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "sim/report_naming.hpp"
#include "sim/report_text.hpp"
#include "timeline/box_text.hpp"

namespace schedcheck {
namespace {

void add_after(Box& box, int before) {
  if (before >= 0 && std::find(box.after.begin(), box.after.end(), before) == box.after.end())
    box.after.push_back(before);
}

// The direct happens-before predecessors of every box and the edges that carry happens-before
// across lanes, by the rules of sim/semantics_engine: an entry comes after the previous one of
// its agent and after everything the host knew when it issued it (the host's last entry, or a
// blocking copy the host waited for); a wait comes after the record or the queue it waits for.
void order_boxes(const ReplayResult& r, Timeline& t) {
  const ExecutionLayout& layout = r.run.layout;
  std::vector<int> last_on(layout.agents.size(), -1);
  std::vector<int> last_record(layout.events.size(), -1);
  const std::string& host = layout.agents[kHostAgent].name;
  int host_tail = -1;  // the latest entry the host has joined
  bool tail_is_blocking_copy = false;
  for (int i = 0; i < static_cast<int>(r.trace.size()); ++i) {
    const TraceEntry& e = r.trace[i];
    Box& box = t.boxes[i];
    const AgentKind agent = layout.agents[e.agent].kind;
    add_after(box, last_on[e.agent]);
    add_after(box, host_tail);
    if (tail_is_blocking_copy) {
      // The hidden stream is synchronized inside the copy's call, before the host goes on.
      t.edges.push_back({EdgeKind::synchronize, host_tail, i,
                         fmt::format("{} waited for the blocking copy #{} (inside its call) "
                                     "before issuing #{}",
                                     host, host_tail, i)});
      tail_is_blocking_copy = false;
    }
    if (e.kind == TraceKind::wait_queue) {
      const int last = last_on[e.target];
      add_after(box, last);
      if (last >= 0)
        t.edges.push_back({EdgeKind::synchronize, last, i,
                           fmt::format("{} waits for {} (synchronize at #{}): its work up to #{}",
                                       host, layout.agents[e.target].name, i, last)});
    } else if ((e.kind == TraceKind::wait_event || e.kind == TraceKind::host_wait_event) &&
               e.effective) {
      const int record = last_record[e.event];
      add_after(box, record);
      if (record >= 0)
        t.edges.push_back(
            {EdgeKind::event, record, i,
             fmt::format("{} = {}: recorded at #{}, {} at #{}", event_label(e.event),
                         layout.events[e.event].name, record,
                         e.kind == TraceKind::wait_event
                             ? fmt::format("waited for by {}", layout.agents[e.agent].name)
                             : std::string("waited for by the host (event_synchronize)"),
                         i)});
    } else if (e.kind == TraceKind::record) {
      last_record[e.event] = i;
    }
    for (int before : box.after) box.column = std::max(box.column, t.boxes[before].column + 1);
    last_on[e.agent] = i;
    const bool blocking_copy = e.kind == TraceKind::access && agent == AgentKind::blocking_stream;
    if (agent == AgentKind::host || blocking_copy) {
      host_tail = i;
      tail_is_blocking_copy = blocking_copy;
    }
  }
}

void mark_access(Box& box, const TimelineFinding& f, const char* role, const std::string& agent) {
  if (f.race)
    box.highlight = Highlight::race;
  else if (box.highlight == Highlight::none)
    box.highlight = Highlight::stale;
  box.findings.push_back(f.number);
  box.details += fmt::format("\nfinding [{}]: the '{}' access of {}{}", f.number, role,
                             f.title.substr(f.title.find(' ') + 1),
                             agent.empty() ? "" : fmt::format(" (by {})", agent));
}

// Each finding of the report: its lines, its two accesses highlighted (the occurrence the report
// shows), its missing edge.
void add_findings(const PolicyVerdict& v, const ReportContext& ctx, Timeline& t) {
  for (std::size_t i = 0; i < v.groups.size(); ++i) {
    const FindingGroup& g = v.groups[i];
    TimelineFinding f;
    f.number = static_cast<int>(i) + 1;
    f.race = is_race(g.first.kind);
    f.title = finding_title(v, i);
    f.text = finding_text(ctx, v, i);
    const bool stale = !f.race;
    if (g.first_access.exists())
      mark_access(t.boxes[g.first_access.trace_index], f, stale ? "wrote" : "first",
                  g.first_access.agent);
    if (g.second_access.exists())
      mark_access(t.boxes[g.second_access.trace_index], f, stale ? "read" : "then",
                  g.second_access.agent);
    if (g.missing_edge)
      t.edges.push_back(
          {EdgeKind::missing, g.missing_edge->from.trace_index, g.missing_edge->to.trace_index,
           fmt::format("finding [{}]: missing edge: {}", f.number, to_text(g.missing_edge)),
           f.number});
    t.findings.push_back(std::move(f));
  }
}

// The evaluations a long trace keeps: those holding a finding's accesses, or, for a clean run,
// the first ones that fit.
std::set<int> kept_evaluations(const Timeline& t, std::size_t max_boxes) {
  std::set<int> kept;
  for (const Box& b : t.boxes)
    if (b.highlight != Highlight::none) kept.insert(b.eval);
  if (!kept.empty()) return kept;
  std::map<int, std::size_t> per_eval;
  for (const Box& b : t.boxes) ++per_eval[b.eval];
  std::size_t boxes = 0;
  for (const auto& [eval, count] : per_eval) {
    if (!kept.empty() && boxes + count > max_boxes) break;
    kept.insert(eval);
    boxes += count;
  }
  return kept;
}

// Keeps the boxes of `kept` evaluations: indices, edges and columns renumbered (columns keep
// their order, so the layering stays one of happens-before).
void keep_only(Timeline& t, const std::set<int>& kept, int evaluations, std::size_t max_boxes) {
  const std::size_t total = t.boxes.size();
  std::vector<int> index(total, -1);
  std::vector<Box> boxes;
  for (std::size_t i = 0; i < total; ++i)
    if (kept.contains(t.boxes[i].eval)) {
      index[i] = static_cast<int>(boxes.size());
      boxes.push_back(std::move(t.boxes[i]));
    }
  std::set<int> columns;
  for (Box& b : boxes) {
    std::vector<int> after;
    for (int before : b.after)
      if (index[before] >= 0) after.push_back(index[before]);
    b.after = std::move(after);
    columns.insert(b.column);
  }
  const std::vector<int> ranked(columns.begin(), columns.end());
  for (Box& b : boxes)
    b.column =
        static_cast<int>(std::lower_bound(ranked.begin(), ranked.end(), b.column) - ranked.begin());
  std::vector<Edge> edges;
  for (Edge& e : t.edges)
    if (index[e.from] >= 0 && index[e.to] >= 0) {
      e.from = index[e.from];
      e.to = index[e.to];
      edges.push_back(std::move(e));
    }
  t.edges = std::move(edges);
  t.boxes = std::move(boxes);
  for (TimelineFinding& f : t.findings) f.drawn = false;
  for (const Box& b : t.boxes)
    for (int n : b.findings) t.findings[n - 1].drawn = true;
  std::string evaluation_list;
  for (int e : kept) evaluation_list += (evaluation_list.empty() ? "" : ", ") + std::to_string(e);
  t.notes.push_back(fmt::format(
      "{} of the {} trace entries are drawn, those of evaluation{} {} of 0..{} ({}): the trace "
      "has more than {} entries",
      t.boxes.size(), total, kept.size() == 1 ? "" : "s", evaluation_list, evaluations - 1,
      t.findings.empty() ? "the first ones" : "the ones where the report shows a finding",
      max_boxes));
}

}  // namespace

Timeline build_timeline(const ReplayResult& replay, const PolicyVerdict& verdict,
                        const ReportContext& context, const TimelineOptions& options) {
  if (!options.measured.empty() && options.measured.size() != replay.trace.size())
    throw std::invalid_argument(fmt::format("timeline: {} measured spans for a trace of {} entries",
                                            options.measured.size(), replay.trace.size()));
  const ReportNaming naming(replay);
  Timeline t;
  t.scenario = context.scenario_name;
  t.policy = verdict.policy;
  t.verdict = to_string(verdict.verdict);
  t.header_lines = header_lines(context, verdict);
  for (const Agent& a : replay.run.layout.agents) t.lanes.push_back({a.kind, a.name});
  for (int i = 0; i < static_cast<int>(replay.trace.size()); ++i) {
    const TraceEntry& e = replay.trace[i];
    BoxText text = box_text(naming, i);
    Box b;
    b.trace_index = i;
    b.lane = e.agent;
    b.kind = text.kind;
    // The engine marks every sync entry; only a wait on a never-recorded event waits for nothing.
    b.effective =
        e.effective || (e.kind != TraceKind::wait_event && e.kind != TraceKind::host_wait_event);
    b.eval = e.site().eval;
    b.label = std::move(text.label);
    b.sublabel = std::move(text.sublabel);
    b.details = std::move(text.details);
    if (!options.measured.empty()) b.measured = options.measured[i];
    t.boxes.push_back(std::move(b));
  }
  order_boxes(replay, t);
  add_findings(verdict, context, t);
  for (TimelineFinding& f : t.findings) f.drawn = true;
  if (t.boxes.size() > options.max_boxes)
    keep_only(t, kept_evaluations(t, options.max_boxes), verdict.evaluations, options.max_boxes);
  return t;
}

}  // namespace schedcheck
