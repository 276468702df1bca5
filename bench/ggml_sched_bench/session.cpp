#include "session.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>

#include "json_line.hpp"

namespace gsb {
namespace {

void note(const std::string& line) {
  std::cerr << "# " << line << std::endl;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Session::Session(const Options& options)
    : options_(options), backends_(options.devices, options.threads) {
  note("ggml_sched_bench: tree " + options.tree + ", seed " + std::to_string(options.seed) + ", " +
       std::to_string(options.ubatches) + " ubatches per decode, " + std::to_string(options.sets) +
       " input sets, tolerance " + fixed(options.tolerance, 4));
  note("backends: " + backends_.describe());
}

ScenarioRunner* Session::runner(const Scenario& s, std::string& skip_reason) {
  if (auto it = runners_.find(s.name); it != runners_.end()) return it->second.get();
  if (s.gpus > backends_.gpu_count()) {
    skip_reason = "needs " + std::to_string(s.gpus) + " CUDA devices, ggml has " +
                  std::to_string(backends_.gpu_count()) +
                  " (set GGML_CUDA_DEVICES=2 to expose one GPU as two)";
    return nullptr;
  }
  const std::string key = s.shape.describe();
  std::unique_ptr<Reference>& ref = references_[key];
  if (!ref) {
    ref = std::make_unique<Reference>(s.shape, options_.seed, options_.sets, options_.ubatches,
                                      options_.threads);
    note("reference (ggml-cpu only, " + std::to_string(options_.sets * options_.ubatches) +
         " ubatches) of " + key + ": " + fixed(ref->seconds(), 2) + " s, largest |logit| " +
         fixed(ref->largest_magnitude(), 3));
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = std::make_unique<ScenarioRunner>(s, backends_, *ref, options_.seed, options_.ubatches,
                                            options_.sets);
  note(s.name + ": " + s.description + "; " + key + "; backends " + r->backend_names() + ", " +
       std::to_string(r->n_splits()) + " splits, n_copies " + std::to_string(r->n_copies()) +
       ", weights " + fixed(static_cast<double>(r->weight_bytes()) / (1 << 20), 1) +
       " MiB; set up in " +
       fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2) +
       " s");
  return (runners_[s.name] = std::move(r)).get();
}

std::string Session::round(const std::string& name, int round, int& corrupted) {
  corrupted = 0;
  const Scenario s = make_scenario(name, options_.llama);
  JsonWriter j;
  j.add("tree", options_.tree).add("scenario", name).add("round", round);
  std::string skip_reason;
  ScenarioRunner* r = runner(s, skip_reason);
  if (r == nullptr) {
    note(name + ": skipped: " + skip_reason);
    return j.add("status", "skipped").add("reason", skip_reason).line();
  }
  RoundConfig c;
  c.decodes = options_.decodes > 0 ? options_.decodes : s.default_decodes;
  c.warmup = options_.warmup;
  c.sets = options_.sets;
  c.tolerance = options_.tolerance;
  c.inject_fault = options_.inject_fault;
  const RoundResult res = r->run_round(round, c);
  corrupted = res.corrupted;
  std::string by_ubatch;
  for (int n : res.corrupted_by_ubatch)
    by_ubatch += (by_ubatch.empty() ? "" : " ") + std::to_string(n);
  j.add("status", "ok")
      .add("seed", std::to_string(options_.seed))
      .add("devices", backends_.cuda() ? "cuda" : "cpu-stand-in")
      .add("backends", r->backend_names())
      .add("model", s.shape.describe())
      .add("n_splits", r->n_splits())
      .add("n_copies", r->n_copies())
      .add("threads", options_.threads)
      .add("decodes", c.decodes)
      .add("warmup", c.warmup)
      .add("n_ubatch", options_.ubatches)
      .add("ubatches", res.ubatches)
      .add("host_us_per_ubatch", res.host_us_per_ubatch)
      .add("compute_async_us_per_ubatch", res.compute_async_us_per_ubatch)
      .add("sync_us_per_decode", res.sync_us_per_decode)
      .add("ubatches_per_s", res.ubatches_per_s)
      .add("checked_ubatches", res.checked)
      .add("corrupted_ubatches", res.corrupted)
      .add("corrupted_by_ubatch", by_ubatch)
      .add("max_err", res.max_err)
      .add("max_err_clean", res.max_err_clean)
      .add("min_err_corrupted", res.min_err_corrupted)
      .add("tolerance", c.tolerance)
      .add("inject_fault", c.inject_fault);
  return j.line();
}

}  // namespace gsb
