// `schedcheck real FILE --policy ggml@TREE --backend ggml-cuda` (or ggml-cpu): the tree's own
// scheduler over ggml's own backends, under the delay plans `--delays` asks for, each run
// recorded (its calls through the happens-before detector) and every host read compared with
// ggml-cpu's sequential computation of the same graph. The plans come from the simulation of
// that same graph over simulated devices (`ggml@TREE,graph=computable`).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/real_policy.hpp"
#include "bridge/real_scheduler.hpp"
#include "cli/commands.hpp"
#include "driver/scenario_file.hpp"
#include "real/planned_runs.hpp"
#include "real/real_run.hpp"
#include "real/recorded_run.hpp"
#include "sim/differential.hpp"
#include "sim/race_report.hpp"
#include "sim/report_text.hpp"

namespace schedcheck {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string mechanisms_of(const PolicyVerdict& v) {
  std::string out;
  for (const FindingGroup& g : v.groups) {
    const std::string m(to_string(g.mechanism));
    if (out.find(m) == std::string::npos) out += (out.empty() ? "" : ", ") + m;
  }
  const std::string verdict(to_string(v.verdict));
  return out.empty() ? verdict : verdict + " (" + out + ")";
}

std::string mismatch_text(const Scenario& s, const bridge::ReadMismatch& m) {
  return fmt::format(
      "{} {} of evaluation {}: {} bytes wrong from byte {} (expected {}, got {}{})", m.read,
      s.tensors[m.tensor].name, m.eval, m.wrong_bytes, m.first_byte, m.expected, m.got,
      m.error > 0 ? fmt::format("; error {:.3g} of the largest value", m.error) : "");
}

struct Totals {
  int runs = 0, mismatching = 0, same_calls = 0;
  int targeted = 0, confirmed = 0;
  // Own ops: the largest read error of the runs that matched, and the smallest largest error
  // of those that did not (the margin the tolerance separates).
  double clean_error = 0, wrong_error = -1;
};

}  // namespace

