// `schedcheck import`: dumps as scenarios. The real dumps of tests/dumps import and replay; what
// a dump does not say comes from flags and documented defaults; a dump of the real scheduler's
// own run imports into a scenario with the original's verdicts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "api/checker.hpp"
#include "driver/scenario_file.hpp"
#include "import/dump_parser.hpp"
#include "import/dump_scenario.hpp"
#include "support/ggml_bundle.hpp"
#include "support/run_command.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;
using testing::expect_bad_input;
using testing::read_all;
using testing::run_schedcheck;
using testing::scratch_dir;

const fs::path kDumps = fs::path(SCHEDCHECK_SOURCE_DIR) / "tests" / "dumps";

import::ImportResult import_text(const std::string& dump,
                                 import::ImportOptions o = {}){if (o.name.empty()) o.name = "t";
o.source = "test";
return import::dump_to_scenario(import::parse_sched_dump(dump), o);
}  // namespace

Scenario load(const import::ImportResult& r) {
  return load_scenario_text(r.scenario.dump(), "imported");
}

std::string assumptions(const import::ImportResult& r) {
  std::string all;
  for (const auto& a : r.assumptions) all += a + "\n";
  return all;
}

TEST(ImportCommand, EveryCollectedDumpImportsStrictlyAndReplays) {
  const std::string sources = read_all(kDumps / "SOURCES.md");
  const fs::path dir = scratch_dir("import-all");
  int count = 0;
  for (const auto& entry : fs::directory_iterator(kDumps)) {
    if (entry.path().extension() != ".txt") continue;
    ++count;
    const std::string name = entry.path().filename().string();
    EXPECT_NE(sources.find(name), std::string::npos) << name << " has no source in SOURCES.md";
    const fs::path out = dir / (entry.path().stem().string() + ".json");
    fs::remove(out);
    const auto r = run_schedcheck("import --strict '" + entry.path().string() + "' --out '" +
                                  out.string() + "'");
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("replay it: schedcheck replay"), std::string::npos);
    const auto replay = run_schedcheck("replay '" + out.string() + "' --policy all");
    EXPECT_TRUE(replay.exit_code == 0 || replay.exit_code == 1) << name << ": " << replay.err;
    // The assumptions are in the scenario itself.
    EXPECT_NE(read_all(out).find("Imported by `schedcheck import` from " + name),
              std::string::npos);
  }
  EXPECT_GE(count, 10);
}

TEST(ImportCommand, RefusesWhatItCannotUse) {
  const fs::path dir = scratch_dir("import-refuse");
  const fs::path paste = dir / "paste.txt";
  std::ofstream(paste) << "llama_context: n_ctx = 4096\n## SPLIT #0: CUDA0 # 0 inputs\n"
                          "node #  0 (ADD): broken\n## SPLIT #1: CPU # 0 inputs\n";
  auto r = run_schedcheck("import --strict '" + paste.string() + "' --out '" +
                          (dir / "a.json").string() + "'");
  expect_bad_input(r, "paste.txt:3: error: node line");
  EXPECT_NE(r.err.find("paste.txt:1: error: not part of the scheduler dump"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "a.json"));
  // Without --strict the same paste imports, each skipped line said.
  r = run_schedcheck("import '" + paste.string() + "' --out '" + (dir / "a.json").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("paste.txt:3: skipped: node line"), std::string::npos) << r.err;
  // An existing file is never overwritten.
  const std::string before = read_all(dir / "a.json");
  expect_bad_input(
      run_schedcheck("import '" + paste.string() + "' --out '" + (dir / "a.json").string() + "'"),
      "the file exists");
  EXPECT_EQ(read_all(dir / "a.json"), before);
  std::ofstream(dir / "prose.txt") << "It crashes with -sm layer.\n";
  expect_bad_input(run_schedcheck("import '" + (dir / "prose.txt").string() + "' --out '" +
                                  (dir / "b.json").string() + "'"),
                   "not a GGML_SCHED_DEBUG dump");
  expect_bad_input(run_schedcheck("import '" + paste.string() + "' --pinned --pageable --out '" +
                                  (dir / "c.json").string() + "'"),
                   "contradict");
  expect_bad_input(run_schedcheck("import '" + paste.string() + "' --kind CUDA0 --out '" +
                                  (dir / "c.json").string() + "'"),
                   "expected NAME=KIND");
  expect_bad_input(run_schedcheck("import '" + (dir / "missing.txt").string() + "'"),
                   "missing.txt");
  // --kind takes one NAME=KIND each time, so the dump may follow it.
  std::ofstream(dir / "sycl.txt") << "## SPLIT #0: SYCL0 # 0 inputs\n## SPLIT #1: CPU # 0 inputs\n";
  const auto kinds = run_schedcheck("import --kind SYCL0=CUDA '" + (dir / "sycl.txt").string() +
                                    "' --out '" + (dir / "sycl.json").string() + "'");
  EXPECT_EQ(kinds.exit_code, 0) << kinds.err;
  EXPECT_NE(kinds.out.find("SYCL0 (CUDA)"), std::string::npos) << kinds.out;
}

