#include "bridge/policy_catalog.hpp"

#include "bridge/real_policy.hpp"
#include "model/policies/registry.hpp"

namespace schedcheck {

std::vector<Policy> policies_for(const Scenario& s) {
  std::vector<Policy> out = builtin_policies();
  out.insert(out.end(), s.custom_policies.begin(), s.custom_policies.end());
  return out;
}

const Policy* find_policy(const Scenario& s, const std::string& name) {
  if (const Policy* p = find_builtin_policy(name)) return p;
  if (is_real_policy_name(name)) return &real_policy(name);
  for (const auto& p : s.custom_policies)
    if (p.name == name) return &p;
  return nullptr;
}

std::string unknown_policy_message(const Scenario& s, const std::string& name, bool all) {
  std::string known;
  for (const Policy& p : policies_for(s)) known += p.name + ", ";
  return "unknown policy \"" + name + "\" (known: " + known + "ggml@TAG, ggml@PATH" +
         (all ? ", all)" : ")");
}

}  // namespace schedcheck
