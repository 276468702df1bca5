#include "bridge/real_policy.hpp"

#include <map>
#include <mutex>
#include <string>

#include "bridge/ggml_tree.hpp"
#include "bridge/real_scheduler.hpp"

namespace schedcheck {

bool is_real_policy_name(std::string_view name) {
  return name.substr(0, kRealPolicyPrefix.size()) == kRealPolicyPrefix;
}

const Policy& real_policy(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, Policy, std::less<>> resolved;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = resolved.find(name); it != resolved.end()) return it->second;
  const std::string spec(name.substr(kRealPolicyPrefix.size()));
  const GgmlTree tree = resolve_tree(spec);
  const Policy* era = find_ggml_version(tree.era);
  if (!era)
    throw BridgeError(tree.label + ": unknown era \"" + tree.era +
                      "\" (expected ggml-v0, ggml-17795, ggml-20463, ggml-20793, ggml-25138 or "
                      "ggml-26040)");
  Policy p = *era;
  p.name = std::string(name);
  p.commit = tree.commit.empty() ? "-" : tree.commit;  // a folder's commit is not known
  p.reference = "real ggml tree " + tree.root.string();
  p.description =
      "ggml_backend_sched of this tree over simulated devices; llama.cpp rules and "
      "backend profile of " +
      era->name;
  p.builtin = false;
  p.known_verdict.reset();  // the model's verdict, not asserted of a tree
  p.ggml_tree = spec;
  return resolved.emplace(std::string(name), std::move(p)).first->second;
}

}  // namespace schedcheck
