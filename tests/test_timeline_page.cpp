// The timeline page: placement by layer or by measured time (timeline/timeline_layout), the
// HTML (self-contained, escaped, the report's lines, highlights only where findings are), and
// `--timeline` on replay, advise and check, which never overwrite a file the user has.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "driver/scenario_file.hpp"
#include "sim/report_writer.hpp"
#include "tests/support/builtin_policy.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/run_command.hpp"
#include "timeline/timeline_builder.hpp"
#include "timeline/timeline_html.hpp"
#include "timeline/timeline_layout.hpp"

namespace schedcheck::testing {
namespace {

namespace fs = std::filesystem;

Box box_on(int lane, std::vector<int> after, std::optional<MeasuredSpan> measured = {}) {
  Box b;
  b.lane = lane;
  b.label = "cpy";
  b.after = std::move(after);
  b.measured = measured;
  return b;
}

// Synthetic measured times, as a GPU run will give them.
Timeline measured_timeline() {
  Timeline t;
  t.lanes = {{AgentKind::host, "HOST"}, {AgentKind::queue, "CUDA0"}};
  t.boxes.push_back(box_on(0, {}, MeasuredSpan{1000, 2000}));
  t.boxes.push_back(box_on(1, {0}, MeasuredSpan{1500, 4000}));
  t.boxes.push_back(box_on(0, {0, 1}));  // no time: a mark where box 1 ends
  t.boxes.push_back(box_on(1, {1}, MeasuredSpan{5000, 6000}));
  return t;
}

TEST(TimelineLayout, ByLayerPutsEachColumnAtItsPlace) {
  Timeline t;
  t.lanes = {{AgentKind::host, "HOST"}};
  for (int c : {0, 1, 4}) {
    t.boxes.push_back(box_on(0, {}));
    t.boxes.back().column = c;
  }
  const LayoutMetrics m;
  const TimelineGeometry g = place_boxes(t, m);
  EXPECT_FALSE(g.measured);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(g.boxes[i].x, m.margin + t.boxes[i].column * m.column_width);
    EXPECT_DOUBLE_EQ(g.boxes[i].width, m.box_width);
  }
  EXPECT_DOUBLE_EQ(g.width, 2 * m.margin + 5 * m.column_width);
  ASSERT_FALSE(g.ticks.empty());
  EXPECT_EQ(g.ticks[0].label, "0");
}

TEST(TimelineLayout, ByMeasuredTimeBoxesArePlacedAndSizedByTheirSpans) {
  const Timeline t = measured_timeline();
  ASSERT_TRUE(t.measured());
  const LayoutMetrics m;
  const TimelineGeometry g = place_boxes(t, m);
  ASSERT_TRUE(g.measured);
  // The median span (1 µs) is drawn target_box_width wide: 0.06 px per ns from the first start.
  const double scale = m.target_box_width / 1000;
  EXPECT_DOUBLE_EQ(g.boxes[0].x, m.margin);
  EXPECT_DOUBLE_EQ(g.boxes[0].width, 1000 * scale);
  EXPECT_DOUBLE_EQ(g.boxes[1].x, m.margin + 500 * scale);
  EXPECT_DOUBLE_EQ(g.boxes[1].width, 2500 * scale);
  EXPECT_DOUBLE_EQ(g.boxes[2].x, m.margin + 3000 * scale);  // when box 1, its latest, ends
  EXPECT_DOUBLE_EQ(g.boxes[2].width, m.min_box_width);
  EXPECT_DOUBLE_EQ(g.boxes[3].x, m.margin + 4000 * scale);
  EXPECT_DOUBLE_EQ(g.width, m.margin + 5000 * scale + m.margin);
  // Ticks 1, 2 or 5 times a power of ten, at least tick_spacing apart: every 2 µs.
  std::vector<std::string> labels;
  for (const AxisTick& tick : g.ticks) labels.push_back(tick.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"0 µs", "2 µs", "4 µs"}));
  EXPECT_DOUBLE_EQ(g.ticks[1].x - g.ticks[0].x, 2000 * scale);
  EXPECT_NE(g.axis_title.find("time"), std::string::npos);
}

