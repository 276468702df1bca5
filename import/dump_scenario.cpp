#include "import/dump_scenario.hpp"

#include <algorithm>
#include <cctype>

#include "bridge/policy_catalog.hpp"
#include "driver/scenario_file.hpp"
#include "import/backend_names.hpp"
#include "import/dump_entities.hpp"
#include "import/tensor_names.hpp"
#include "scenario/json/limits.hpp"
#include "sim/replay.hpp"

namespace schedcheck::import {
namespace {

// Split formation is the same in every ggml version since the first modelled; the newest forms.
constexpr const char* kFormingPolicy = "ggml-26040";

const DumpGraph& choose_graph(const SchedDump& dump, const ImportOptions& o, int& chosen) {
  if (dump.graphs.empty())
    throw ImportError(
        "no \"## SPLIT #N: BACKEND # K inputs\" line found: not a GGML_SCHED_DEBUG dump");
  const int n = static_cast<int>(dump.graphs.size());
  if (o.graph && (*o.graph < 1 || *o.graph > n))
    throw ImportError("--graph " + std::to_string(*o.graph) + ": the dump has " +
                      std::to_string(n) + " printout" + (n == 1 ? "" : "s"));
  chosen = o.graph ? *o.graph : n;
  return dump.graphs[static_cast<std::size_t>(chosen - 1)];
}

// Backends in priority order: GPUs (by name stem in order of appearance, then device number),
// then BLAS, then the CPU, which every scenario has.
std::vector<std::string> backend_order(const DumpGraph& g) {
  std::vector<std::string> names;
  auto add = [&](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const DumpSplit& s : g.splits) add(s.backend);
  // Backends that hold tensors but run no split of the paste ("conv_out (24K) [ HTP0 ]").
  for (const DumpSplit& s : g.splits)
    for (const DumpNode& n : s.nodes) {
      std::vector<const TensorRef*> refs{&n.self};
      for (const TensorRef& r : n.sources) refs.push_back(&r);
      for (const TensorRef* r : refs)
        if (!r->backend.empty() && r->backend != "NULL" &&
            !resolve_printed_backend(r->backend, names) && guess_backend(r->backend))
          add(r->backend);
    }
  std::vector<std::string> stems;
  auto stem = [](const std::string& n) {
    std::size_t i = n.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(n[i - 1]))) --i;
    return n.substr(0, i);
  };
  for (const std::string& n : names)
    if (std::find(stems.begin(), stems.end(), stem(n)) == stems.end()) stems.push_back(stem(n));
  auto rank = [&](const std::string& n) {
    if (n == "CPU") return std::make_tuple(2, std::size_t{0}, n.size(), n);
    if (n == "BLAS") return std::make_tuple(1, std::size_t{0}, n.size(), n);
    const auto at = std::find(stems.begin(), stems.end(), stem(n)) - stems.begin();
    return std::make_tuple(0, static_cast<std::size_t>(at), n.size(), n);
  };
  add("CPU");
  std::stable_sort(names.begin(), names.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return names;
}

}  // namespace

void reconcile_split_inputs(ImportResult& r);

