// The command line: `run` and `serve` (the measurement), `summarize` (pairs two trees' rounds).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gsb {

enum class Mode { run, serve, summarize, help };
enum class DeviceMode { automatic, cuda, cpu };

struct LlamaSize {
  int layers = 4;    // transformer blocks
  int tokens = 16;   // tokens per ubatch
  bool f16 = false;  // F16 weights instead of F32
};

struct Options {
  Mode mode = Mode::help;
  std::string tree = "ggml";           // label written in every JSON line
  std::vector<std::string> scenarios;  // in catalogue order; every one by default
  int rounds = 3;                      // run: rounds per scenario
  int first_round = 0;                 // run: number of the first round
  int decodes = 0;                     // measured decodes per round; 0: the scenario's default
  int warmup = 2;                      // warm-up decodes per round (checked, not timed)
  int ubatches = 8;                    // ubatches per decode
  int sets = 2;                        // input sets: decode d of round r uses set (r + d) % sets
  uint64_t seed = 1;                   // weights and inputs
  int threads = 0;                     // CPU backend threads (set by parse_options)
  DeviceMode devices = DeviceMode::automatic;
  double tolerance = 0.05;  // corrupted: max |out - ref| / max(1, max |ref|) above this
  int inject_fault = -1;    // ubatch whose token ids are perturbed (checker self-test)
  LlamaSize llama;
  std::string out_path;            // JSON lines appended to this file instead of stdout
  std::string base;                // summarize: the baseline tree's label
  std::vector<std::string> files;  // summarize: the JSON-lines files
};

// Throws UsageError with a precise message on bad input.
Options parse_options(int argc, char** argv);
std::string usage();

}  // namespace gsb