TEST(TimelineLayout, LongMeasuredRunsAreScaledIntoTheWidthWithTicksInMilliseconds) {
  Timeline t;
  t.lanes = {{AgentKind::queue, "CUDA0"}};
  for (int64_t i = 0; i < 1000; ++i)
    t.boxes.push_back(box_on(0, {}, MeasuredSpan{i * 1'000'000, i * 1'000'000 + 500'000}));
  LayoutMetrics m;
  m.max_width = 5000;
  const TimelineGeometry g = place_boxes(t, m);
  EXPECT_LE(g.width, m.max_width + m.min_box_width);  // a last span too short to see is widened
  EXPECT_LT(g.boxes[0].x, g.boxes[1].x);
  ASSERT_GE(g.ticks.size(), 2u);
  EXPECT_GE(g.ticks[1].x - g.ticks[0].x, m.tick_spacing);
  EXPECT_TRUE(g.ticks[1].label.ends_with(" ms")) << g.ticks[1].label;
}

TEST(TimelineHtml, AMeasuredTimelineIsDrawnOnATimeAxis) {
  const std::string page = timeline_html(measured_timeline());
  EXPECT_NE(page.find("across: time since the first start"), std::string::npos);
  EXPECT_NE(page.find(">2 µs</text>"), std::string::npos);
  EXPECT_EQ(page.find("happens-before layer"), std::string::npos);
}

TEST(TimelineHtml, EveryTextIsEscaped) {
  Timeline t;
  t.scenario = "<scenario & \"name\">";
  t.policy = "p'olicy";
  t.verdict = "race";
  t.header_lines = {"== <scenario> =="};
  t.lanes = {{AgentKind::host, "<lane>"}};
  Box b = box_on(0, {});
  b.label = "a<b";
  b.details = "</title><script>alert(1)</script>";
  b.highlight = Highlight::race;
  t.boxes = {b};
  t.findings = {{1, true, "[1] <race> & more", "</pre><b>", true}};
  const std::string page = timeline_html(t);
  for (const char* escaped :
       {"&lt;scenario &amp; &quot;name&quot;&gt;", "p&#39;olicy", "&lt;lane&gt;", ">a&lt;b<",
        "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "[1] &lt;race&gt; &amp; more",
        "&lt;/pre&gt;&lt;b&gt;"})
    EXPECT_NE(page.find(escaped), std::string::npos) << escaped;
  for (const char* raw : {"<script", "<lane>", "<b>", "a<b<"})
    EXPECT_EQ(page.find(raw), std::string::npos) << raw;
  EXPECT_EQ(html_escape(std::string("a\x01"
                                    "b\nc\td")),
            "a\xEF\xBF\xBD"
            "b\nc\td");
}

std::string page_of(const std::string& policy_name, PolicyVerdict* verdict = nullptr) {
  const std::string file = canonical_path("two-gpu-pp");
  const Scenario s = load_scenario_file(file);
  const ReplayResult r = replay(s, policy(policy_name));
  const PolicyVerdict v = explain(r);
  if (verdict) *verdict = v;
  return timeline_html(build_timeline(r, v, {s.name, file}));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(TimelineHtml, ThePageIsSelfContained) {
  const std::string page = page_of("ggml-17795");
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  for (const char* external : {"http://", "https://", "src=", "href=", "<script", "<link",
                               "@import", "<img", "<iframe", "<object"})
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  // url() only names markers of the page itself.
  EXPECT_EQ(occurrences(page, "url("), occurrences(page, "url(#"));
}

TEST(TimelineHtml, TheHeaderAndFindingsAreTheTextReportsLines) {
  PolicyVerdict v;
  const std::string page = page_of("ggml-17795", &v);
  const std::string file = canonical_path("two-gpu-pp");
  const ReportContext ctx{"two-gpu-pp", file};
  for (const std::string& line : header_lines(ctx, v))
    EXPECT_NE(page.find(html_escape(line)), std::string::npos) << line;
  const std::string text = format_text(ctx, v);
  std::istringstream lines(text);
  int titles = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("[")) continue;
    ++titles;
    EXPECT_NE(page.find("</span>" + html_escape(line) + "</summary>"), std::string::npos) << line;
  }
  EXPECT_EQ(titles, 7);
  EXPECT_NE(page.find(html_escape("missing edge: CUDA0 #6 (cpy_tensor_async) -> HOST #30")),
            std::string::npos);
  EXPECT_EQ(occurrences(page, "class=\"edge e-missing\"><title>"), 7u);  // not the legend's
  EXPECT_GE(occurrences(page, " hl-race\""), 7u);
  EXPECT_NE(page.find("racing pair"), std::string::npos);
}

TEST(TimelineHtml, ACleanRunSaysCleanAndHighlightsNothing) {
  const std::string page = page_of("ggml-20793");
  EXPECT_NE(page.find("clean: no race and no stale read"), std::string::npos);
  EXPECT_NE(page.find("verdict: CLEAN"), std::string::npos);
  for (const char* absent :
       {"hl-race\"", "hl-stale\"", "edge e-missing", "racing pair", "<details>"})
    EXPECT_EQ(page.find(absent), std::string::npos) << absent;
}

// --timeline from the command line.

TEST(TimelineCommand, ReplayWritesThePageAndPrintsTheSameReport) {
  const fs::path out = scratch_dir("timeline-replay") / "two-gpu-pp.html";
  fs::remove(out);
  const std::string args = "replay '" + canonical_path("two-gpu-pp") + "' --policy ggml-17795";
  const CommandResult plain = run_schedcheck(args);
  const CommandResult r = run_schedcheck(args + " --timeline '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, plain.out);
  EXPECT_NE(r.err.find("wrote " + out.string()), std::string::npos) << r.err;
  EXPECT_EQ(read_all(out), page_of("ggml-17795"));
  fs::remove(out);
}

TEST(TimelineCommand, ReplayRefusesSeveralPoliciesAndAnExistingFile) {
  const fs::path dir = scratch_dir("timeline-refuse");
  const fs::path out = dir / "new.html";
  fs::remove(out);
  const std::string replay = "replay '" + canonical_path("two-gpu-pp") + "'";
  const CommandResult all = run_schedcheck(replay + " --timeline '" + out.string() + "'");
  expect_bad_input(all, "give --policy NAME (not 'all')");
  EXPECT_FALSE(fs::exists(out));
  const fs::path taken = dir / "taken.html";
  { std::ofstream(taken) << "keep me\n"; }
  const CommandResult exists =
      run_schedcheck(replay + " --policy ggml-17795 --timeline '" + taken.string() + "'");
  expect_bad_input(exists, "the file exists; choose a new name");
  EXPECT_EQ(read_all(taken), "keep me\n");
  fs::remove_all(dir);
}

TEST(TimelineCommand, AdviseWritesThePageAndKeepsAnExistingFile) {
  const fs::path dir = scratch_dir("timeline-advise");
  const fs::path out = dir / "advise.html";
  fs::remove(out);
  const std::string advise = "advise '" + canonical_path("two-gpu-pp") + "' --policy ggml-17795";
  const CommandResult r = run_schedcheck(advise + " --timeline '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(read_all(out), page_of("ggml-17795"));
  { std::ofstream(out) << "keep me\n"; }
  expect_bad_input(run_schedcheck(advise + " --timeline '" + out.string() + "'"), "exists");
  EXPECT_EQ(read_all(out), "keep me\n");
  fs::remove_all(dir);
}

TEST(TimelineCommand, CheckWritesAPageBesideEverySavedCounterexample) {
  const fs::path dir = scratch_dir("timeline-check") / "out";
  fs::remove_all(dir);
  const std::string args =
      "check --policy ggml-17795 --seed 1 --save '" + dir.string() + "' --timeline";
  const CommandResult r = run_schedcheck(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<fs::path> saved;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".json") saved.push_back(f.path());
  ASSERT_FALSE(saved.empty());
  for (const fs::path& json : saved) {
    const fs::path html = fs::path(json).replace_extension(".html");
    ASSERT_TRUE(fs::exists(html)) << html;
    const std::string page = read_all(html);
    EXPECT_NE(page.find("under ggml-17795"), std::string::npos);
    EXPECT_TRUE(page.find(" hl-race\"") != std::string::npos ||
                page.find(" hl-stale\"") != std::string::npos);
    EXPECT_NE(r.out.find("timeline: " + html.string()), std::string::npos) << r.out;
  }
  // The same run again finds the same pages there; a page the user changed is kept, and the
  // run stops.
  EXPECT_EQ(run_schedcheck(args).exit_code, 1);
  const fs::path html = fs::path(saved[0]).replace_extension(".html");
  { std::ofstream(html) << "keep me\n"; }
  expect_bad_input(run_schedcheck(args), "not overwriting it");
  EXPECT_EQ(read_all(html), "keep me\n");
  fs::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace schedcheck::testing
