// The two orderings that fix H5 (a kernel reading host memory in place while the host rewrites
// it), each replayed on the scenario: llama#28058's synchronize before every set_inputs, and
// llama#27311's input ring. `schedcheck advise` compares them (docs/bugs/H5-*.md).
#pragma once

#include <string>
#include <vector>

#include "scenario/policy.hpp"
#include "scenario/scenario.hpp"
#include "scenario/verdict.hpp"
#include "sim/race_report.hpp"

namespace schedcheck {

struct InputWriteFix {
  enum class Kind : uint8_t { synchronize_before_set_inputs, input_ring };
  Kind kind = Kind::synchronize_before_set_inputs;
  Policy policy;                           // the policy with the fix applied
  Verdict verdict;                         // of the scenario under it
  std::vector<Mechanism> mechanisms_left;  // of its findings, in report order
  int host_blocking = 0;                   // host-blocking synchronizations its run issues
};

// Empty unless `verdict` (of `policy` on `s`) has H5. The input ring is left out for a real ggml tree,
// which does not have it.
std::vector<InputWriteFix> compare_input_write_fixes(const Scenario& s, const Policy& policy,
                                                     const PolicyVerdict& verdict);

}  // namespace schedcheck
