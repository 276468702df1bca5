#include "import/dump_parser.hpp"

#include <cctype>
#include <charconv>
#include <limits>

#include "import/log_lines.hpp"
#include "import/tensor_names.hpp"

namespace schedcheck::import {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A non-negative int at the front of s (after spaces); advances s.
bool take_int(std::string_view& s, int& out) {
  s = trim(s);
  const char* end = s.data() + s.size();
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || v < 0 || v > std::numeric_limits<int>::max()) return false;
  out = static_cast<int>(v);
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  return true;
}

bool take(std::string_view& s, std::string_view lit) {
  if (!s.starts_with(lit)) return false;
  s.remove_prefix(lit.size());
  return true;
}

// Node lines: refs "name (size) [backend cause]" one after the other, with " use=U,c=C:" or
// ":" after the first (the node itself). Names may hold parentheses ("k-0 (view)"), so a ref is
// found from its end: a size in parentheses right before " [".
struct RefScan {
  std::vector<TensorRef> refs;
  std::vector<std::size_t> ends;  // position after each ref's "]"
};

constexpr std::size_t kMaxSizeText = 16;  // "(%5.5s)" with some slack for edited pastes

bool scan_refs(std::string_view s, RefScan& out, std::string& problem) {
  std::size_t cursor = 0;
  while (true) {
    // One forward pass: the size is the text between the last "(" and a ") [" (short: fmt_size
    // prints at most five characters), so hostile lines cost linear time.
    std::size_t open = std::string_view::npos, close = std::string_view::npos;
    DumpSize size;
    for (std::size_t i = cursor; i < s.size(); ++i) {
      if (s[i] == '(') {
        open = i;
      } else if (s[i] == ')' && open != std::string_view::npos && i - open <= kMaxSizeText &&
                 s.substr(i, 3) == ") [" &&
                 parse_dump_size(s.substr(open + 1, i - open - 1), size)) {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) break;
    const std::size_t bracket_end = s.find(']', close + 3);
    if (bracket_end == std::string_view::npos) {
      problem = "a tensor's \"[backend cause]\" is not closed";
      return false;
    }
    std::string_view name = s.substr(cursor, open - cursor);
    // What came before the name: the node's "use=..:" or ":" separator.
    const std::size_t colon = name.find(':');
    if (!out.refs.empty() && colon != std::string_view::npos && out.refs.size() == 1) {
      name.remove_prefix(colon + 1);
    }
    TensorRef ref;
    ref.name = std::string(trim(name));
    ref.size = size;
    const std::string_view bracket = trim(s.substr(close + 3, bracket_end - close - 3));
    const std::size_t space = bracket.find(' ');
    ref.backend = std::string(bracket.substr(0, space));
    if (space != std::string_view::npos) ref.cause = std::string(trim(bracket.substr(space)));
    out.refs.push_back(std::move(ref));
    cursor = bracket_end + 1;
    out.ends.push_back(cursor);
  }
  // After the last ref: nothing, or the node's ":" / " use=U,c=C:" when its sources follow on
  // the next lines.
  const std::string_view rest = trim(s.substr(cursor));
  const bool node_end = rest == ":" || (rest.starts_with("use=") && rest.ends_with(":"));
  if (!rest.empty() && !node_end) {
    problem = "unrecognized text after the last tensor: \"" +
              std::string(trim(s.substr(cursor)).substr(0, 40)) + "\"";
    return false;
  }
  return true;
}

// " use=3,c=1:" between the node and its first source (absent before late 2024).
void read_use_fields(std::string_view between, DumpNode& node) {
  between = trim(between);
  if (take(between, "use=")) {
    int use = 0;
    if (take_int(between, use)) node.use_count = use;
    if (take(between, ",c=")) {
      int c = 0;
      if (take_int(between, c)) node.compute = c;
    }
  }
}

bool parse_node(std::string_view s, DumpNode& node, std::string& problem) {
  if (!take(s, "node #") || !take_int(s, node.index)) {
    problem = "expected \"node #N (OP): \"";
    return false;
  }
  s = trim(s);
  const std::size_t op_end = s.find("):");
  if (!take(s, "(") || op_end == std::string_view::npos) {
    problem = "expected \"(OP):\" after the node number";
    return false;
  }
  node.op = std::string(trim(s.substr(0, op_end - 1)));
  s.remove_prefix(op_end + 1);
  RefScan scan;
  if (!scan_refs(s, scan, problem)) return false;
  if (scan.refs.empty()) {
    problem = "expected the node's \"name (size) [backend cause]\"";
    return false;
  }
  node.self = scan.refs.front();
  const std::size_t after_self = scan.ends.front();
  const std::size_t next = s.find(':', after_self);
  read_use_fields(s.substr(after_self, next == std::string_view::npos ? s.npos : next - after_self),
                  node);
  node.sources.assign(scan.refs.begin() + 1, scan.refs.end());
  return true;
}

// "[name (size)] " entries, with "..." where the user elided some.
bool parse_inputs(std::string_view s, DumpSplit& split, std::string& problem) {
  while (true) {
    s = trim(s);
    if (s.empty()) return true;
    if (take(s, "...") || take(s, "\u2026")) {
      split.inputs_elided = true;
      continue;
    }
    if (!s.starts_with("[")) {
      problem = "unrecognized text among the inputs: \"" + std::string(s.substr(0, 40)) + "\"";
      return false;
    }
    const std::size_t end = s.find(")]");
    const std::size_t open = end == std::string_view::npos ? end : s.rfind('(', end);
    DumpInput in;
    if (end == std::string_view::npos || open == std::string_view::npos || open < 1 ||
        !parse_dump_size(s.substr(open + 1, end - open - 1), in.size)) {
      problem = "an input is not \"[name (size)]\"";
      return false;
    }
    in.name = std::string(trim(s.substr(1, open - 1)));
    split.inputs.push_back(std::move(in));
    s.remove_prefix(end + 2);
  }
}

bool parse_header(std::string_view s, DumpSplit& split, std::string& problem) {
  take(s, "## SPLIT #");
  if (!take_int(s, split.index) || !take(s, ": ")) {
    problem = "expected \"## SPLIT #N: BACKEND # K inputs\"";
    return false;
  }
  const std::size_t hash = s.find(" # ");
  if (hash == std::string_view::npos) {
    problem = "expected \" # K inputs\" after the backend";
    return false;
  }
  split.backend = std::string(trim(s.substr(0, hash)));
  s.remove_prefix(hash + 3);
  if (split.backend.empty() || !take_int(s, split.n_inputs) || !take(s, " inputs")) {
    problem = "expected \" # K inputs\" after the backend";
    return false;
  }
  s = trim(s);
  if (take(s, ":")) return parse_inputs(s, split, problem);
  return s.empty() || parse_inputs(s, split, problem);
}

// A continuation piece of the last record: more inputs of a header, more sources of a node.
bool continue_record(std::string_view s, DumpGraph& graph, std::string& problem) {
  if (graph.splits.empty()) return false;
  DumpSplit& split = graph.splits.back();
  if (!split.nodes.empty()) {
    RefScan scan;
    if (!scan_refs(s, scan, problem) || scan.refs.empty()) return false;
    for (auto& r : scan.refs) split.nodes.back().sources.push_back(std::move(r));
    return true;
  }
  s = trim(s);
  take(s, ":");
  return parse_inputs(s, split, problem);
}

// A line of llama.cpp's log that says what the dump does not; false if the line is none.
bool read_fact(const LogRecord& r, LogFacts& facts) {
  const std::string_view s = r.text;
  constexpr std::string_view kPp = "pipeline parallelism enabled (n_copies=";
  if (const std::size_t at = s.find(kPp); at != std::string_view::npos) {
    std::string_view rest = s.substr(at + kPp.size());
    int n = 0;
    if (take_int(rest, n) && n >= 1 && n <= 64) {
      facts.n_copies = n;
      facts.n_copies_line = r.line;
    }
    return true;
  }
  constexpr std::string_view kBuf = " compute buffer size";
  if (const std::size_t at = s.find(kBuf); at != std::string_view::npos) {
    std::string_view name = trim(s.substr(0, at));
    if (const std::size_t sp = name.rfind(' '); sp != std::string_view::npos)
      name.remove_prefix(sp + 1);
    if (name.ends_with("_Host")) facts.host_compute_buffers.emplace_back(name);
    return true;
  }
  return false;
}

void add_unused(SchedDump& d, int line, std::string reason) {
  if (!d.unused.empty() && d.unused.back().last == line - 1 && d.unused.back().reason == reason) {
    d.unused.back().last = line;
    return;
  }
  d.unused.push_back({line, line, std::move(reason)});
}

void note_copy_indices(SchedDump& d, const DumpNode& node) {
  for (const TensorRef& r : node.sources)
    if (const auto copy = parse_copy_name(r.name))
      d.max_copy_index = std::max(d.max_copy_index, copy->index);
}

// A split without header has its backend as node lines print it ("Vulka"): the full name is
// that of a header backend it is the start of, where exactly one is.
void resolve_headerless_backends(SchedDump& d) {
  for (DumpGraph& g : d.graphs)
    for (DumpSplit& s : g.splits) {
      if (!s.header_missing) continue;
      std::string found;
      int matches = 0;
      for (const DumpGraph& other : d.graphs)
        for (const DumpSplit& h : other.splits)
          if (!h.header_missing && h.backend != found && h.backend.starts_with(s.backend)) {
            found = h.backend;
            ++matches;
          }
      if (matches == 1) s.backend = found;
    }
}

}  // namespace

