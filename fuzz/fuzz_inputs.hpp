// What each fuzz target does with one input, shared with the regression test that replays the
// inputs fuzzing once found (tests/test_fuzz_regressions.cpp): a loader must either accept the
// bytes or throw ScenarioError (file, JSON pointer, what); anything else (another exception, a
// crash, a sanitizer report, a hang) is a finding. What it accepts must survive its own saver.
#pragma once

#include <string>

namespace schedcheck::fuzz {

// A scenario file: loaded; if accepted, saved and loaded again to the same saved text; small
// ones also replayed under one policy.
void scenario_input(const std::string& bytes);
// A policy file (schedcheck-policies/1).
void policies_input(const std::string& bytes);
// A delay plan (schedcheck-delays/1): loaded, written back, loaded again to the same plan.
void delay_plan_input(const std::string& bytes);
// A pasted GGML_SCHED_DEBUG dump: parsed (never throws), then imported (throws ImportError or
// makes a scenario that loads and that split formation accepts).
void dump_input(const std::string& bytes);

}  // namespace schedcheck::fuzz
