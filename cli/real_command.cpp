// `schedcheck real FILE`: run the scenario on the GPU under delay plans (real/planned_runs.hpp)
// and compare every value the host reads with the CPU reference; here the argument checks, the
// order of the steps, and the text and JSON forms.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "bridge/policy_catalog.hpp"
#include "bridge/real_policy.hpp"
#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "real/planned_runs.hpp"
#include "real/real_run.hpp"
#include "cli/timeline_file.hpp"
#include "sim/replay.hpp"
#include "timeline/timeline_builder.hpp"
#include "timeline/timeline_html.hpp"

namespace schedcheck {
namespace {

using OrderedJson = nlohmann::ordered_json;

// "GPUs: CUDA0 -> 0, CUDA1 -> 1 (peer access on)"
std::string placement_line(const Scenario& s, const RealRunResult& r) {
  std::string line = "GPUs:";
  std::vector<int> used;
  for (std::size_t b = 0; b < r.backend_gpu.size(); ++b) {
    if (r.backend_gpu[b] < 0) continue;
    line +=
        fmt::format("{} {} -> {}", used.empty() ? "" : ",", s.backends[b].name, r.backend_gpu[b]);
    if (std::find(used.begin(), used.end(), r.backend_gpu[b]) == used.end())
      used.push_back(r.backend_gpu[b]);
  }
  if (used.size() > 1) line += r.peer_access ? " (peer access on)" : " (peer access off)";
  return line;
}

// The first plan (of the first policy that has one) to FILE, which must not exist yet.
bool save_first_plan(const std::string& file, const std::vector<PolicyRuns>& todo) {
  const auto first =
      std::find_if(todo.begin(), todo.end(), [](const PolicyRuns& p) { return !p.plans.empty(); });
  if (first == todo.end()) return true;
  if (std::filesystem::exists(file)) {
    std::cerr << "schedcheck: --save-plan " << file << ": the file exists; not overwritten\n";
    return false;
  }
  std::ofstream out(file);
  out << delay_plan_json(first->plans.front().plan).dump(2) << "\n";
  if (!out) {
    std::cerr << "schedcheck: --save-plan " << file << ": cannot write the file\n";
    return false;
  }
  return true;
}

// The scenario and its planned runs per chosen policy; nullopt after saying why not.
std::optional<std::pair<Scenario, std::vector<PolicyRuns>>> plan(const RealArgs& a) {
  Scenario s;
  std::vector<Policy> chosen;
  try {
    s = load_scenario_file(a.file);
    if (a.policy == "all") {
      chosen = policies_for(s);
    } else if (const Policy* p = find_policy(s, a.policy)) {
      chosen.push_back(*p);
    } else {
      std::cerr << "schedcheck: " << unknown_policy_message(s, a.policy, true) << "\n";
      return std::nullopt;
    }
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return std::nullopt;
  }
  // --delays from:POLICY: that policy's races (every policy's, for from:all), pushed the wrong
  // way on each chosen policy's calls.
  const auto carried = carried_from(a.delays);
  std::vector<ReplayResult> from;
  try {
    if (carried) from = carried_sources(s, *carried);
  } catch (const std::invalid_argument& e) {
    std::cerr << "schedcheck: --delays " << a.delays << ": " << e.what() << "\n";
    return std::nullopt;
  }
  std::vector<PolicyRuns> todo;
  for (const Policy& policy : chosen) {
    try {
      todo.push_back(carried ? plan_carried_runs(replay(s, policy), from, a.runs)
                             : plan_runs(s, policy, a.delays, a.runs));
    } catch (const ScenarioError& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return std::nullopt;
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: --delays " << a.delays << ": " << e.what() << "\n";
      return std::nullopt;
    }
  }
  return std::make_pair(std::move(s), std::move(todo));
}

OrderedJson run_json(const PlannedRun& p, const RealRunResult& r) {
  OrderedJson run{{"plan", delay_plan_json(p.plan)},
                  {"targets", p.finding},
                  {"host_reads", r.host_reads_checked},
                  {"mismatches", r.mismatches.size()}};
  if (!r.mismatches.empty()) {
    const ValueMismatch& m = r.mismatches.front();
    run["first_wrong_value"] = {{"read", m.read},         {"tensor", m.tensor_name},
                                {"evaluation", m.eval},   {"element", m.element},
                                {"expected", m.expected}, {"got", m.got},
                                {"wrong_bytes", m.wrong_bytes}, {"call", m.call}};
  }
  run["backend_gpus"] = r.backend_gpu;
  run["peer_access"] = r.peer_access;
  return run;
}

void print_run(const Policy& policy, std::size_t i, const PlannedRun& p, const RealRunResult& r) {
  std::cout << fmt::format("{} run {}: {} ({} host reads checked, {:.1f} ms) with delays {}{}\n",
                           policy.name, i + 1,
                           r.mismatches.empty() ? "matches the reference" : "MISMATCH",
                           r.host_reads_checked, r.seconds * 1e3, p.plan.name,
                           p.finding.empty() ? "" : " -> " + p.finding);
  if (r.mismatches.empty()) return;
  const ValueMismatch& m = r.mismatches.front();
  std::cout << fmt::format(
      "  first wrong value: {} of {} (evaluation {}), byte {}: expected 0x{:02x}, got 0x{:02x} "
      "({} wrong bytes in that read; {} reads wrong)\n",
      m.read, m.tensor_name, m.eval, m.element, m.expected, m.got, m.wrong_bytes,
      r.mismatches.size());
  for (const Delay& d : p.plan.delays)
    std::cout << fmt::format("  delay: {} us on the {} before call #{}{}\n", d.microseconds,
                             d.on_queue ? "queue" : "host", d.call,
                             d.reason.empty() ? "" : " (" + d.reason + ")");
}

// --timeline: the simulation's page with every box at the time the GPU run measured for the same
// call (the calls are the simulation's, one for one, unless a corrupted value changed the
// policy's path). False after saying why not.
bool write_measured_timeline(const Scenario& s, const Policy& policy, const RealRunResult& run,
                             const std::string& file, const std::string& out) {
  const ReplayResult sim = replay(s, policy);
  if (run.call_times.size() != sim.trace.size()) {
    std::cerr << "schedcheck: --timeline: the run made " << run.call_times.size()
              << " calls and the simulation " << sim.trace.size() << "; no timeline written\n";
    return false;
  }
  TimelineOptions options;
  for (const auto& t : run.call_times)
    options.measured.push_back(t ? std::optional<MeasuredSpan>(MeasuredSpan{t->start_ns, t->end_ns})
                                 : std::nullopt);
  const Timeline timeline = build_timeline(sim, explain(sim), {s.name, file}, options);
  return write_timeline(timeline_html(timeline), out);
}

// One run on the GPU; nullopt after a CUDA or scenario error was reported.
std::optional<RealRunResult> run_reporting_errors(const Scenario& s, const Policy& policy,
                                                  const DelayPlan& plan,
                                                  const GpuPlacement& placement, bool timed) {
  try {
    return run_on_gpu(s, policy, plan, placement, timed);
  } catch (const RealError& e) {
    std::cerr << "schedcheck: CUDA error: " << e.what() << "\n";
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
  }
  return std::nullopt;
}

// Runs one policy's plans; nullopt after a CUDA or scenario error was reported.
std::optional<OrderedJson> run_policy(const Scenario& s, const PolicyRuns& todo,
                                      const GpuPlacement& placement, const RealArgs& a) {
  const bool json = a.json;
  int mismatching_runs = 0;
  std::optional<RealRunResult> drawn;  // --timeline: the first mismatching run, else the first
  OrderedJson runs = OrderedJson::array();
  for (std::size_t i = 0; i < todo.plans.size(); ++i) {
    const auto run = run_reporting_errors(s, todo.policy, todo.plans[i].plan, placement,
                                          !a.timeline.empty());
    if (!run) return std::nullopt;
    const RealRunResult& r = *run;
    mismatching_runs += !r.mismatches.empty();
    runs.push_back(run_json(todo.plans[i], r));
    if (!a.timeline.empty() && (!drawn || (drawn->mismatches.empty() && !r.mismatches.empty()))) drawn = r;
    if (json) continue;
    if (i == 0) std::cout << placement_line(s, r) << "\n";
    print_run(todo.policy, i, todo.plans[i], r);
  }
  if (drawn && !write_measured_timeline(s, todo.policy, *drawn, a.file, a.timeline)) return std::nullopt;
  if (!json)
    std::cout << fmt::format("{}: simulator says {}; GPU: {} of {} runs mismatched\n\n",
                             todo.policy.name, to_string(todo.verdict.verdict), mismatching_runs,
                             todo.plans.size());
  return OrderedJson{{"policy", todo.policy.name},
                     {"simulator_verdict", to_string(todo.verdict.verdict)},
                     {"runs", todo.plans.size()},
                     {"mismatching_runs", mismatching_runs},
                     {"details", runs}};
}

}  // namespace

std::vector<ReplayResult> carried_sources(const Scenario& s, const std::string& name,
                                          const std::string& real_options) {
  std::vector<ReplayResult> out;
  if (name == "all") {
    for (const Policy& p : policies_for(s)) out.push_back(replay(s, p));
    return out;
  }
  const Policy* p =
      is_real_policy_name(name) ? &real_policy(name + real_options) : find_policy(s, name);
  if (!p) throw std::invalid_argument(unknown_policy_message(s, name, true));
  out.push_back(replay(s, *p));
  return out;
}

std::optional<GpuPlacement> resolve_placement(const std::string& option) {
  try {
    return option.empty() ? gpu_placement_from_env() : parse_gpu_placement(option);
  } catch (const std::invalid_argument& e) {
    std::cerr << "schedcheck: " << (option.empty() ? "SCHEDCHECK_GPU_PLACEMENT" : "--placement")
              << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

int run_real(const RealArgs& a) {
  if (a.backend != "executor") return run_real_on_backends(a);
  const std::optional<GpuPlacement> placement = resolve_placement(a.placement);
  if (!placement) return kExitBadInput;
  // Everything the user gave is checked, and the plan saved, before a device is needed: bad
  // input is exit 2 on any machine, and a plan can be made here and carried to a GPU.
  const auto planned = plan(a);
  if (!planned) return kExitBadInput;
  const auto& [s, todo] = *planned;
  if (!a.timeline.empty()) {
    if (todo.size() != 1) {
      std::cerr << "schedcheck: --timeline draws the run of one policy: give --policy NAME\n";
      return kExitBadInput;
    }
    if (const auto why = timeline_target_error(a.timeline)) {
      std::cerr << "schedcheck: " << *why << "\n";
      return kExitBadInput;
    }
  }
  if (!a.save_plan.empty() && !save_first_plan(a.save_plan, todo)) return kExitBadInput;
  try {
    refuse_what_the_executor_cannot_run(s);  // before a device is needed: exit 2 anywhere
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  // The executor checksums every byte a node reads; over a model's real sizes one run took
  // minutes (docs/gpu-runs.md, run 55).
  if (s.has_shapes())
    std::cerr << "schedcheck: note: " << a.file
              << " gives the graph's real shapes: through the executor every run checksums every "
                 "byte of them, which can take minutes; --backend ggml-cuda computes its own ops\n";
  std::string why;
  if (!cuda_available(&why)) {
    std::cerr << "schedcheck: " << why << "\n";
    return kExitNoDevice;
  }
  // A process's first run loads the kernels and sets up the streams and peer access, which keeps
  // the host inside its first calls for about 250 ms: long enough for a 50 ms hold to catch up,
  // so a targeted run made cold can miss its race (docs/gpu-runs.md, run 55). A run before the
  // planned ones, not counted, leaves that behind.
  if (!todo.empty() &&
      !run_reporting_errors(s, todo.front().policy, DelayPlan{}, *placement, false))
    return kExitBadInput;
  bool mismatch = false;
  OrderedJson results = OrderedJson::array();
  for (const PolicyRuns& policy_runs : todo) {
    const auto result = run_policy(s, policy_runs, *placement, a);
    if (!result) return kExitBadInput;
    mismatch |= (*result)["mismatching_runs"].get<int>() > 0;
    results.push_back(*result);
  }
  if (a.json)
    std::cout << OrderedJson{{"schema", "schedcheck-real/1"},
                             {"scenario", a.file},
                             {"policies", results}}
                     .dump(2)
              << "\n";
  return mismatch ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