TEST(ImportScenario, BackendKindsFromNamesAndFlags) {
  const std::string dump =
      "## SPLIT #0: ROCm0 # 0 inputs\n## SPLIT #1: Vulkan1 # 0 inputs\n## SPLIT #2: MTL0 # 0 "
      "inputs\n"
      "## SPLIT #3: HTP0 # 0 inputs\n## SPLIT #4: BLAS # 0 inputs\n## SPLIT #5: CPU # 0 inputs\n";
  const auto r = import_text(dump);
  std::map<std::string, std::string> kinds;
  for (const auto& b : r.scenario["backends"]) kinds[b["name"]] = b["kind"];
  EXPECT_EQ(kinds["ROCm0"], "HIP");
  EXPECT_EQ(kinds["Vulkan1"], "Vulkan");
  EXPECT_EQ(kinds["MTL0"], "Metal");
  EXPECT_EQ(kinds["BLAS"], "BLAS");
  EXPECT_EQ(r.scenario["backends"].back()["name"], "CPU");
  for (const auto& b : r.scenario["backends"])
    if (b["name"] == "HTP0") {
      EXPECT_EQ(b["capabilities"]["events"], false);
    }
  EXPECT_NE(assumptions(r).find("HTP0 (Hexagon)"), std::string::npos);
  load(r);

  const std::string sycl = "## SPLIT #0: SYCL0 # 0 inputs\n## SPLIT #1: CPU # 0 inputs\n";
  try {
    import_text(sycl);
    FAIL() << "SYCL0 has no kind the model knows";
  } catch (const import::ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("--kind SYCL0=KIND"), std::string::npos) << e.what();
  }
  import::ImportOptions o;
  o.kinds["SYCL0"] = "CUDA";
  EXPECT_EQ(import_text(sycl, o).scenario["backends"][0]["kind"], "CUDA");
  o.kinds["SYCL0"] = "GPU";
  EXPECT_THROW(import_text(sycl, o), import::ImportError);
}

// GGML_SCHED_DEBUG=1: headers only. The two-GPU pipeline-parallel graph of the corpus.
constexpr const char* kTwoGpuHeaders =
    "llama_context: pipeline parallelism enabled (n_copies=4)\n"
    "## SPLIT #0: CPU # 0 inputs\n"
    "## SPLIT #1: CUDA0 # 3 inputs: [inp_embd (   4K)] [inp_pos (   0K)] [KQ_mask (   2K)]\n"
    "## SPLIT #2: CUDA1 # 4 inputs: [l_out-0 (   4K)] [inp_pos (   0K)] [KQ_mask (   2K)] "
    "[inp_out_ids (   0K)]\n";

TEST(ImportScenario, HeadersOnlyDumpGetsStandInNodesAndShowsTheKnownRaces) {
  const auto r = import_text(kTwoGpuHeaders);
  EXPECT_TRUE(r.synthesized_nodes);
  EXPECT_EQ(r.scenario["scheduler"]["max_copies"], 4);
  EXPECT_EQ(r.scenario["scheduler"]["pipeline_parallel"], true);
  EXPECT_NE(assumptions(r).find("n_copies 4 from the log (line 1)"), std::string::npos)
      << assumptions(r);
  const Scenario s = load(r);
  const CheckResult unsafe = check(s, "ggml-17795");
  EXPECT_TRUE(unsafe.verdict.race);
  EXPECT_TRUE(unsafe.has_mechanism(Mechanism::H2)) << unsafe.report();
  EXPECT_TRUE(check(s, "ggml-20793").verdict.is_clean());
}

