// The corpus check: every scenario of a folder replayed under each policy it names in "expect",
// and whether the verdict and the expected mechanisms came out (docs/bugs/, `schedcheck corpus`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario/mechanism.hpp"
#include "scenario/verdict.hpp"
#include "sim/sync_expectations.hpp"

namespace schedcheck {

// One (file, policy) expectation and whether the run meets it: verdict, mechanisms, and the
// bounds on host-blocking synchronizations.
struct CorpusOutcome {
  std::string file;
  std::string policy;
  std::optional<Verdict> expected;  // nullopt: the file gives no expectation at all
  std::optional<Verdict> got;
  std::vector<Mechanism> missing_mechanisms;
  std::vector<SyncCountMiss> sync_misses;  // the expected host-blocking synchronizations
  bool ok = false;
  // Not empty: the expectation names a real ggml tree that is not here (the bundle beside the
  // checkout); it was not checked, and this says why. Counted apart from passes and failures.
  std::string skipped{};
  std::string expected_text() const { return expected ? to_string(*expected) : "some expectation"; }
  std::string got_text() const { return got ? to_string(*got) : "none given"; }
};

// Every .json below `dir`, in path order. Throws ScenarioError for a file that does not load.
// with_real: each expectation of a ggml version is also checked against its real scheduler
// (ggml@<version>, built from the bundle).
std::vector<CorpusOutcome> corpus_outcomes(const std::string& dir, bool with_real = false);

}  // namespace schedcheck
