// The schedcheck subcommands. Each returns the process exit code (DESIGN.md §6):
// 0 clean / all expectations met, 1 race, stale read or unmet expectation, 2 bad input or usage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "real/real_run.hpp"
#include "scenario/llama_scenario.hpp"
#include "scenario/policy.hpp"
#include "sim/corpus_check.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitNoDevice = 3;

struct CheckArgs {
  std::string policy = "all";
  int cases = 200;
  uint64_t seed = 1;
  double time_budget = 0;
  int jobs = 1;
  int shard_index = 0;  // 0-based
  int shard_count = 1;
  int max_variants = 4;  // variants kept and shrunk per mechanism (docs/checking.md)
  std::string shape;     // the generator's shape; empty: every shape the model runs
  std::string save;
  std::string policies_file;  // extra policies ("schedcheck-policies/1")
  bool json = false;
  bool assert_known = false;  // exit 0 iff every verdict matches the known table
  bool real = false;          // confirm each counterexample on the GPU right after shrinking
  bool timeline = false;      // write NAME.html, its timeline, beside every saved NAME.json
  bool exhaustive = false;
  int max_splits = 2;
  int max_backends = 3;
  int max_ubatches = 2;
};

struct RealArgs {
  std::string file;
  std::string policy = "all";
  std::string delays = "auto";  // none | auto | random:SEED | FILE | from:POLICY
  int runs = 1;
  std::string save_plan;
  bool json = false;
  std::string placement;  // physical | physical-no-peer | virtual; empty: environment, physical
  std::string backend = "executor";  // executor | ggml-cuda | ggml-cpu
  std::string timeline;  // an HTML page of one run, placed by measured times (a new file)
};
int run_real(const RealArgs& args);
// --backend ggml-cuda / ggml-cpu: the tree over ggml's own backends (cli/real_backend_command.cpp).
int run_real_on_backends(const RealArgs& args);
// --delays from:NAME: the scenario simulated under that policy, or under every policy of the
// scenario for from:all. `real_options` is appended to a real tree's name (",graph=computable"
// over ggml's own backends, where the runs are simulated over the computable graph). Throws
// std::invalid_argument for an unknown name.
std::vector<ReplayResult> carried_sources(const Scenario& s, const std::string& name,
                                          const std::string& real_options = "");
// The GPU placement of --placement NAME (empty: SCHEDCHECK_GPU_PLACEMENT, else physical);
// nullopt after printing why the name is wrong.
std::optional<GpuPlacement> resolve_placement(const std::string& option);

struct AdviseArgs {
  std::string file;
  std::string policy;
  bool json = false;
  std::string apply;     // write the scenario with the minimal-set policy here (a new file)
  std::string timeline;  // write the run's timeline page here (a new file)
};
int run_advise(const AdviseArgs& args);
struct PoliciesArgs {
  bool json = false;
};
int run_policies(const PoliciesArgs& args);
// The policies a check run names: built-ins and those of --policies; nullopt after printing
// the reason (bad file or unknown name).
std::optional<std::vector<Policy>> resolve_check_policies(const CheckArgs& args);
int run_check(const CheckArgs& args);
int run_exhaustive(const CheckArgs& args);
// `schedcheck check` without arguments: every built-in policy, then the corpus, in one table.
int run_main_job(const std::string& corpus_dir);
struct ReplayArgs {
  std::string file;
  std::string policy = "all";
  bool json = false;
  std::string timeline;  // write the run's timeline page here (a new file; one policy)
};
int run_replay(const ReplayArgs& args);
struct CorpusArgs {
  std::string dir;  // empty: default_corpus_dir()
  bool json = false;
  bool real_ggml = false;  // also each ggml version's expectations on its real scheduler
};
int run_corpus(const CorpusArgs& args);
// The differential check: a ggml version's model against its real scheduler (docs/real-ggml.md).
struct DiffArgs {
  std::string file;  // a scenario, or empty with cases > 0
  std::string policy = "all";
  bool json = false;
  int cases = 0;  // > 0: generated scenarios instead of a file
  uint64_t seed = 1;
  int jobs = 1;
  std::string save = "schedcheck-divergences";
};
int run_diff(const DiffArgs& args);

// llama.cpp's decoder graph as a shaped scenario (scenario/llama_scenario.hpp), written to `out`.
struct LlamaScenarioArgs {
  std::string out;
  std::string layers = "2,2";  // per GPU, parsed into shape.layers_per_gpu
  std::string kind = "CUDA";   // parsed into shape.kind
  LlamaShape shape;            // the sizes, bound directly (their defaults are LlamaShape's)
};
int run_llama_scenario(const LlamaScenarioArgs& args);

// A GGML_SCHED_DEBUG dump as a scenario (import/, docs/import.md).
struct ImportArgs {
  std::string dump;
  std::string out;  // empty: <dump stem>.json in the current folder
  std::optional<int> n_copies;
  int ubatches = 6;
  bool pinned = false;
  bool pageable = false;
  std::vector<std::string> kinds;  // NAME=KIND
  std::optional<int> graph;
  int n_expert = 8;
  bool strict = false;
};
int run_import(const ImportArgs& args);

}  // namespace schedcheck
