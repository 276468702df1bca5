// A named scheduler policy: a knob set with its provenance (ggml commit, llama.cpp PR).
// The six built-in ggml versions V0..V5 of spec §0.1 are listed by builtin_policies().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/policy_knobs.hpp"

namespace schedcheck {

struct Policy {
  std::string name;
  std::string commit;       // ggml short hash
  std::string reference;    // llama.cpp PR
  std::string description;  // one line
  PolicyKnobs knobs;
  bool builtin = false;
  // Instance level (schedcheck advise --apply): the numbers of the synchronizations this
  // policy leaves out of its run of one scenario, as `schedcheck advise` numbers them.
  std::vector<int> skipped_syncs;
  std::string skipped_syncs_path;  // its JSON pointer in the file it came from (for messages)
  // Set for a real ggml tree ("ggml@ggml-20793", "ggml@/path/to/ggml"): its own scheduler
  // runs through the bridge (bridge/); the knobs then give only what lies outside the tree:
  // llama.cpp's driver rules and the backends' capability profile of that era.
  std::string ggml_tree;
  bool is_real() const { return !ggml_tree.empty(); }
};

const std::vector<Policy>& builtin_policies();
const Policy* find_builtin_policy(std::string_view name);
// The built-in policies that are ggml versions (all but schedcheck-min), in version order.
const std::vector<Policy>& ggml_versions();
// nullptr unless `name` is one of them.
const Policy* find_ggml_version(std::string_view name);

}  // namespace schedcheck
