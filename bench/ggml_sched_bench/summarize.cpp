#include "summarize.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "errors.hpp"
#include "json_line.hpp"
#include "stats.hpp"

namespace gsb {
namespace {

struct Round {
  double host = 0, compute = 0, ups = 0, max_err_clean = 0;
  long long checked = 0, corrupted = 0;
  std::string setting;  // backends, splits, decodes: shown once per scenario
};

struct Data {
  std::vector<std::string> labels;     // in order of appearance
  std::vector<std::string> scenarios;  // in order of appearance
  std::map<std::string, std::map<std::string, std::map<int, Round>>> rounds;  // tree, scenario
  std::map<std::string, std::string> skipped;  // scenario -> "tree: reason; ..."
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const JsonValue& field(const JsonObject& o, const std::string& key, JsonValue::Kind kind,
                       const std::string& where) {
  const auto it = o.find(key);
  if (it == o.end() || it->second.kind != kind)
    throw UsageError(where + ": missing or mistyped field \"" + key + "\"");
  return it->second;
}

void note_once(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

void read(const std::string& file, Data& d) {
  std::ifstream in(file);
  if (!in) throw UsageError(file + ": cannot open");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    const std::string where = file + ":" + std::to_string(++n);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JsonObject o;
    try {
      o = parse_json_line(line);
    } catch (const std::exception& e) {
      throw UsageError(where + ": " + e.what());
    }
    using K = JsonValue::Kind;
    const std::string tree = field(o, "tree", K::string, where).text;
    const std::string scenario = field(o, "scenario", K::string, where).text;
    const std::string status = field(o, "status", K::string, where).text;
    if (status == "skipped") {
      std::string& s = d.skipped[scenario];
      if (s.find(tree + ":") == std::string::npos)
        s += (s.empty() ? "" : "; ") + tree + ": " + field(o, "reason", K::string, where).text;
      continue;
    }
    if (status != "ok") throw UsageError(where + ": status \"" + status + "\"");
    const int round = static_cast<int>(field(o, "round", K::number, where).number);
    Round r;
    r.host = field(o, "host_us_per_ubatch", K::number, where).number;
    r.compute = field(o, "compute_async_us_per_ubatch", K::number, where).number;
    r.ups = field(o, "ubatches_per_s", K::number, where).number;
    r.checked = static_cast<long long>(field(o, "checked_ubatches", K::number, where).number);
    r.corrupted = static_cast<long long>(field(o, "corrupted_ubatches", K::number, where).number);
    r.max_err_clean = field(o, "max_err_clean", K::number, where).number;
    if (r.host <= 0 || r.ups <= 0) throw UsageError(where + ": timings must be positive");
    r.setting = field(o, "backends", K::string, where).text + "; " +
                std::to_string(static_cast<int>(field(o, "n_splits", K::number, where).number)) +
                " splits, n_copies " +
                std::to_string(static_cast<int>(field(o, "n_copies", K::number, where).number)) +
                "; " +
                std::to_string(static_cast<int>(field(o, "decodes", K::number, where).number)) +
                " decodes of " +
                std::to_string(static_cast<int>(field(o, "n_ubatch", K::number, where).number)) +
                " ubatches per round; " + field(o, "model", K::string, where).text + "; devices " +
                field(o, "devices", K::string, where).text;
    note_once(d.labels, tree);
    note_once(d.scenarios, scenario);
    if (!d.rounds[tree][scenario].emplace(round, r).second)
      throw UsageError(where + ": a second line for tree " + tree + ", scenario " + scenario +
                       ", round " + std::to_string(round));
  }
}

std::string cell(const RatioInterval& r, const char* f) {
  if (r.n == 0) return "n/a";
  if (r.n < 2) return fmt(f, r.estimate) + " (1 pair: no interval)";
  return "**" + fmt(f, r.estimate) + "** [" + fmt(f, r.low) + ", " + fmt(f, r.high) + "]";
}

}  // namespace

int summarize(const std::vector<std::string>& files, const std::string& base_in,
              std::ostream& out) {
  Data d;
  for (const std::string& f : files) read(f, d);
  for (const auto& [scenario, reason] : d.skipped) note_once(d.scenarios, scenario);
  if (d.labels.size() != 2) {
    std::string found;
    for (const std::string& l : d.labels) found += " " + l;
    throw UsageError("summarize: expected the rounds of exactly two trees, found " +
                     std::to_string(d.labels.size()) + (found.empty() ? "" : ":" + found));
  }
  std::string base = base_in;
  if (base.empty())
    base = std::find(d.labels.begin(), d.labels.end(), "ggml-head") != d.labels.end() ? "ggml-head"
                                                                                      : d.labels[0];
  if (std::find(d.labels.begin(), d.labels.end(), base) == d.labels.end())
    throw UsageError("summarize: --base " + base + " is not a tree of the input (" + d.labels[0] +
                     ", " + d.labels[1] + ")");
  const std::string other = d.labels[0] == base ? d.labels[1] : d.labels[0];

  out << "# ggml_sched_bench: " << other << " against " << base << "\n\n"
      << "Rounds paired by (scenario, round). Speed-up: host time of " << base << " / host time of "
      << other << "; for ubatches/s, " << other << " / " << base << ". Above 1, " << other
      << " is faster. In brackets: the 95 % interval, a Student t "
      << "interval on the per-round log ratios. Corrupted: ubatches whose logits differ from the "
         "ggml-cpu reference by more than the tolerance, of all checked (warm-up included).\n";
  bool any_corrupted = false;
  for (const std::string& scenario : d.scenarios) {
    out << "\n## " << scenario << "\n\n";
    if (d.skipped.count(scenario) != 0) out << "Skipped: " << d.skipped[scenario] << "\n\n";
    const auto& b = d.rounds[base][scenario];
    const auto& p = d.rounds[other][scenario];
    if (b.empty() && p.empty()) continue;
    out << (b.empty() ? p : b).begin()->second.setting << "\n\n"
        << "| tree | rounds | host µs/ubatch | graph_compute_async µs/ubatch | ubatches/s | "
           "corrupted ubatches | largest clean error |\n"
        << "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const std::string& label : {base, other}) {
      const auto& rounds = label == base ? b : p;
      std::vector<double> host, compute, ups;
      long long checked = 0, corrupted = 0;
      double clean = 0;
      for (const auto& [n, r] : rounds) {
        host.push_back(r.host);
        compute.push_back(r.compute);
        ups.push_back(r.ups);
        checked += r.checked;
        corrupted += r.corrupted;
        clean = std::max(clean, r.max_err_clean);
      }
      any_corrupted = any_corrupted || corrupted > 0;
      out << "| " << label << " | " << rounds.size() << " | " << fmt("%.1f", mean(host)) << " | "
          << fmt("%.1f", mean(compute)) << " | " << fmt("%.1f", mean(ups)) << " | "
          << (corrupted > 0 ? "**" + std::to_string(corrupted) + "**" : "0") << " of " << checked
          << " | " << fmt("%.2g", clean) << " |\n";
    }
    std::vector<double> host, compute, ups;
    for (const auto& [n, rb] : b) {
      const auto it = p.find(n);
      if (it == p.end()) continue;
      host.push_back(rb.host / it->second.host);
      compute.push_back(rb.compute / it->second.compute);
      ups.push_back(it->second.ups / rb.ups);
    }
    out << "| speed-up, " << host.size() << " pairs | | " << cell(ratio_interval(host), "%.3f")
        << " | " << cell(ratio_interval(compute), "%.3f") << " | "
        << cell(ratio_interval(ups), "%.3f") << " | | |\n";
    const size_t unpaired = b.size() + p.size() - 2 * host.size();
    if (unpaired > 0)
      out << "\n" << unpaired << " round(s) without a partner (left out of the speed-up).\n";
  }
  return any_corrupted ? 1 : 0;
}

}  // namespace gsb
