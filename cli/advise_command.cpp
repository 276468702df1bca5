// `schedcheck advise FILE --policy NAME`: which synchronizations the run needs (sim/advice.hpp);
// here only loading, --apply's and --timeline's files, and the text and JSON forms.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "bridge/policy_catalog.hpp"
#include "cli/commands.hpp"
#include "cli/timeline_file.hpp"
#include "driver/scenario_file.hpp"
#include "sim/advice.hpp"
#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

// Writes the scenario with the "<policy>-minimal" policy (never over an existing file).
int apply_minimal_set(const Scenario& s, const Policy& policy, const SyncAnalysis& a,
                      const std::string& out) {
  if (std::filesystem::exists(out)) {
    std::cerr << "schedcheck: --apply " << out << ": the file exists; choose a new name\n";
    return kExitBadInput;
  }
  Scenario applied;
  try {
    applied = with_minimal_set_policy(s, policy, a);
  } catch (const std::invalid_argument& e) {
    std::cerr << "schedcheck: --apply: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::ofstream f(out);
  f << save_scenario(applied).dump(2) << "\n";
  if (!f) {
    std::cerr << "schedcheck: --apply " << out << ": cannot write the file\n";
    return kExitBadInput;
  }
  const Policy& p = applied.custom_policies.back();
  std::cerr << fmt::format(
      "wrote {}: policy {} skips {} synchronization(s), replays {}\n  schedcheck replay {} "
      "--policy {}\n",
      out, p.name, p.skipped_syncs.size(), to_string(applied.expectations.back().verdict), out,
      p.name);
  return kExitClean;
}

// "g (s) e? +wait([H1] CUDA1 -> CUDA0)": call letters, waits inside a call in parentheses, '?'
// after a redundant synchronization, then the missing waits.
std::string line_text(const CallLine& line) {
  std::vector<std::string> tokens;
  for (const MarkedCall& c : line.calls) {
    std::string token = c.implicit ? fmt::format("({})", c.letter) : std::string(1, c.letter);
    tokens.push_back(c.redundant ? token + "?" : token);
  }
  for (const MissingWait& w : line.missing_waits)
    tokens.push_back(fmt::format("+wait([{}] {} -> {})", to_string(w.mechanism), w.from, w.to));
  return fmt::format("{}", fmt::join(tokens, " "));
}


bool is_ring(const InputWriteFix& f) {
  return f.kind == InputWriteFix::Kind::input_ring;
}

int ring_slots(const InputWriteFix& f) {
  return input_ring_slots(f.policy.knobs);
}

std::vector<std::string> mechanisms_left(const InputWriteFix& f) {
  std::vector<std::string> left;
  for (Mechanism m : f.mechanisms_left) left.emplace_back(to_string(m));
  return left;
}

std::string fix_name(const InputWriteFix& f) {
  return is_ring(f) ? fmt::format("input ring of {0} slots (llama#27311, knob uma_ring={0})",
                                  ring_slots(f))
                    : std::string(
                          "synchronize before every set_inputs (llama#28058, knob "
                          "set_inputs_sync=always)");
}

std::string fix_outcome(const InputWriteFix& f) {
  return f.verdict.is_clean()
             ? "clean"
             : fmt::format("{} ({})", to_string(f.verdict), fmt::join(mechanisms_left(f), ", "));
}

nlohmann::ordered_json fixes_json(const Advice& a) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const InputWriteFix& f : a.input_write_fixes) {
    out.push_back({{"fix", is_ring(f) ? "input_ring" : "synchronize_before_set_inputs"},
                   {"ring_slots", ring_slots(f)},
                   {"verdict", to_string(f.verdict)},
                   {"mechanisms_left", mechanisms_left(f)},
                   {"host_blocking_per_ubatch", a.per_ubatch(f.host_blocking)}});
  }
  return out;
}

