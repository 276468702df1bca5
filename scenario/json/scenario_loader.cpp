// The loader's entry points and name lookups.
#include "scenario/json/scenario_loader.hpp"

#include "scenario/json/limits.hpp"
#include "scenario/scenario_json.hpp"

namespace schedcheck::json_format {

Scenario ScenarioLoader::load(const Json& root) {
  if (!root.is_object()) fail("", "expected an object at the top level, got " + describe(root));
  load_schema(root);
  check_keys(root, "",
             {"schema", "name", "description", "backends", "buffers", "tensors", "inputs", "graph",
              "splits", "scheduler", "driver", "program", "policies", "expect"});
  scenario_.name = name(required(root, "", "name"), "/name");
  if (const Json* d = optional(root, "description"))
    scenario_.description = string(*d, "/description");
  load_backends(required(root, "", "backends"));
  load_buffers(required(root, "", "buffers"));
  resolve_compute_buffers();
  if (const Json* t = optional(root, "tensors")) load_tensors(*t);
  if (const Json* i = optional(root, "inputs")) load_inputs(*i);
  load_nodes(root);
  check_placement();
  check_meta();
  if (const Json* sc = optional(root, "scheduler")) load_scheduler(*sc);
  if (const Json* d = optional(root, "driver")) load_driver(*d);
  if (const Json* pr = optional(root, "program")) {
    if (root.contains("driver"))
      fail("/program",
           "give either \"driver\" (llama.cpp's decode loop) or \"program\" (steps), not both");
    load_program(*pr);
  } else {
    for (std::size_t b = 0; b < scenario_.buffers.size(); ++b)
      if (scenario_.buffers[b].reuses != kNone)
        fail(at(at("/buffers", b), "reuses"),
             "only a program's alloc_buffer step places a buffer in freed memory; this scenario "
             "has no \"program\"");
  }
  if (const Json* p = optional(root, "policies")) load_policies(*p);
  if (const Json* e = optional(root, "expect")) load_expect(*e);
  return std::move(scenario_);
}

std::vector<Policy> ScenarioLoader::load_policies_only(const Json& root) {
  if (!root.is_object()) fail("", "expected an object at the top level, got " + describe(root));
  const Json& schema = required(root, "", "schema");
  if (!schema.is_string() || schema.get<std::string>() != kPolicySchema)
    fail("/schema", std::string("expected \"") + kPolicySchema + "\", got " + schema.dump());
  check_keys(root, "", {"schema", "policies"});
  in_scenario_ = false;
  load_policies(required(root, "", "policies"));
  return std::move(scenario_.custom_policies);
}

Index ScenarioLoader::backend_ref(const Json& j, const std::string& path) const {
  const std::string n = string(j, path);
  auto it = backend_index_.find(n);
  if (it == backend_index_.end()) fail(path, "unknown backend " + in_quotes(n));
  return it->second;
}

Index ScenarioLoader::buffer_ref(const Json& j, const std::string& path) const {
  const std::string n = string(j, path);
  auto it = buffer_index_.find(n);
  if (it == buffer_index_.end()) fail(path, "unknown buffer " + in_quotes(n));
  return it->second;
}

Index ScenarioLoader::tensor_ref(const std::string& n, const std::string& path) const {
  auto it = tensor_names_.find(n);
  if (it == tensor_names_.end()) fail(path, "unknown tensor " + in_quotes(n));
  if (it->second.tensor == kNone) {
    const Node& w = scenario_.nodes[it->second.writes_node];
    fail(path, "node " + in_quotes(n) + " writes " + in_quotes(scenario_.tensors[w.output].name) +
                   " and has no output tensor of its own; name " +
                   in_quotes(scenario_.tensors[w.output].name) + " instead");
  }
  return it->second.tensor;
}

Index ScenarioLoader::node_ref(const Json& j, const std::string& path) const {
  const std::string n = string(j, path);
  auto it = node_index_.find(n);
  if (it == node_index_.end()) fail(path, "unknown node " + in_quotes(n));
  return it->second;
}

const Policy* ScenarioLoader::find_builtin(const std::string& n) const {
  for (const Policy& p : builtins_)
    if (p.name == n) return &p;
  return nullptr;
}

bool ScenarioLoader::policy_known(const std::string& n) const {
  return find_builtin(n) != nullptr || custom_policy_.count(n) > 0;
}

std::string ScenarioLoader::unknown_policy(const std::string& n) const {
  std::vector<std::string> known;
  for (const auto& p : builtins_) known.push_back(p.name);
  for (const auto& p : scenario_.custom_policies) known.push_back(p.name);
  return "unknown policy " + in_quotes(n) + " (known: " + join(known) + ")";
}

void ScenarioLoader::load_schema(const Json& root) const {
  const std::string schema = string(required(root, "", "schema"), "/schema");
  if (schema != kScenarioSchema)
    fail("/schema", "unsupported schema " + in_quotes(schema) + " (this version reads " +
                        in_quotes(kScenarioSchema) + ")");
}

}  // namespace schedcheck::json_format
