// What `run` and `serve` share: the backends (opened once), the reference of each model shape
// (computed once, on first use), a runner per scenario (set up on first use, kept), and one
// JSON line per round.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "backends.hpp"
#include "options.hpp"
#include "reference.hpp"
#include "runner.hpp"

namespace gsb {

class Session {
 public:
  // Opens the backends (throws DeviceError for --devices cuda without CUDA).
  explicit Session(const Options& options);

  // One round of a scenario: its JSON line, with "status" "ok" or "skipped" (too few GPUs).
  // corrupted: the round's corrupted ubatches (0 when skipped).
  std::string round(const std::string& scenario, int round, int& corrupted);

 private:
  ScenarioRunner* runner(const Scenario& s, std::string& skip_reason);

  Options options_;
  Backends backends_;
  std::map<std::string, std::unique_ptr<Reference>> references_;  // by shape
  std::map<std::string, std::unique_ptr<ScenarioRunner>> runners_;
};

}  // namespace gsb
