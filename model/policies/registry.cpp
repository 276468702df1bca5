#include "model/policies/registry.hpp"

#include <stdexcept>
#include <string>

#include "model/policies/ggml_splits.hpp"

namespace schedcheck {

// The hand-written policies: one declaration and one list entry each.
HandWrittenPolicy schedcheck_min();  // schedcheck_min.cpp

const std::vector<HandWrittenPolicy>& hand_written_policies() {
  static const std::vector<HandWrittenPolicy> all = [] {
    std::vector<HandWrittenPolicy> list = {schedcheck_min()};
    for (HandWrittenPolicy& h : list) {
      h.policy.hand_written = h.policy.name;
      h.policy.builtin = true;
    }
    return list;
  }();
  return all;
}

const std::vector<Policy>& builtin_policies() {
  static const std::vector<Policy> all = [] {
    std::vector<Policy> list = ggml_versions();
    for (const Policy& p : llama_driver_variants()) list.push_back(p);
    for (const HandWrittenPolicy& h : hand_written_policies()) list.push_back(h.policy);
    return list;
  }();
  return all;
}

const Policy* find_builtin_policy(std::string_view name) {
  for (const Policy& p : builtin_policies())
    if (p.name == name) return &p;
  return nullptr;
}

namespace {
const HandWrittenPolicy& hand_written_of(const Policy& policy) {
  for (const HandWrittenPolicy& h : hand_written_policies())
    if (h.policy.name == policy.hand_written) return h;
  throw std::invalid_argument("policy \"" + policy.name + "\" names the hand-written policy \"" +
                              policy.hand_written + "\", which is not registered");
}
}  // namespace

std::vector<PolicyEventSpec> policy_event_specs(const Policy& policy) {
  if (policy.hand_written.empty()) return {};
  return hand_written_of(policy).events;
}

std::unique_ptr<SplitPolicy> make_split_policy(const PreparedRun& run) {
  if (run.policy.hand_written.empty()) return std::make_unique<GgmlSplits>();
  return hand_written_of(run.policy).make(run);
}

}  // namespace schedcheck