void print_json(const std::string& file, const Policy& policy, const Advice& a) {
  nlohmann::ordered_json syncs = nlohmann::ordered_json::array();
  for (const SyncVerdict& v : a.analysis.syncs)
    syncs.push_back({{"id", v.call.sync_id},
                     {"call", to_string(v.call.site.call)},
                     {"step", std::string(v.call.site.step)},
                     {"evaluation", v.call.site.eval},
                     {"split", v.call.site.split},
                     {"host_blocking", v.host_blocking},
                     {"necessary", v.necessary},
                     {"in_minimal_set", a.in_minimal_set(v.call.sync_id)},
                     {"finding_without_it", v.new_finding}});
  nlohmann::ordered_json missing = nlohmann::ordered_json::array();
  for (const FindingGroup& g : a.verdict.groups)
    missing.push_back({{"missing_edge", to_text(g.missing_edge)},
                       {"cheapest_fix", to_text(g.cheapest_fix)},
                       {"mechanism", to_string(g.mechanism)}});
  std::cout << nlohmann::ordered_json{{"schema", "schedcheck-advise/1"},
                                      {"scenario", file},
                                      {"policy", policy.name},
                                      {"syncs", syncs},
                                      {"minimal_set", a.analysis.minimal_set},
                                      {"host_blocking_per_ubatch", a.per_ubatch(a.host_blocking)},
                                      {"host_blocking_per_ubatch_minimal",
                                       a.per_ubatch(a.host_blocking_kept)},
                                      {"missing", missing},
                                      {"input_write_fixes", fixes_json(a)}}
                   .dump(2)
            << "\n";
}

void print_text(const Scenario& s, const Policy& policy, const Advice& a) {
  std::cout << fmt::format(
      "== {} under {}: s = necessary, s? = redundant, e/w = event calls, +wait = missing ==\n",
      s.name, policy.name);
  for (const auto& [key, line] : a.call_lines) {
    const auto [eval, split] = key;
    const std::string where = split < 0 ? "driver" : fmt::format("split {}", split);
    std::cout << fmt::format("  eval {:<3} {:<9} {}\n", eval, where, line_text(line));
  }
  for (const SyncVerdict& v : a.analysis.syncs)
    if (v.necessary)
      std::cout << fmt::format("  #{} {} ({}) at eval {} is necessary: without it, {}\n",
                               v.call.sync_id, to_string(v.call.site.call), v.call.site.step,
                               v.call.site.eval, v.new_finding);
  for (const FindingGroup& g : a.verdict.groups)
    std::cout << fmt::format("  +missing [{}]: {}\n", to_string(g.mechanism),
                             to_text(g.cheapest_fix));
  std::cout << fmt::format(
      "host-blocking synchronizations per ubatch: {:.2f} issued, {:.2f} in a minimal set\n",
      a.per_ubatch(a.host_blocking), a.per_ubatch(a.host_blocking_kept));
  if (a.input_write_fixes.empty()) return;
  std::cout << "orderings that fix H5 (a kernel reads host memory the host rewrites), replayed:\n";
  for (const InputWriteFix& f : a.input_write_fixes)
    std::cout << fmt::format(
        "  {}: {}; {:.2f} host-blocking synchronizations per ubatch; before writing inputs the "
        "host waits for {}\n",
        fix_name(f), fix_outcome(f), a.per_ubatch(f.host_blocking),
        is_ring(f) ? fmt::format("the graph {} ubatches back ({} may stay in flight)",
                                 ring_slots(f), ring_slots(f) - 1)
                   : std::string("every backend (no ubatch stays in flight)"));
}

}  // namespace

int run_advise(const AdviseArgs& args) {
  Scenario s;
  const Policy* policy = nullptr;
  try {
    s = load_scenario_file(args.file);
    policy = find_policy(s, args.policy);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (!policy) {
    std::cerr << "schedcheck: " << unknown_policy_message(s, args.policy) << "\n";
    return kExitBadInput;
  }
  if (!args.timeline.empty())
    if (const auto error = timeline_target_error(args.timeline)) {
      std::cerr << "schedcheck: " << *error << "\n";
      return kExitBadInput;
    }
  const Advice a = advise(s, *policy);
  if (!args.timeline.empty() &&
      !write_timeline(timeline_page(s, *policy, {s.name, args.file}), args.timeline))
    return kExitBadInput;
  if (!args.apply.empty())
    if (const int rc = apply_minimal_set(s, *policy, a.analysis, args.apply); rc != kExitClean)
      return rc;
  if (args.json)
    print_json(args.file, *policy, a);
  else
    print_text(s, *policy, a);
  return a.verdict.groups.empty() ? kExitClean : kExitFindings;
}

}  // namespace schedcheck
