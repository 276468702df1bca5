#include "fuzz/fuzz_inputs.hpp"

#include <stdexcept>

#include "driver/scenario_file.hpp"
#include "import/backend_names.hpp"
#include "import/dump_parser.hpp"
#include "import/dump_scenario.hpp"
#include "model/policies/registry.hpp"
#include "real/delay_plan.hpp"
#include "scenario/scenario_json.hpp"
#include "sim/replay.hpp"

namespace schedcheck::fuzz {
namespace {

[[noreturn]] void finding(const std::string& what) {
  throw std::logic_error(what);
}

}  // namespace

void scenario_input(const std::string& bytes) {
  Scenario s;
  try {
    s = load_scenario_text(bytes, "fuzz.json");
  } catch (const ScenarioError&) {
    return;  // rejected with a message: what bad input should get
  }
  const std::string saved = save_scenario(s).dump(2);
  Scenario again;
  try {
    again = load_scenario_text(saved, "saved.json");
  } catch (const ScenarioError& e) {
    finding(std::string("an accepted scenario saves into a file it rejects: ") + e.what());
  }
  if (save_scenario(again).dump(2) != saved) finding("save -> load -> save changes the text");
  // Small scenarios also run: the model must take whatever the loader accepts.
  if (s.total_evaluations() <= 8 && s.nodes.size() <= 32 && s.tensors.size() <= 64) {
    try {
      replay(s, *find_builtin_policy("ggml-26040"));
    } catch (const ScenarioError&) {
    }
  }
}

void policies_input(const std::string& bytes) {
  try {
    parse_policy_text(bytes, "fuzz-policies.json", builtin_policies());
  } catch (const ScenarioError&) {
  }
}

void delay_plan_input(const std::string& bytes) {
  DelayPlan plan;
  try {
    plan = delay_plan_from_text(bytes, "fuzz-plan.json");
  } catch (const ScenarioError&) {
    return;
  }
  const std::string saved = delay_plan_json(plan).dump();
  try {
    if (delay_plan_json(delay_plan_from_text(saved, "saved-plan.json")).dump() != saved)
      finding("a delay plan does not load back as saved");
  } catch (const ScenarioError& e) {
    finding(std::string("an accepted delay plan saves into a file it rejects: ") + e.what());
  }
}

void dump_input(const std::string& bytes) {
  const import::SchedDump dump = import::parse_sched_dump(bytes);
  if (dump.graphs.empty()) return;
  import::ImportOptions o;
  o.name = "fuzz";
  o.source = "fuzz.txt";
  o.ubatches = 2;
  // Backends whose kind the name does not say get one, so that fuzzing reaches the builder.
  for (const import::DumpSplit& split : dump.graphs.back().splits)
    if (!import::guess_backend(split.backend)) o.kinds[split.backend] = "CUDA";
  try {
    const import::ImportResult r = import::dump_to_scenario(dump, o);
    load_scenario_text(r.scenario.dump(), "imported.json");
  } catch (const import::ImportError&) {
  } catch (const ScenarioError& e) {
    finding(std::string("the importer made a scenario the loader or the model rejects: ") + e.what());
  }
}

}  // namespace schedcheck::fuzz