int run_real_on_backends(const RealArgs& a) {
  if (!a.timeline.empty()) {
    std::cerr << "schedcheck: --timeline needs --backend executor: ggml's own backends do not "
                 "report when each call ran\n";
    return kExitBadInput;
  }
  if (!is_real_policy_name(a.policy) || a.policy.find(",devices=") != std::string::npos ||
      a.policy.find(",graph=") != std::string::npos) {
    std::cerr
        << "schedcheck: --backend " << a.backend
        << " runs one real ggml tree: --policy ggml@TREE (a tag of the bundle or a folder), not \""
        << a.policy << "\"\n";
    return kExitBadInput;
  }
  Scenario s;
  PolicyRuns todo;
  ReplayResult simulated;
  const Policy* real = nullptr;
  try {
    s = scenario_for_ggml_backends(load_scenario_file(a.file), a.backend);
    const Policy& sim = real_policy(a.policy + ",graph=computable");
    real = &real_policy(a.policy + ",devices=" + a.backend);
    simulated = replay(s, sim);
    // Another real tree is simulated over the same computable graph as this one.
    const auto carried = carried_from(a.delays);
    todo = carried ? plan_carried_runs(simulated, carried_sources(s, *carried, ",graph=computable"),
                                       a.runs)
                   : plan_runs(simulated, a.delays, a.runs);
  } catch (const ScenarioError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const BridgeError& e) {
    std::cerr << "schedcheck: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "schedcheck: --delays " << a.delays << ": " << e.what() << "\n";
    return kExitBadInput;
  }
  // The scenario's capability overrides describe another backend than ggml's own: the simulation
  // keeps them, the real backend cannot (B5's CUDA backend without set_tensor_async, run 59).
  for (const Backend& b : s.backends) {
    if (b.overrides.empty()) continue;
    std::vector<std::string> fields;
    for (const CapabilityOverride& o : b.overrides) fields.push_back(o.field);
    std::cerr << fmt::format(
        "schedcheck: note: backend {} overrides its kind's capabilities ({}); the simulation keeps "
        "them, {} cannot, so the recorded calls may differ from the simulated ones\n",
        b.name, fmt::join(fields, ", "), a.backend);
  }
  // ggml-cuda's own AllReduce for a meta backend (GGML_CUDA_ALLREDUCE=internal or nccl): it runs
  // below the bridge, so the recorded calls cannot be the simulated ones; only the reads count.
  std::string allreduce;
  const char* chosen = std::getenv("GGML_CUDA_ALLREDUCE");
  if (chosen && a.backend == "ggml-cuda" && s.has_meta_backend()) {
    if (const std::string error = bridge::cuda_allreduce_error(chosen); !error.empty()) {
      std::cerr << "schedcheck: " << error << "\n";
      return kExitBadInput;
    }
    if (std::string_view(chosen) != "none") allreduce = chosen;
  }
  if (!allreduce.empty()) {
    if (a.delays != "none" && a.delays.rfind("random:", 0) != 0) {
      std::cerr << fmt::format(
          "schedcheck: --delays {}: with GGML_CUDA_ALLREDUCE={} ggml-cuda's own AllReduce runs "
          "below the bridge, so delays that name the simulation's calls have no calls to hold; "
          "expected --delays none or random:SEED\n",
          a.delays, allreduce);
      return kExitBadInput;
    }
    std::cerr << fmt::format(
        "schedcheck: note: GGML_CUDA_ALLREDUCE={}: ggml-cuda's own AllReduce runs below the "
        "bridge; the simulation (and its verdict) is of the generic AllReduce, so the recorded "
        "calls differ from the first AllReduce on; only the reads are checked\n",
        allreduce);
  }
  std::string why;
  if (a.backend == "ggml-cuda" && !cuda_available(&why)) {
    std::cerr << "schedcheck: " << why << "\n";
    return kExitNoDevice;
  }
  if (!a.json) {
    const char* devices = std::getenv("GGML_CUDA_DEVICES");
    std::cout << fmt::format("{} over {}{}: simulation of the same graph says {}; {} run(s)\n",
                             a.policy, a.backend,
                             devices ? fmt::format(" (GGML_CUDA_DEVICES={})", devices) : "",
                             mechanisms_of(todo.verdict), todo.plans.size());
  }
  // ggml-cuda loads its kernels on their first launch, which keeps the host in each first call
  // far longer than later: a run before the planned ones, not counted, leaves that behind.
  if (a.backend == "ggml-cuda") {
    try {
      record_real_run(s, *real, DelayPlan{});
    } catch (const std::exception& e) {
      std::cerr << "schedcheck: " << e.what() << "\n";
      return kExitBadInput;
    }
  }
  Totals t;
  bool first_agree = true;
  OrderedJson runs = OrderedJson::array();
  for (std::size_t i = 0; i < todo.plans.size(); ++i) {
    const PlannedRun& p = todo.plans[i];
    RecordedRun r;
    try {
      r = record_real_run(s, *real, p.plan);
    } catch (const std::exception& e) {  // the tree, ggml, or the profile gets a call wrong
      std::cerr << "schedcheck: " << e.what() << "\n";
      return kExitBadInput;
    }
    const PolicyVerdict recorded = explain(r.recorded);
    const DifferentialResult d = differential(simulated, r.recorded);
    ++t.runs;
    t.mismatching += !r.mismatches.empty();
    t.same_calls += d.agree();
    if (!p.finding.empty()) {
      ++t.targeted;
      t.confirmed += !r.mismatches.empty();
    }
    if (r.mismatches.empty())
      t.clean_error = std::max(t.clean_error, r.max_read_error);
    else if (t.wrong_error < 0 || r.max_read_error < t.wrong_error)
      t.wrong_error = r.max_read_error;
    OrderedJson run{{"plan", delay_plan_json(p.plan)},
                    {"targets", p.finding},
                    {"seconds", r.seconds},
                    {"mismatches", r.mismatches.size()},
                    {"recorded_verdict", mechanisms_of(recorded)},
                    {"calls_as_simulated", d.agree()}};
    if (!r.mismatches.empty()) run["first_wrong_read"] = mismatch_text(s, r.mismatches.front());
    run["compute_start_ms"] = r.compute_start_ms;
    run["decode_ms"] = r.decode_ms;
    if (s.has_shapes()) {
      run["reads_compared"] = r.reads_compared;
      run["max_read_error"] = r.max_read_error;
    }
    runs.push_back(run);
    // Run 1 in full; later runs when something differs from what run 1 said.
    if (i == 0) first_agree = d.agree();
    if (a.json || (i > 0 && r.mismatches.empty() && d.agree() == first_agree)) continue;
    std::cout << fmt::format(
        "run {}: {} ({:.1f} ms) with delays {}{}{}\n", i + 1,
        r.mismatches.empty() ? "matches the reference" : "MISMATCH", r.seconds * 1e3, p.plan.name,
        p.finding.empty() ? "" : " -> " + p.finding,
        s.has_shapes()
            ? fmt::format("; {} reads, largest error {:.3g}", r.reads_compared, r.max_read_error)
            : "");
    if (r.compute_start_ms.size() > 1)
      std::cout << fmt::format(
          "  decode: the host entered the last of {} graph computes {:.1f} ms after the first; "
          "the last synchronize returned at {:.1f} ms\n",
          r.compute_start_ms.size(), r.compute_start_ms.back(), r.decode_ms);
    if (!r.mismatches.empty())
      std::cout << fmt::format("  first wrong read: {} ({} reads wrong)\n",
                               mismatch_text(s, r.mismatches.front()), r.mismatches.size());
    std::cout << fmt::format("  recorded calls: {}; detector on the recorded run: {}\n",
                             d.agree() ? "as simulated"
                                       : fmt::format("differ from the simulation at #{}: {} vs {}",
                                                     d.divergence ? d.divergence->index : 0,
                                                     d.divergence ? d.divergence->model : "-",
                                                     d.divergence ? d.divergence->real : "-"),
                             mechanisms_of(recorded));
  }
  if (a.json) {
    std::cout << OrderedJson{{"schema", "schedcheck-real/1"},
                             {"scenario", a.file},
                             {"backend", a.backend},
                             {"policies",
                              {{{"policy", a.policy},
                                {"simulator_verdict", mechanisms_of(todo.verdict)},
                                {"runs", t.runs},
                                {"mismatching_runs", t.mismatching},
                                {"runs_with_simulated_calls", t.same_calls},
                                {"allreduce", allreduce.empty() ? "generic" : allreduce},
                                {"read_tolerance", s.has_shapes() ? bridge::kReadTolerance : 0.0},
                                {"details", runs}}}}}
                     .dump(2)
              << "\n";
  } else {
    if (!allreduce.empty())
      std::cout << fmt::format(
          "{} over {} with ggml-cuda's own AllReduce (GGML_CUDA_ALLREDUCE={}): {} of {} runs "
          "mismatched (reads only: the simulation, which says {}, runs the generic AllReduce)\n",
          a.policy, a.backend, allreduce, t.mismatching, t.runs, to_string(todo.verdict.verdict));
    else
      std::cout << fmt::format(
          "{} over {}: simulation says {}; {} of {} runs mismatched; {} of {} recorded runs "
          "issued the simulated calls{}\n",
          a.policy, a.backend, to_string(todo.verdict.verdict), t.mismatching, t.runs, t.same_calls,
          t.runs,
          t.targeted ? fmt::format("; targeted runs confirmed {} of {}", t.confirmed, t.targeted)
                     : "");
    if (s.has_shapes())
      std::cout << fmt::format(
          "  reads compared within {} of each read's largest value: largest error {:.3g} in "
          "matching runs{}\n",
          bridge::kReadTolerance, t.clean_error,
          t.wrong_error >= 0 ? fmt::format(", at least {:.3g} in mismatching ones", t.wrong_error)
                             : "");
  }
  return t.mismatching > 0 ? kExitFindings : kExitClean;
}

}  // namespace schedcheck
