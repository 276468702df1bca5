#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "errors.hpp"
#include "scenario.hpp"

namespace gsb {
namespace {

[[noreturn]] void bad(const std::string& what) {
  throw UsageError(what);
}

long long parse_integer(const std::string& flag, const std::string& text, long long lo,
                        long long hi) {
  long long v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < lo || v > hi)
    bad(flag + ": expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
        ", got '" + text + "'");
  return v;
}

int parse_int(const std::string& flag, const std::string& text, int lo, int hi) {
  return static_cast<int>(parse_integer(flag, text, lo, hi));
}

uint64_t parse_seed(const std::string& text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end)
    bad("--seed: expected an unsigned 64-bit integer, got '" + text + "'");
  return v;
}

double parse_fraction(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v <= 0 || v >= 1)
    bad(flag + ": expected a number between 0 and 1 (exclusive), got '" + text + "'");
  return v;
}

void add_scenarios(Options& o, const std::string& list) {
  const std::vector<std::string>& known = scenario_names();
  std::vector<std::string> wanted(o.scenarios);
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    start = comma + 1;
    if (name == "all") {
      wanted.insert(wanted.end(), known.begin(), known.end());
    } else if (std::find(known.begin(), known.end(), name) != known.end()) {
      wanted.push_back(name);
    } else {
      std::string names;
      for (const std::string& k : known) names += " " + k;
      bad("--scenario: unknown scenario '" + name + "'; expected all or one of:" + names);
    }
  }
  o.scenarios.clear();  // catalogue order, each once
  for (const std::string& k : known)
    if (std::find(wanted.begin(), wanted.end(), k) != wanted.end()) o.scenarios.push_back(k);
}

}  // namespace

std::string usage() {
  return R"(usage:
  ggml_sched_bench run [options]       every scenario, --rounds rounds; one JSON line per round
  ggml_sched_bench serve [options]     set up, then run one round per stdin line
                                       "round SCENARIO R" (one JSON line each); "quit" ends
  ggml_sched_bench summarize [--base LABEL] FILE...
                                       pair two trees' rounds by (scenario, round): markdown
options of run and serve:
  --tree LABEL         label of the ggml tree in every JSON line (default ggml)
  --scenario LIST      comma-separated, or all (default): single-gpu-partial, single-gpu-full,
                       two-gpu-pp, two-gpu-layer, llama-small-full, llama-small-partial
  --rounds N           rounds per scenario (run; default 3)
  --first-round N      number of the first round (run; default 0)
  --decodes N          measured decodes per round (default: 20 sync-bound, 10 llama-small-full,
                       4 llama-small-partial)
  --warmup N           warm-up decodes per round, checked but not timed (default 2)
  --ubatches N         ubatches per decode (default 8)
  --sets N             distinct input sets; decode d of round r uses set (r + d) % N (default 2)
  --seed S             weights and inputs (default 1)
  --threads N          CPU backend threads (default: hardware threads, at most 8)
  --devices MODE       auto (default): CUDA devices when ggml has them, else CPU stand-ins;
                       cuda: exit 3 without a CUDA device; cpu: CPU stand-ins for the GPUs
  --tolerance X        corrupted when max|out-ref| / max(1, max|ref|) > X (default 0.05)
  --inject-fault U     perturb the token ids of ubatch U in every decode (checker self-test:
                       every decode's ubatch U must count as corrupted)
  --llama-layers N     llama-small's layers (default 4; partial offload keeps N/4 on the CPU)
  --llama-tokens N     llama-small's tokens per ubatch (default 16)
  --llama-type T       f32 (default) or f16 weights
  --out FILE           append the JSON lines to FILE instead of writing them to stdout
exit codes: 0 clean, 1 corrupted ubatches, 2 bad input, 3 no CUDA device (--devices cuda),
            4 ggml failed
)";
}

Options parse_options(int argc, char** argv) {
  Options o;
  const unsigned hw = std::thread::hardware_concurrency();
  o.threads = static_cast<int>(std::clamp(hw, 1u, 8u));
  if (argc < 2) bad("missing command: run, serve or summarize (--help)");
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return o;
  if (command == "run")
    o.mode = Mode::run;
  else if (command == "serve")
    o.mode = Mode::serve;
  else if (command == "summarize")
    o.mode = Mode::summarize;
  else
    bad("unknown command '" + command + "': expected run, serve or summarize (--help)");

  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      o.mode = Mode::help;
      return o;
    }
    if (o.mode == Mode::summarize && flag.rfind("--", 0) != 0) {
      o.files.push_back(flag);
      continue;
    }
    if (i + 1 >= argc)
      bad(flag.rfind("--", 0) == 0 ? flag + ": missing value"
                                   : "unexpected argument '" + flag + "'");
    const std::string v = argv[++i];
    if (o.mode == Mode::summarize) {
      if (flag == "--base")
        o.base = v;
      else
        bad("summarize: unknown option " + flag + " (expected --base LABEL and files)");
      continue;
    }
    if (flag == "--tree") {
      if (v.empty() || v.find_first_of("\"\\\n") != std::string::npos)
        bad("--tree: expected a label without quotes, backslashes or newlines, got '" + v + "'");
      o.tree = v;
    } else if (flag == "--scenario") {
      add_scenarios(o, v);
    } else if (flag == "--rounds") {
      o.rounds = parse_int(flag, v, 1, 100000);
    } else if (flag == "--first-round") {
      o.first_round = parse_int(flag, v, 0, 1000000);
    } else if (flag == "--decodes") {
      o.decodes = parse_int(flag, v, 1, 100000);
    } else if (flag == "--warmup") {
      o.warmup = parse_int(flag, v, 0, 1000);
    } else if (flag == "--ubatches") {
      o.ubatches = parse_int(flag, v, 1, 256);
    } else if (flag == "--sets") {
      o.sets = parse_int(flag, v, 1, 16);
    } else if (flag == "--seed") {
      o.seed = parse_seed(v);
    } else if (flag == "--threads") {
      o.threads = parse_int(flag, v, 1, 256);
    } else if (flag == "--devices") {
      if (v == "auto")
        o.devices = DeviceMode::automatic;
      else if (v == "cuda")
        o.devices = DeviceMode::cuda;
      else if (v == "cpu")
        o.devices = DeviceMode::cpu;
      else
        bad("--devices: expected auto, cuda or cpu, got '" + v + "'");
    } else if (flag == "--tolerance") {
      o.tolerance = parse_fraction(flag, v);
    } else if (flag == "--inject-fault") {
      o.inject_fault = parse_int(flag, v, 0, 255);
    } else if (flag == "--llama-layers") {
      o.llama.layers = parse_int(flag, v, 2, 64);
    } else if (flag == "--llama-tokens") {
      o.llama.tokens = parse_int(flag, v, 1, 512);
    } else if (flag == "--llama-type") {
      if (v != "f32" && v != "f16") bad("--llama-type: expected f32 or f16, got '" + v + "'");
      o.llama.f16 = v == "f16";
    } else if (flag == "--out") {
      if (v.empty()) bad("--out: expected a file name");
      o.out_path = v;
    } else {
      bad("unknown option " + flag + " (--help)");
    }
  }
  if (o.mode == Mode::summarize && o.files.empty()) bad("summarize: expected at least one FILE");
  if (o.scenarios.empty()) o.scenarios = scenario_names();
  if (o.inject_fault >= o.ubatches)
    bad("--inject-fault: ubatch " + std::to_string(o.inject_fault) + " does not exist with " +
        std::to_string(o.ubatches) + " ubatches per decode");
  return o;
}

}  // namespace gsb
