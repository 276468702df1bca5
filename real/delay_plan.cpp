#include "real/delay_plan.hpp"

#include <fmt/format.h>

#include <optional>
#include <random>
#include <utility>

#include "scenario/json/strict_reader.hpp"
#include "scenario/scenario_error.hpp"
#include "real/real_run.hpp"

namespace schedcheck {

DelayPlan targeted_plan(const ReplayResult& r, const Finding& f, int microseconds) {
  DelayPlan plan;
  plan.name = fmt::format("targeted: finding {} ({} #{} vs #{})", f.id, to_string(f.kind),
                          f.first_op, f.second_op);
  if (f.first_op < 0) return plan;
  const Agent& agent = r.run.layout.agents[f.first_agent];
  const bool queue = holds_on_queue(agent.kind);
  // The first access is on a queue for every race (the host's own earlier actions are ordered
  // before anything it issues later): holding that queue back lets the second access go first.
  plan.delays.push_back(
      {f.first_op, queue, microseconds,
       fmt::format("hold {} before #{} so that #{} ({}) happens first", agent.name, f.first_op,
                   f.second_op, r.run.layout.agents[f.second_agent].name)});
  return plan;
}

namespace {

// A copy between two distinct GPUs: its direction (source GPU, destination GPU); else nothing.
std::optional<std::pair<int, int>> peer_direction(const Scenario& s, const TraceEntry& e,
                                                  const std::vector<int>& backend_gpu) {
  if (e.kind != TraceKind::access || e.op.kind != OpKind::copy) return std::nullopt;
  const int from = buffer_gpu(s, e.op.accesses[0].region.buffer, backend_gpu);
  const int to = buffer_gpu(s, e.op.accesses[1].region.buffer, backend_gpu);
  if (from < 0 || to < 0 || from == to) return std::nullopt;
  return std::pair{from, to};
}

}  // namespace

bool staged_peer_copy_holds_second(const ReplayResult& r, const Finding& f,
                                   const std::vector<int>& backend_gpu) {
  const Scenario& s = r.run.scenario;
  if (f.first_op < 0 || f.second_op < 0) return false;
  // A peer copy the held queue issues after the first access, and a later one of the same
  // direction on another agent, up to the second access: the second waits behind the first.
  for (int i = f.first_op + 1; i < f.second_op; ++i) {
    if (r.trace[i].agent != f.first_agent) continue;
    const auto held = peer_direction(s, r.trace[i], backend_gpu);
    if (!held) continue;
    for (int j = i + 1; j <= f.second_op; ++j)
      if (r.trace[j].agent != f.first_agent && peer_direction(s, r.trace[j], backend_gpu) == held)
        return true;
  }
  return false;
}

DelayPlan random_plan(const ReplayResult& r, uint64_t seed) {
  DelayPlan plan;
  plan.name = fmt::format("random:{}", seed);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(0, 99);
  std::uniform_int_distribution<int> spin(50, 3000);
  for (int i = 0; i < static_cast<int>(r.trace.size()); ++i) {
    const bool queue = holds_on_queue(r.run.layout.agents[r.trace[i].agent].kind);
    if (queue && r.trace[i].kind == TraceKind::access && pick(rng) < 25)
      plan.delays.push_back({i, true, spin(rng), "random spin"});
    else if (!queue && pick(rng) < 3)
      plan.delays.push_back({i, false, spin(rng) / 10, "random host sleep"});
  }
  return plan;
}

nlohmann::ordered_json delay_plan_json(const DelayPlan& plan) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Delay& d : plan.delays)
    list.push_back({{"call", d.call},
                    {"on", d.on_queue ? "queue" : "host"},
                    {"microseconds", d.microseconds},
                    {"reason", d.reason}});
  return {{"schema", kDelayPlanSchema}, {"name", plan.name}, {"delays", list}};
}

DelayPlan delay_plan_from_json(const nlohmann::json& j, const std::string& file) {
  auto fail = [&](const std::string& path, const std::string& msg) {
    throw ScenarioError(file, path, msg);
  };
  if (!j.is_object()) fail("", "expected an object");
  if (!j.contains("schema") || j["schema"] != kDelayPlanSchema)
    fail("/schema", std::string("expected \"") + kDelayPlanSchema + "\"");
  for (const auto& [key, value] : j.items())
    if (key != "schema" && key != "name" && key != "delays")
      fail("/" + key, "unknown key \"" + key + "\" (allowed: schema, name, delays)");
  DelayPlan plan;
  if (j.contains("name")) {
    if (!j["name"].is_string()) fail("/name", "expected a string");
    plan.name = j["name"].get<std::string>();
  }
  if (!j.contains("delays") || !j["delays"].is_array())
    fail("/delays", "expected an array of delays");
  for (std::size_t i = 0; i < j["delays"].size(); ++i) {
    const auto& d = j["delays"][i];
    const std::string at = "/delays/" + std::to_string(i);
    if (!d.is_object()) fail(at, "expected an object");
    for (const auto& [key, value] : d.items())
      if (key != "call" && key != "on" && key != "microseconds" && key != "reason")
        fail(at + "/" + key,
             "unknown key \"" + key + "\" (allowed: call, on, microseconds, reason)");
    if (!d.contains("call") || !d["call"].is_number_unsigned())
      fail(at + "/call", "expected a call index >= 0");
    if (!d.contains("microseconds") || !d["microseconds"].is_number_unsigned() ||
        d["microseconds"].get<uint64_t>() > 10'000'000)
      fail(at + "/microseconds", "expected an integer from 0 to 10000000");
    Delay delay;
    delay.call = static_cast<int>(std::min<uint64_t>(d["call"].get<uint64_t>(), 1u << 30));
    delay.microseconds = static_cast<int>(d["microseconds"].get<uint64_t>());
    if (d.contains("on")) {
      if (d["on"] != "queue" && d["on"] != "host")
        fail(at + "/on", "expected \"queue\" or \"host\"");
      delay.on_queue = d["on"] == "queue";
    }
    if (d.contains("reason")) {
      if (!d["reason"].is_string()) fail(at + "/reason", "expected a string");
      delay.reason = d["reason"].get<std::string>();
    }
    plan.delays.push_back(delay);
  }
  return plan;
}

DelayPlan load_delay_plan(const std::string& path) {
  return delay_plan_from_text(json_format::read_text_file(path), path);
}

DelayPlan delay_plan_from_text(const std::string& text, const std::string& file) {
  const json_format::Json strict = json_format::parse_strict(text, file);
  try {
    // The checks below read the plain document type; the strict one is the same JSON.
    return delay_plan_from_json(nlohmann::json::parse(strict.dump()), file);
  } catch (const nlohmann::json::exception& e) {
    throw ScenarioError(file, "", std::string("malformed document: ") + e.what());
  }
}

}  // namespace schedcheck
