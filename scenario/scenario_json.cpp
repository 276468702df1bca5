// The public entry points of the scenario format; the reader, loader and saver are in json/.
#include "scenario/scenario_json.hpp"

#include "scenario/json/scenario_loader.hpp"
#include "scenario/json/strict_reader.hpp"

namespace schedcheck {

namespace {

using json_format::Json;
using json_format::ScenarioLoader;

template <typename Result, typename LoadFn>
Result parse_document(const std::string& text, const std::string& file,
                      const std::vector<Policy>& builtins, LoadFn load) {
  try {
    const Json root = json_format::parse_strict(text, file);
    ScenarioLoader loader(file, builtins);
    return load(loader, root);
  } catch (const ScenarioError&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    // Validation checks types before every access; this is a safety net, not a code path.
    throw ScenarioError(file, "", std::string("malformed document: ") + e.what());
  }
}

}  // namespace

Scenario parse_scenario_text(const std::string& text, const std::string& file,
                             const std::vector<Policy>& builtins) {
  return parse_document<Scenario>(text, file, builtins,
                                  [](ScenarioLoader& l, const Json& root) { return l.load(root); });
}

Scenario parse_scenario_file(const std::string& path, const std::vector<Policy>& builtins) {
  return parse_scenario_text(json_format::read_text_file(path), path, builtins);
}

std::vector<Policy> parse_policy_file(const std::string& path,
                                      const std::vector<Policy>& builtins) {
  return parse_policy_text(json_format::read_text_file(path), path, builtins);
}

std::vector<Policy> parse_policy_text(const std::string& text, const std::string& file,
                                      const std::vector<Policy>& builtins) {
  return parse_document<std::vector<Policy>>(
      text, file, builtins,
      [](ScenarioLoader& l, const Json& root) { return l.load_policies_only(root); });
}

}  // namespace schedcheck
