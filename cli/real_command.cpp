// `schedcheck real FILE`: run the scenario on the GPU under delay plans and compare every value
// the host reads with the CPU reference.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "real/real_run.hpp"
#include "sim/race_report.hpp"
#include "sim/replay.hpp"

namespace schedcheck {
namespace {

struct PlannedRun {
  DelayPlan plan;
  std::string finding;  // the simulator finding the plan targets, if any
};

// The plans of one policy for --delays MODE (none | auto | random:SEED | FILE).
std::vector<PlannedRun> plans_for(const std::string& mode, const ReplayResult& sim,
                                  const PolicyVerdict& verdict, int runs) {
  std::vector<PlannedRun> out;
  if (mode == "none") {
    for (int i = 0; i < runs; ++i) out.push_back({DelayPlan{}, ""});
  } else if (mode.rfind("random:", 0) == 0) {
    const uint64_t seed = std::stoull(mode.substr(7));
    for (int i = 0; i < runs; ++i)
      out.push_back({random_plan(sim, seed + static_cast<uint64_t>(i)), ""});
  } else if (mode == "auto") {
    // Every race the simulator predicts, pushed the wrong way; a clean scenario gets random stress.
    for (const FindingGroup& g : verdict.groups) {
      if (!is_race(g.first.kind)) continue;
      for (int i = 0; i < runs; ++i)
        out.push_back({targeted_plan(sim, g.first),
                       fmt::format("{} [{}] on {}", g.kind, g.mechanism, g.buffer)});
    }
    if (out.empty())
      for (int i = 0; i < runs; ++i)
        out.push_back({random_plan(sim, 1 + static_cast<uint64_t>(i)), ""});
  } else {
    const DelayPlan plan = load_delay_plan(mode);
    for (int i = 0; i < runs; ++i) out.push_back({plan, ""});
  }
  return out;
}

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

// One policy's simulation and the plans its GPU runs use.
struct PolicyRuns {
  Policy policy;
  PolicyVerdict verdict;
  std::vector<PlannedRun> plans;
};

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

}  // namespace

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
  const std::optional<GpuPlacement> placement = resolve_placement(a.placement);
  if (!placement) return kExitBadInput;
  // Everything the user gave is checked, and the plan saved, before a device is needed: bad
  // input is exit 2 on any machine, and a plan can be made here and carried to a GPU.
  Scenario s;
  std::vector<Policy> chosen;
  try {
    s = load_scenario_file(a.file);
    if (a.policy == "all") {
      chosen = policies_for(s);
    } else if (const Policy* p = find_policy(s, a.policy)) {
      chosen.push_back(*p);
    } else {
      std::cerr << "schedcheck: unknown policy \"" << a.policy << "\"\n";
      return kExitBadInput;
    }
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::vector<PolicyRuns> todo;
  for (const Policy& policy : chosen) {
    const ReplayResult sim = replay(s, policy);
    PolicyRuns runs{policy, explain(sim), {}};
    try {
      runs.plans = plans_for(a.delays, sim, runs.verdict, a.runs);
    } catch (const ScenarioError& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return kExitBadInput;
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: --delays " << a.delays << ": " << e.what() << "\n";
      return kExitBadInput;
    }
    todo.push_back(std::move(runs));
  }
  if (!a.save_plan.empty() && !save_first_plan(a.save_plan, todo)) return kExitBadInput;
  std::string why;
  if (!cuda_available(&why)) {
    std::cerr << "schedcheck: " << why << "\n";
    return kExitNoDevice;
  }

  bool mismatch = false;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const PolicyRuns& todo_policy : todo) {
    const Policy& policy = todo_policy.policy;
    const PolicyVerdict& verdict = todo_policy.verdict;
    const std::vector<PlannedRun>& plans = todo_policy.plans;
    int mismatching_runs = 0;
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < plans.size(); ++i) {
      RealRunResult r;
      try {
        r = run_on_gpu(s, policy, plans[i].plan, *placement);
      } catch (const RealError& e) {
        std::cerr << "schedcheck: CUDA error: " << e.what() << "\n";
        return kExitBadInput;
      } catch (const ScenarioError& e) {
        std::cerr << "schedcheck: " << e.what() << "\n";
        return kExitBadInput;
      }
      mismatching_runs += !r.mismatches.empty();
      nlohmann::ordered_json run{{"plan", delay_plan_json(plans[i].plan)},
                                 {"targets", plans[i].finding},
                                 {"host_reads", r.host_reads_checked},
                                 {"mismatches", r.mismatches.size()}};
      if (!r.mismatches.empty()) {
        const ValueMismatch& m = r.mismatches.front();
        run["first_wrong_value"] = {{"read", m.read},
                                    {"tensor", m.tensor_name},
                                    {"evaluation", m.eval},
                                    {"element", m.element},
                                    {"expected", m.expected},
                                    {"got", m.got},
                                    {"wrong_bytes", m.wrong_bytes},
                                    {"call", m.call}};
      }
      run["backend_gpus"] = r.backend_gpu;
      run["peer_access"] = r.peer_access;
      runs.push_back(run);
      if (a.json) continue;
      if (i == 0) std::cout << placement_line(s, r) << "\n";
      std::cout << fmt::format(
          "{} run {}: {} ({} host reads checked, {:.1f} ms) with delays {}{}\n", policy.name, i + 1,
          r.mismatches.empty() ? "matches the reference" : "MISMATCH", r.host_reads_checked,
          r.seconds * 1e3, plans[i].plan.name,
          plans[i].finding.empty() ? "" : " -> " + plans[i].finding);
      if (!r.mismatches.empty()) {
        const ValueMismatch& m = r.mismatches.front();
        std::cout << fmt::format(
            "  first wrong value: {} of {} (evaluation {}), byte {}: expected 0x{:02x}, got "
            "0x{:02x} ({} wrong bytes "
            "in that read; {} reads wrong)\n",
            m.read, m.tensor_name, m.eval, m.element, m.expected, m.got, m.wrong_bytes,
            r.mismatches.size());
        for (const Delay& d : plans[i].plan.delays)
          std::cout << fmt::format("  delay: {} us on the {} before call #{}{}\n", d.microseconds,
                                   d.on_queue ? "queue" : "host", d.call,
                                   d.reason.empty() ? "" : " (" + d.reason + ")");
      }
    }
    mismatch |= mismatching_runs > 0;
    results.push_back({{"policy", policy.name},
                       {"simulator_verdict", to_string(verdict.verdict)},
                       {"runs", plans.size()},
                       {"mismatching_runs", mismatching_runs},
                       {"details", runs}});
    if (!a.json)
      std::cout << fmt::format("{}: simulator says {}; GPU: {} of {} runs mismatched\n\n",
                               policy.name, to_string(verdict.verdict), mismatching_runs, plans.size());
  }
  if (a.json)
    std::cout << nlohmann::ordered_json{{"schema", "schedcheck-real/1"},
                                        {"scenario", a.file},
                                        {"policies", results}}
                     .dump(2)
              << "\n";
  return mismatch ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
