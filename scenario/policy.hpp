// A named scheduler policy: a knob set with its provenance (ggml commit, llama.cpp PR), and
// which compute_splits runs it. The six ggml versions V0..V5 of spec §0.1 are data here
// (ggml_versions()); every built-in policy, hand-written ones included, is listed by
// builtin_policies() (model/policies/registry.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/policy_knobs.hpp"
#include "scenario/verdict.hpp"

namespace schedcheck {

struct Policy {
  std::string name;
  std::string commit;       // ggml short hash
  std::string reference;    // llama.cpp PR
  std::string description;  // one line
  PolicyKnobs knobs;
  // What `schedcheck check` is known to find on the generator distribution (docs/policies.md);
  // CI holds built-in policies to it with --assert-known. Unset: no known verdict.
  std::optional<Verdict> known_verdict;
  // Empty: the ggml family's compute_splits, read from the knobs. Otherwise the name of a
  // hand-written compute_splits (model/policies/); it reads no compute_splits knob
  // (is_compute_splits_knob), only the scheduler, driver and profile ones.
  std::string hand_written;
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

// The ggml versions, in version order.
const std::vector<Policy>& ggml_versions();
// llama.cpp driver fixes on top of a version (llama#28058, llama#27311's input ring).
const std::vector<Policy>& llama_driver_variants();
// The two fixes as changes to any policy, named "<policy>+llama28058" and "<policy>+uma-ring":
// the synchronize before every set_inputs, and an input ring of `slots` slots (2: what
// #27311's users measured).
Policy with_llama_28058(Policy p);
Policy with_uma_ring(Policy p, int slots = 2);
// nullptr unless `name` is one of them.
const Policy* find_ggml_version(std::string_view name);

}  // namespace schedcheck