ImportResult dump_to_scenario(const SchedDump& dump, const ImportOptions& o) {
  ImportResult result;
  const DumpGraph& graph = choose_graph(dump, o, result.graph);
  if (o.ubatches < 1 || o.ubatches > 4096) throw ImportError("--ubatches must be in 1..4096");
  if (o.n_copies && (*o.n_copies < 1 || *o.n_copies > 16))
    throw ImportError("--n-copies must be in 1..16");

  std::vector<std::string>& notes = result.assumptions;
  if (dump.graphs.size() > 1)
    notes.push_back("the paste holds " + std::to_string(dump.graphs.size()) +
                    " printouts; this is printout " + std::to_string(result.graph) + " (lines " +
                    std::to_string(graph.first_line) + "-" + std::to_string(graph.last_line) + ")");

  // Backends and their kinds.
  DumpEntities entities(graph, o.n_expert);
  const std::vector<std::string> order = backend_order(graph);
  std::vector<BackendGuess> kinds;
  for (const std::string& name : order) {
    std::optional<BackendGuess> g;
    if (const auto it = o.kinds.find(name); it != o.kinds.end()) {
      g = backend_with_kind(name, it->second);
      if (!g)
        throw ImportError("--kind " + name + "=" + it->second +
                          ": expected one of CPU, BLAS, CUDA, HIP, MUSA, Vulkan, Metal");
    } else {
      g = guess_backend(name);
      if (!g)
        throw ImportError("the kind of backend \"" + name +
                          "\" is not known from its name; give it with --kind " + name +
                          "=KIND (CPU, BLAS, CUDA, HIP, MUSA, Vulkan or Metal)");
    }
    if (is_gpu_kind(g->kind) && static_cast<uint64_t>(g->device) > json_format::kMaxDevice)
      throw ImportError("backend \"" + name + "\": device " + std::to_string(g->device) +
                        " is past the largest device number a scenario may have (" +
                        std::to_string(json_format::kMaxDevice) + ")");
    if (!g->assumption.empty()) notes.push_back(g->assumption);
    kinds.push_back(*g);
  }
  for (const auto& [name, kind] : o.kinds)
    if (std::find(order.begin(), order.end(), name) == order.end())
      throw ImportError("--kind " + name + "=" + kind + ": the dump has no backend \"" + name +
                        "\"");
  const int gpus = static_cast<int>(std::count_if(
      kinds.begin(), kinds.end(), [](const BackendGuess& k) { return is_gpu_kind(k.kind); }));

  // The CPU backend's compute buffer: pinned when llama.cpp would take a GPU's host buffer type.
  bool pinned = false;
  if (o.pinned) {
    pinned = *o.pinned;
  } else if (!dump.facts.host_compute_buffers.empty()) {
    pinned = true;
    notes.push_back("the CPU's compute buffer is pinned host memory (the log names " +
                    dump.facts.host_compute_buffers.front() + " compute buffer)");
  } else {
    pinned = std::any_of(kinds.begin(), kinds.end(), [](const BackendGuess& k) {
      return k.kind == "CUDA" || k.kind == "HIP" || k.kind == "MUSA" || k.kind == "Vulkan";
    });
    notes.push_back(std::string("the CPU's compute buffer is ") +
                    (pinned ? "pinned host memory (a CUDA, HIP, MUSA or Vulkan GPU's host buffer "
                              "type; --pageable to change)"
                            : "pageable host memory (--pinned to change)"));
  }

  // Copies and pipeline parallelism.
  int n_copies = 1;
  if (o.n_copies) {
    n_copies = *o.n_copies;
  } else if (dump.facts.n_copies) {
    n_copies = *dump.facts.n_copies;
    notes.push_back("n_copies " + std::to_string(n_copies) + " from the log (line " +
                    std::to_string(*dump.facts.n_copies_line) + ")");
  } else if (dump.max_copy_index >= 1) {
    n_copies = std::max(4, dump.max_copy_index + 1);
    notes.push_back("input copies up to #" + std::to_string(dump.max_copy_index) +
                    ": pipeline parallelism with n_copies " + std::to_string(n_copies) +
                    " (GGML_SCHED_MAX_COPIES' default; --n-copies to change)");
  } else {
    notes.push_back(
        "no input copy beyond #0 and no \"pipeline parallelism enabled\" line: n_copies 1 "
        "(give --n-copies 4 if llama.cpp enabled pipeline parallelism)");
  }
  if (n_copies > 1 && gpus < 2) {
    notes.push_back("n_copies " + std::to_string(n_copies) +
                    " ignored: pipeline parallelism needs at least two GPU backends");
    n_copies = 1;
  }

  entities.build(order, kinds, notes);
  result.synthesized_nodes = entities.synthesized();
  result.splits = static_cast<int>(entities.splits().size());
  result.nodes = entities.node_count();

  nlohmann::ordered_json s;
  s["schema"] = "schedcheck-scenario/1";
  s["name"] = o.name;
  s["backends"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < order.size(); ++i) {
    nlohmann::ordered_json b;
    b["name"] = order[i];
    b["kind"] = kinds[i].kind;
    if (is_gpu_kind(kinds[i].kind)) b["device"] = kinds[i].device;
    b["compute_buffer"] = order[i] + "_compute";
    if (!kinds[i].capabilities.empty()) b["capabilities"] = kinds[i].capabilities;
    s["backends"].push_back(b);
  }
  s["buffers"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < order.size(); ++i) {
    nlohmann::ordered_json b;
    b["name"] = order[i] + "_compute";
    if (is_gpu_kind(kinds[i].kind)) {
      b["kind"] = "device";
      b["backend"] = order[i];
    } else {
      b["kind"] = pinned ? "pinned_host" : "pageable_host";
    }
    b["usage"] = "compute";
    s["buffers"].push_back(b);
  }
  for (const auto& b : entities.fixed_buffers()) {
    // A dump's sizes are the printout's rounded M/G figures: they can add up past the format's
    // limit, which is bad input rather than a scenario the loader would refuse.
    if (b["size"].get<uint64_t>() > json_format::kMaxSize)
      throw ImportError("the dump's tensors in buffer " + b["name"].get<std::string>() +
                        " add up to " + std::to_string(b["size"].get<uint64_t>()) +
                        " bytes, more than a scenario buffer holds (" +
                        json_format::limit_text(json_format::kMaxSize) + ")");
    s["buffers"].push_back(b);
  }
  const std::string output = entities.output_tensor();
  if (!output.empty() &&
      entities.size_of(output) > json_format::kMaxSize / static_cast<uint64_t>(o.ubatches))
    throw ImportError("the logits of " + std::to_string(o.ubatches) + " ubatches of \"" + output +
                      "\" (" + std::to_string(entities.size_of(output)) +
                      " bytes each) are more than a scenario buffer holds (" +
                      json_format::limit_text(json_format::kMaxSize) + ")");
  if (!output.empty())
    s["buffers"].push_back(
        {{"name", "logits"},
         {"kind", "pinned_host"},
         {"usage", "output"},
         {"size", entities.size_of(output) * static_cast<uint64_t>(o.ubatches)}});
  s["tensors"] = entities.persistent_json();
  s["inputs"] = entities.inputs_json();
  s["splits"] = entities.splits_json();
  s["scheduler"] = {{"pipeline_parallel", n_copies > 1}, {"max_copies", n_copies}};
  s["driver"] = {{"ubatches_per_batch", {o.ubatches}},
                 {"outputs", nlohmann::ordered_json::array()}};
  if (output.empty()) {
    notes.push_back(
        "one decode of " + std::to_string(o.ubatches) +
        " ubatches (--ubatches); every node writes a persistent tensor, so nothing is read back");
  } else {
    s["driver"]["outputs"].push_back(
        {{"tensor", output}, {"buffer", "logits"}, {"ubatches", "all"}});
    notes.push_back("one decode of " + std::to_string(o.ubatches) +
                    " ubatches (--ubatches), logits of \"" + output +
                    "\" read back after each into pinned memory");
  }
  s["description"] = "";
  result.scenario = std::move(s);
  reconcile_split_inputs(result);
  std::string d = "Imported by `schedcheck import` from " + o.source + " (printout " +
                  std::to_string(result.graph) + "). Assumptions:";
  for (const std::string& a : result.assumptions) d += " " + a + ";";
  d.back() = '.';
  // The description goes after the name, where the format puts it.
  nlohmann::ordered_json ordered;
  for (auto it = result.scenario.begin(); it != result.scenario.end(); ++it) {
    if (it.key() == "description") continue;
    ordered[it.key()] = it.value();
    if (it.key() == "name") ordered["description"] = d;
  }
  result.scenario = std::move(ordered);
  return result;
}

void reconcile_split_inputs(ImportResult& r) {
  const std::string name = r.scenario["name"];
  for (std::size_t attempt = 0; attempt <= r.scenario["splits"].size(); ++attempt) {
    try {
      const Scenario s = load_scenario_text(r.scenario.dump(), name);
      replay(s, *find_policy(s, kFormingPolicy));
      return;
    } catch (const ScenarioError& e) {
      // "/splits/K/inputs": the model copies other tensors into split K than the dump lists.
      const std::string& path = e.json_path();
      constexpr std::string_view kHead = "/splits/";
      const std::size_t slash = path.find('/', kHead.size());
      if (!path.starts_with(kHead) || slash == std::string::npos ||
          !path.substr(slash).starts_with("/inputs"))
        throw;
      const std::size_t k = std::stoul(path.substr(kHead.size(), slash - kHead.size()));
      auto& split = r.scenario["splits"][k];
      if (!split.contains("inputs")) throw;
      split.erase("inputs");
      r.assumptions.push_back("the inputs the dump lists for its split " + std::to_string(k) +
                              " are not the ones the model copies (" + e.message() +
                              "); the scenario leaves them to the model");
    }
  }
}

}  // namespace schedcheck::import