bool DumpGraph::has_node_lines() const {
  for (const DumpSplit& s : splits)
    if (!s.nodes.empty()) return true;
  return false;
}

bool parse_dump_size(std::string_view text, DumpSize& out) {
  text = trim(text);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || v > (uint64_t{1} << 40)) return false;
  const std::string_view unit = text.substr(static_cast<std::size_t>(ptr - text.data()));
  // "%5.5s" cuts "12345M" to "12345": only megabyte counts are that long.
  uint64_t scale = 1024 * 1024;
  if (unit == "K")
    scale = 1024;
  else if (unit != "M" && !unit.empty())
    return false;
  if (v * scale > (uint64_t{1} << 40)) return false;  // past a scenario's largest size
  out.bytes = v * scale;
  out.text = std::string(text);
  return true;
}

SchedDump parse_sched_dump(std::string_view paste) {
  SchedDump d;
  const LogLines lines = split_log(paste);
  if (lines.crlf) d.notes.push_back("Windows line ends (CRLF) read as line ends");
  if (lines.invalid_utf8 > 0)
    d.notes.push_back(std::to_string(lines.invalid_utf8) +
                      " byte(s) that are not UTF-8 replaced by U+FFFD");
  if (lines.prefixes)
    d.notes.push_back("log prefixes such as \"" + lines.example_prefix +
                      "\" taken out of the lines");
  DumpGraph* graph = nullptr;
  int last_split_index = -1;
  for (const LogRecord& r : lines.records) {
    std::string problem;
    switch (r.kind) {
      case LogRecord::Kind::blank:
        break;
      case LogRecord::Kind::elision:
        d.notes.push_back("line " + std::to_string(r.line) + ": \"" + r.text +
                          "\": the user left part of the dump out here");
        break;
      case LogRecord::Kind::split_header: {
        DumpSplit split;
        split.line = r.line;
        if (!parse_header(r.text, split, problem)) {
          add_unused(d, r.line, "split header: " + problem);
          break;
        }
        // A new printout starts at split #0, or wherever the numbering goes back.
        if (graph == nullptr || split.index == 0 || split.index <= last_split_index) {
          d.graphs.emplace_back();
          graph = &d.graphs.back();
          graph->first_line = r.line;
        }
        last_split_index = split.index;
        graph->last_line = r.line;
        graph->splits.push_back(std::move(split));
        break;
      }
      case LogRecord::Kind::node: {
        DumpNode node;
        node.line = r.line;
        if (!parse_node(r.text, node, problem)) {
          add_unused(d, r.line, "node line: " + problem);
          break;
        }
        if (graph == nullptr && (node.self.backend.empty() || node.self.backend == "NULL")) {
          add_unused(d, r.line,
                     "node line before any \"## SPLIT\" header, without a backend (the split is "
                     "not known)");
          break;
        }
        if (graph == nullptr) {
          // A fragment that starts inside a split: its backend is the one its nodes print.
          d.graphs.emplace_back();
          graph = &d.graphs.back();
          graph->first_line = r.line;
          DumpSplit split;
          split.line = r.line;
          split.index = -1;
          split.backend = node.self.backend;
          split.inputs_elided = true;
          split.header_missing = true;
          graph->splits.push_back(std::move(split));
        }
        note_copy_indices(d, node);
        graph->last_line = r.line;
        graph->splits.back().nodes.push_back(std::move(node));
        break;
      }
      case LogRecord::Kind::continuation:
        if (graph != nullptr && continue_record(r.text, *graph, problem)) {
          graph->last_line = r.line;
          if (!graph->splits.back().nodes.empty())
            note_copy_indices(d, graph->splits.back().nodes.back());
          break;
        }
        add_unused(d, r.line, problem.empty() ? "not part of the scheduler dump" : problem);
        break;
      case LogRecord::Kind::other:
        if (read_fact(r, d.facts)) break;
        if (r.text.find("ASSIGNMENTS") != std::string::npos &&
            r.text.find("PASS") != std::string::npos)
          d.has_debug_pass_headers = true;
        else
          add_unused(d, r.line, "not part of the scheduler dump");
        break;
    }
  }
  resolve_headerless_backends(d);
  return d;
}

}  // namespace schedcheck::import
