// bench/ggml_sched_bench (docs/upstream-patch.md, "GPU speed measurement") without a GPU: built
// against ggml-head's ggml-cpu from the bundle, it runs one tiny round on CPU stand-ins for the
// GPUs. Its JSON line has every field, no ubatch differs from the ggml-cpu reference, a fault
// injected into one ubatch is counted exactly, bad input exits 2, and the summarizer pairs two
// trees' rounds and computes the speed-up's interval.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bridge/content_hash.hpp"
#include "bridge/file_lock.hpp"
#include "bridge/ggml_cmake_build.hpp"
#include "bridge/ggml_tree.hpp"
#include "bridge/process.hpp"
#include "bridge/real_scheduler.hpp"
#include "support/ggml_bundle.hpp"
#include "support/paths.hpp"
#include "support/run_command.hpp"

#ifndef GGML_SCHED_BENCH_CXX
#define GGML_SCHED_BENCH_CXX "c++"
#endif

namespace schedcheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs a build step; on failure, the message names it with its log's tail.
bool step(const std::vector<std::string>& argv, const fs::path& log, std::string& error) {
  if (run_process(argv, log) == 0) return true;
  error = argv[0] + " " + argv[1] + " " + argv[2] + " failed (" + log.string() + "):\n" +
          log_tail(log, 20);
  return false;
}

// The bench, built once per ggml install and checkout, against ggml-head's ggml-cpu as the bridge
// builds and installs it (shared with the real-ggml tests).
fs::path build_bench(std::string& error) {
  fs::path prefix;
  try {
    prefix = install_ggml(resolve_tree("ggml-head"));
  } catch (const BridgeError& e) {
    error = e.what();
    return {};
  }
  const fs::path root = prefix.parent_path() / "ggml-sched-bench";
  fs::create_directories(root);
  const std::string key = ContentHash().add(SCHEDCHECK_SOURCE_DIR).add(GGML_SCHED_BENCH_CXX).hex();
  const fs::path bench = root / ("bench-" + key);
  FileLock lock(root / ("bench-" + key + ".lock"));
  if (!fs::exists(bench / "CMakeCache.txt")) {
    std::vector<std::string> configure = {
        "cmake",
        "-S",
        testing::source_path("bench/ggml_sched_bench"),
        "-B",
        bench.string(),
        "-DCMAKE_BUILD_TYPE=Release",
        "-DGGML_SCHED_BENCH_WERROR=ON",
        "-DCMAKE_CXX_COMPILER=" + std::string(GGML_SCHED_BENCH_CXX),
        "-DCMAKE_PREFIX_PATH=" + prefix.string()};
    if (run_process({"ninja", "--version"}, root / "ninja.log") == 0)
      configure.insert(configure.end(), {"-G", "Ninja"});
    if (!step(configure, root / "bench-configure.log", error)) {
      fs::remove_all(bench);
      return {};
    }
  }
  if (!step({"cmake", "--build", bench.string(), "-j", "2"}, root / "bench-build.log", error))
    return {};
  return bench / "ggml_sched_bench";
}

class GgmlSchedBench : public testing::GgmlBackendsTest {
 protected:
  void SetUp() override {
    GgmlBackendsTest::SetUp();
    if (IsSkipped()) return;
    static std::string error;
    static const fs::path bench = build_bench(error);
    ASSERT_FALSE(bench.empty()) << error;
    bench_ = bench;
    dir_ = testing::scratch_dir("ggml-sched-bench");
  }

  // One tiny round per scenario on CPU stand-ins; the JSON lines go to a file.
  testing::CommandResult run(const std::string& args, const fs::path& out) {
    return testing::run_shell("'" + bench_.string() +
                              "' run --devices cpu --threads 1 --rounds 1 --decodes 2 "
                              "--warmup 1 --ubatches 4 --seed 7 --out '" +
                              out.string() + "' " + args);
  }