TEST(ImportScenario, CopiesPipelineParallelismAndBuffersFromFlags) {
  import::ImportOptions o;
  o.n_copies = 1;
  o.pinned = false;
  o.ubatches = 3;
  const auto r = import_text(kTwoGpuHeaders, o);
  EXPECT_EQ(r.scenario["scheduler"]["pipeline_parallel"], false);
  EXPECT_EQ(r.scenario["driver"]["ubatches_per_batch"][0], 3);
  for (const auto& b : r.scenario["buffers"])
    if (b["name"] == "CPU_compute") {
      EXPECT_EQ(b["kind"], "pageable_host");
    }
  // Copy slots above #0 in the node lines mean pipeline parallelism.
  const auto slots = import_text(
      "## SPLIT #0: CUDA0 # 1 inputs: [inp_pos (   0K)]\n"
      "node #  1 (       ADD):                    a (   4K) [CUDA0         ]:       "
      "CUDA0#inp_pos#2 (   0K) "
      "[ NULL         ]\n"
      "## SPLIT #1: CUDA1 # 1 inputs: [a (   4K)]\n"
      "node #  2 (       ADD):                    b (   4K) [CUDA1         ]:            CUDA1#a#2 "
      "(   4K) "
      "[ NULL         ]\n");
  EXPECT_EQ(slots.scenario["scheduler"]["max_copies"], 4);
  EXPECT_NE(assumptions(slots).find("input copies up to #2"), std::string::npos);
  EXPECT_EQ(slots.scenario["splits"][1]["inputs"][0], "a");
  load(slots);
}

TEST(ImportScenario, KvWritesAndCutNamesResolve) {
  const auto r = import_text(
      "## SPLIT #0: CUDA0 # 2 inputs: [blk.31.attn_norm.weight (  16K)] [k_idxs (   0K)]\n"
      "node #  1 (       MUL):             attn_norm (  48K) [CUDA0         ]:          norm-31 (  "
      "48K) "
      "[CUDA0         ] CUDA0#blk.31.attn_no (  16K) [ NULL         ]\n"
      "node #  2 (  SET_ROWS):    cache_k_l0 (view) ( 768K) [CUDA0         ] use=0,c=1:            "
      "attn_norm (  48K) "
      "[CUDA0         ]     CUDA0#k_idxs#0 (   0K) [ NULL         ]           cache_k_l0 ( 768K) "
      "[CUDA0         ]\n"
      "node #  3 (   MUL_MAT):                   kq ( 768K) [CUDA0         ]:    cache_k_l0 (view) "
      "( 768K) "
      "[CUDA0         ]            attn_norm (  48K) [CUDA0         ]\n");
  const auto& nodes = r.scenario["splits"][0]["nodes"];
  EXPECT_EQ(nodes[0]["sources"][1], "blk.31.attn_norm.weight");
  EXPECT_EQ(nodes[1]["writes"], "cache_k_l0");
  EXPECT_EQ(nodes[2]["sources"][0], "cache_k_l0");
  bool kv = false;
  for (const auto& t : r.scenario["tensors"])
    kv |= t["name"] == "cache_k_l0" && t["buffer"] == "CUDA0_kv";
  EXPECT_TRUE(kv);
  load(r);
}

class ImportRealDump : public testing::GgmlBundleTest {};

// The real ggml-head scheduler runs the corpus's two-GPU scenario and prints its dump; the dump,
// imported, has the original's verdict and mechanisms under every built-in policy.
TEST_F(ImportRealDump, RealSchedulersDumpImportsToTheSameVerdicts) {
  const fs::path dir = scratch_dir("import-real");
  const std::string original =
      std::string(SCHEDCHECK_SOURCE_DIR) + "/reports/canonical/two-gpu-pp.json";
  const fs::path dump = dir / "dump.txt";
  const auto run =
      testing::run_shell("GGML_SCHED_DEBUG=2 '" + std::string(SCHEDCHECK_BINARY) + "' replay '" +
                         original + "' --policy ggml@ggml-head 2> '" + dump.string() + "'");
  ASSERT_EQ(run.exit_code, 1) << run.out;
  const fs::path out = dir / "imported.json";
  fs::remove(out);
  const auto imp = run_schedcheck("import '" + dump.string() + "' --out '" + out.string() + "'");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_NE(imp.out.find("n_copies 4"), std::string::npos) << imp.out;
  const Scenario a = load_scenario(original);
  const Scenario b = load_scenario(out.string());
  for (const char* policy : {"ggml-v0", "ggml-17795", "ggml-20463", "ggml-20793", "ggml-25138",
                             "ggml-26040", "schedcheck-min"}) {
    const CheckResult ra = check(a, policy);
    const CheckResult rb = check(b, policy);
    EXPECT_EQ(ra.verdict.race, rb.verdict.race) << policy;
    EXPECT_EQ(ra.verdict.stale, rb.verdict.stale) << policy;
    EXPECT_EQ(std::set<Mechanism>(ra.mechanisms.begin(), ra.mechanisms.end()),
              std::set<Mechanism>(rb.mechanisms.begin(), rb.mechanisms.end()))
        << policy << "\n"
        << rb.report();
  }
}

}  // namespace schedcheck
}  // namespace schedcheck
