// Delay plans for the real executor: spin N microseconds on a queue right before one of its
// operations, or sleep the host before one of its calls. Operations are named by their index
// in the executor call sequence, which is the same in the simulator and on the GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/replay.hpp"

namespace schedcheck {

struct Delay {
  int call = 0;          // executor call index (= simulator trace index)
  bool on_queue = true;  // spin on the queue that call runs on; false: the host sleeps before it
  int microseconds = 0;
  std::string reason;
};

// Whether a delay on the queue before an operation of an agent of this kind holds that agent's
// queue (its stream spins); before anything else (the host, a hidden blocking stream) a delay is
// a host sleep, which nothing issued later can overtake.
inline bool holds_on_queue(AgentKind k) {
  return k == AgentKind::queue || k == AgentKind::transfer_queue;
}

struct DelayPlan {
  std::string name = "none";
  std::vector<Delay> delays;
};

inline constexpr const char* kDelayPlanSchema = "schedcheck-delays/1";

// Pushes the finding's first access the wrong way: its queue waits long enough for the
// conflicting access to happen first.
DelayPlan targeted_plan(const ReplayResult& r, const Finding& f, int microseconds = 50000);
// Whether the targeted plan's hold also holds the second access on GPUs whose peer copies are
// staged through host memory (peer access off): the driver runs the staged copies of one
// direction in issue order across streams (docs/agreement.md), so when the held queue issues a
// peer copy after the first access and another agent issues one of the same direction before the
// second access, that copy, and what waits for it, waits for the hold. backend_gpu: the GPU of
// each backend in that run (RealRunResult::backend_gpu).
bool staged_peer_copy_holds_second(const ReplayResult& r, const Finding& f,
                                   const std::vector<int>& backend_gpu);
// Seeded stress: random spins before queue operations and short host sleeps.
DelayPlan random_plan(const ReplayResult& r, uint64_t seed);

nlohmann::ordered_json delay_plan_json(const DelayPlan& plan);
// Throws ScenarioError (file, JSON pointer, message) on bad input. The text is read as scenario
// files are (scenario/json/strict_reader.hpp): at most 64 MiB, no duplicate keys, bounded nesting.
DelayPlan load_delay_plan(const std::string& path);
DelayPlan delay_plan_from_text(const std::string& text, const std::string& file);
DelayPlan delay_plan_from_json(const nlohmann::json& j, const std::string& file);

}  // namespace schedcheck