  static std::vector<json> lines(const fs::path& file) {
    std::vector<json> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  fs::path bench_;
  fs::path dir_;
};

TEST_F(GgmlSchedBench, ARoundMatchesTheCpuReferenceAndReportsEveryField) {
  const fs::path out = dir_ / "clean.jsonl";
  const auto r = run("--tree ggml-head --scenario single-gpu-partial,two-gpu-pp,two-gpu-layer", out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("seed 7"), std::string::npos) << r.err;  // the seed is printed
  const std::vector<json> rounds = lines(out);
  ASSERT_EQ(rounds.size(), 3u);
  for (const json& j : rounds) {
    SCOPED_TRACE(j.dump());
    EXPECT_EQ(j.at("tree"), "ggml-head");
    EXPECT_EQ(j.at("round"), 0);
    EXPECT_EQ(j.at("status"), "ok");
    EXPECT_EQ(j.at("seed"), "7");
    EXPECT_EQ(j.at("devices"), "cpu-stand-in");
    EXPECT_EQ(j.at("decodes"), 2);
    EXPECT_EQ(j.at("n_ubatch"), 4);
    EXPECT_EQ(j.at("ubatches"), 8);           // measured
    EXPECT_EQ(j.at("checked_ubatches"), 12);  // warm-up too
    EXPECT_EQ(j.at("corrupted_ubatches"), 0);
    EXPECT_EQ(j.at("corrupted_by_ubatch"), "0 0 0 0");
    EXPECT_GT(j.at("host_us_per_ubatch").get<double>(), 0);
    EXPECT_GT(j.at("compute_async_us_per_ubatch").get<double>(), 0);
    EXPECT_GE(j.at("sync_us_per_decode").get<double>(), 0);
    EXPECT_GT(j.at("ubatches_per_s").get<double>(), 0);
    EXPECT_LE(j.at("max_err").get<double>(), j.at("tolerance").get<double>());
    EXPECT_EQ(j.at("max_err_clean"), j.at("max_err"));
    EXPECT_TRUE(j.at("min_err_corrupted").is_null());
    EXPECT_NE(j.at("model").get<std::string>().find("sync-bound"), std::string::npos);
  }
  EXPECT_EQ(rounds[0].at("scenario"), "single-gpu-partial");
  EXPECT_EQ(rounds[0].at("n_copies"), 1);
  EXPECT_EQ(rounds[1].at("scenario"), "two-gpu-pp");
  EXPECT_EQ(rounds[1].at("n_copies"), 4);  // pipeline parallel
  EXPECT_EQ(rounds[2].at("scenario"), "two-gpu-layer");
  EXPECT_EQ(rounds[2].at("n_copies"), 1);  // the same split without it
}

TEST_F(GgmlSchedBench, AFaultInjectedIntoOneUbatchIsCountedInEveryDecode) {
  const fs::path out = dir_ / "fault.jsonl";
  const auto r = run("--scenario single-gpu-partial --inject-fault 1", out);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // corrupted ubatches
  const std::vector<json> rounds = lines(out);
  ASSERT_EQ(rounds.size(), 1u);
  const json& j = rounds[0];
  EXPECT_EQ(j.at("corrupted_ubatches"), 3) << j.dump();  // 1 warm-up + 2 measured decodes
  EXPECT_EQ(j.at("corrupted_by_ubatch"), "0 3 0 0");
  EXPECT_GT(j.at("min_err_corrupted").get<double>(), j.at("tolerance").get<double>());
  EXPECT_LE(j.at("max_err_clean").get<double>(), j.at("tolerance").get<double>());
  EXPECT_EQ(j.at("inject_fault"), 1);
}

TEST_F(GgmlSchedBench, BadInputIsRefusedWithExitCode2) {
  const auto bad = [&](const std::string& args, const std::string& fragment) {
    testing::expect_bad_input(testing::run_shell("'" + bench_.string() + "' " + args), fragment,
                              args);
  };
  bad("run --rounds 0", "--rounds: expected an integer from 1 to 100000, got '0'");
  bad("run --scenario nope", "--scenario: unknown scenario 'nope'");
  bad("run --ubatches 2 --inject-fault 2", "--inject-fault: ubatch 2 does not exist");
  bad("fly", "unknown command 'fly'");
  std::ofstream(dir_ / "garbage.jsonl") << "{\"tree\": \"a\",\n";
  bad("summarize '" + (dir_ / "garbage.jsonl").string() + "'",
      "garbage.jsonl:1: column 14: expected");
}

TEST_F(GgmlSchedBench, TheSummaryPairsTwoTreesRoundByRound) {
  // Real rounds of two labels (the same tree here), then the table.
  const fs::path out = dir_ / "two-trees.jsonl";
  for (const char* tree : {"ggml-head", "patched"})
    ASSERT_EQ(run(std::string("--tree ") + tree + " --scenario single-gpu-full --rounds 2", out)
                  .exit_code,
              0);
  const auto s = testing::run_shell("'" + bench_.string() + "' summarize '" + out.string() + "'");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("# ggml_sched_bench: patched against ggml-head"), std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("## single-gpu-full"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("| ggml-head | 2 |"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("| patched | 2 |"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("| speed-up, 2 pairs |"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("0 of 24"), std::string::npos) << s.out;  // corrupted of checked

  // Known numbers: patched twice as fast in both pairs -> 2.000 with a zero-width interval;
  // ubatches/s ratios 2 and 1.5: geometric mean, t-interval exp(mean +- 12.706 * sd / sqrt 2).
  const auto row = [](const std::string& tree, int round, double host, double ups) {
    return json{{"tree", tree},
                {"scenario", "s"},
                {"round", round},
                {"status", "ok"},
                {"backends", "B"},
                {"n_splits", 3},
                {"n_copies", 1},
                {"decodes", 2},
                {"n_ubatch", 4},
                {"model", "m"},
                {"devices", "cuda"},
                {"host_us_per_ubatch", host},
                {"compute_async_us_per_ubatch", host / 2},
                {"ubatches_per_s", ups},
                {"checked_ubatches", 8},
                {"corrupted_ubatches", 0},
                {"max_err_clean", 1e-4}}
        .dump();
  };
  std::ofstream(dir_ / "known.jsonl") << row("ggml-head", 0, 100, 10) << "\n"
                                      << row("ggml-head", 1, 100, 10) << "\n"
                                      << row("patched", 0, 50, 20) << "\n"
                                      << row("patched", 1, 50, 15) << "\n";
  const auto k = testing::run_shell("'" + bench_.string() + "' summarize '" +
                                    (dir_ / "known.jsonl").string() + "'");
  ASSERT_EQ(k.exit_code, 0) << k.err;
  EXPECT_NE(k.out.find("| **2.000** [2.000, 2.000] |"), std::string::npos) << k.out;
  const double m = (std::log(2.0) + std::log(1.5)) / 2;
  const double half = 12.7062 * std::fabs(std::log(2.0) - std::log(1.5)) / 2;
  char ups[96];
  std::snprintf(ups, sizeof ups, "**%.3f** [%.3f, %.3f]", std::exp(m), std::exp(m - half),
                std::exp(m + half));
  EXPECT_NE(k.out.find(ups), std::string::npos) << ups << "\n" << k.out;
}

}  // namespace
}  // namespace schedcheck
