// "policies": custom policies from knobs.
#include "scenario/json/scenario_loader.hpp"

#include <algorithm>
#include <cctype>

namespace schedcheck::json_format {

void ScenarioLoader::load_policies(const Json& list) {
  array(list, "/policies");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at("/policies", i);
    const Json& j =
        object(list[i], p,
               {"name", "base", "commit", "reference", "description", "knobs", "skip_syncs"});
    Policy pol;
    pol.name = name(required(j, p, "name"), at(p, "name"));
    if (find_builtin(pol.name))
      fail(at(p, "name"),
           in_quotes(pol.name) +
               " is the name of a built-in policy; a custom policy needs a name of its own");
    claim(policy_path_, pol.name, at(p, "name"), "policy");
    std::string base = "ggml-v0";
    if (const Json* b = optional(j, "base")) base = string(*b, at(p, "base"));
    if (const Policy* builtin = find_builtin(base)) {
      pol.knobs = builtin->knobs;
      pol.hand_written = builtin->hand_written;
    } else if (auto it = custom_policy_.find(base); it != custom_policy_.end()) {
      pol.knobs = scenario_.custom_policies[it->second].knobs;
      pol.hand_written = scenario_.custom_policies[it->second].hand_written;
    } else {
      fail(at(p, "base"), unknown_policy(base) +
                              "; a base is a built-in policy or a custom policy defined earlier");
    }
    if (const Json* c = optional(j, "commit")) pol.commit = string(*c, at(p, "commit"));
    if (const Json* r = optional(j, "reference")) pol.reference = string(*r, at(p, "reference"));
    if (const Json* d = optional(j, "description"))
      pol.description = string(*d, at(p, "description"));
    if (const Json* knobs = optional(j, "knobs")) {
      const std::string kp = at(p, "knobs");
      if (!knobs->is_object()) fail(kp, "expected an object, got " + describe(*knobs));
      for (const auto& [knob, value] : knobs->items()) {
        const std::string vp = at(kp, knob);
        std::string text;
        if (value.is_string())
          text = value.get<std::string>();
        else if (value.is_boolean())
          text = value.get<bool>() ? "true" : "false";
        else if (value.is_number_unsigned())
          text = std::to_string(value.get<uint64_t>());
        else if (value.is_number_integer())
          text = std::to_string(value.get<int64_t>());
        else
          fail(vp, "expected a string, a boolean or an integer, got " + describe(value));
        if (auto error = set_knob(pol.knobs, knob, text)) fail(vp, *error);
        if (!pol.hand_written.empty() && is_compute_splits_knob(knob))
          fail(vp, in_quotes(knob) + " is a knob of the ggml family's compute_splits; base " +
                       in_quotes(base) + " runs the hand-written compute_splits of " +
                       in_quotes(pol.hand_written) + ", which does not read it");
      }
    }
    if (const Json* skip = optional(j, "skip_syncs")) {
      const std::string sp = at(p, "skip_syncs");
      if (!in_scenario_)
        fail(sp,
             "skip_syncs numbers the synchronizations of one scenario's run; it belongs "
             "to a policy inside that scenario, not to a policy file");
      array(*skip, sp);
      for (std::size_t n = 0; n < skip->size(); ++n) {
        const int id = small_int((*skip)[n], at(sp, n), 0, 999999);
        if (std::find(pol.skipped_syncs.begin(), pol.skipped_syncs.end(), id) !=
            pol.skipped_syncs.end())
          fail(at(sp, n), "synchronization " + std::to_string(id) + " is listed twice");
        pol.skipped_syncs.push_back(id);
      }
      pol.skipped_syncs_path = sp;  // checked against the run after loading
    }
    pol.builtin = false;
    custom_policy_.emplace(pol.name, scenario_.custom_policies.size());
    scenario_.custom_policies.push_back(std::move(pol));
  }
}

}  // namespace schedcheck::json_format
