// "expect": the verdict, mechanisms and host-blocking synchronizations expected per policy.
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {

SyncBound ScenarioLoader::load_sync_bound(const Json& j, const std::string& p) const {
  object(j, p, {"at_most", "exactly"});
  if (j.size() != 1)
    fail(p, "expected exactly one of \"at_most\" and \"exactly\", got " +
                (j.empty() ? std::string("neither") : std::string("both")));
  const bool exactly = j.contains("exactly");
  const std::string key = exactly ? "exactly" : "at_most";
  SyncBound b;
  b.kind = exactly ? SyncBound::Kind::exactly : SyncBound::Kind::at_most;
  b.value = small_int(j.at(key), at(p, key), 0, 1'000'000);
  return b;
}

SyncExpectation ScenarioLoader::load_host_syncs(const Json& j, const std::string& p) const {
  object(j, p, {"per_evaluation", "total", "steps"});
  SyncExpectation e;
  if (const Json* b = optional(j, "per_evaluation"))
    e.per_evaluation = load_sync_bound(*b, at(p, "per_evaluation"));
  if (const Json* b = optional(j, "total")) e.total = load_sync_bound(*b, at(p, "total"));
  if (const Json* steps = optional(j, "steps")) {
    const std::string sp = at(p, "steps");
    if (!steps->is_object()) fail(sp, "expected an object of step names, got " + describe(*steps));
    if (steps->empty()) fail(sp, "expected at least one step name, got an empty object");
    for (const auto& [step, bound] : steps->items())
      e.steps.push_back(
          {program_step_ref(step, at(sp, step)), load_sync_bound(bound, at(sp, step))});
  }
  if (e.empty())
    fail(p, "expected \"per_evaluation\", \"total\" or \"steps\", got an empty object");
  return e;
}

void ScenarioLoader::load_expect(const Json& j) {
  if (!j.is_object()) fail("/expect", "expected an object, got " + describe(j));
  for (const auto& [policy, value] : j.items()) {
    const std::string p = at("/expect", policy);
    // A real ggml tree's scheduler ("ggml@ggml-head"): resolved when the corpus is checked.
    const bool real_tree = policy.rfind("ggml@", 0) == 0 && policy.size() > 5;
    if (!real_tree && !policy_known(policy)) fail(p, unknown_policy(policy));
    if (!real_tree && !not_in_model(scenario_).empty())
      fail(p, "policy " + in_quotes(policy) + " is the model's; " + not_in_model(scenario_));
    Expectation e;
    e.policy = policy;
    std::string verdict_path = p, verdict;
    if (value.is_string()) {
      verdict = value.get<std::string>();
    } else if (value.is_object()) {
      object(value, p, {"verdict", "mechanisms", "host_syncs"});
      verdict_path = at(p, "verdict");
      verdict = string(required(value, p, "verdict"), verdict_path);
      if (const Json* m = optional(value, "mechanisms")) {
        const std::string mp = at(p, "mechanisms");
        array(*m, mp);
        for (std::size_t i = 0; i < m->size(); ++i) {
          const std::string mech = string((*m)[i], at(mp, i));
          const std::optional<Mechanism> parsed = parse_mechanism(mech);
          if (!parsed)
            fail(at(mp, i),
                 "unknown mechanism " + in_quotes(mech) + " (known: " + mechanism_names() + ")");
          e.mechanisms.push_back(*parsed);
        }
      }
      if (const Json* h = optional(value, "host_syncs"))
        e.host_syncs = load_host_syncs(*h, at(p, "host_syncs"));
    } else {
      fail(p, "expected a verdict string or an object with \"verdict\", got " + describe(value));
    }
    const std::optional<Verdict> parsed = parse_verdict(verdict);
    if (!parsed)
      fail(verdict_path,
           "unknown verdict " + in_quotes(verdict) + " (known: clean, race, stale, race+stale)");
    e.verdict = *parsed;
    scenario_.expectations.push_back(std::move(e));
  }
}

}  // namespace schedcheck::json_format
