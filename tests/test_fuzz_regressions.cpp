// What fuzzing found stays found: every input under tests/fuzz-regressions/<target>/ goes
// through its target's checks (fuzz/fuzz_inputs.hpp) in every build, ASan's included. And the
// hostile inputs the loaders must bound: a file over 64 MiB, deep nesting, 100,000 ubatches,
// 2^40-byte tensors: clear errors or a quick run, never memory exhaustion.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "driver/scenario_file.hpp"
#include "fuzz/fuzz_inputs.hpp"
#include "import/dump_parser.hpp"
#include "import/dump_scenario.hpp"
#include "model/policies/registry.hpp"
#include "real/delay_plan.hpp"
#include "sim/replay.hpp"
#include "support/paths.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void replay_all(const std::string& folder, void (*check)(const std::string&)) {
  const fs::path dir = testing::source_path("tests/fuzz-regressions/" + folder);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(check(read(entry.path())));
    ++files;
  }
  EXPECT_GT(files, 0) << dir;
}

TEST(FuzzRegressions, ScenarioInputs) {
  replay_all("scenario", fuzz::scenario_input);
}
TEST(FuzzRegressions, PolicyFileInputs) {
  replay_all("policies", fuzz::policies_input);
}
TEST(FuzzRegressions, DelayPlanInputs) {
  replay_all("delay-plan", fuzz::delay_plan_input);
}
TEST(FuzzRegressions, DumpInputs) {
  replay_all("dump", fuzz::dump_input);
}

// A dump as large as a file may be, of the shapes that would make a naive parser quadratic: one
// line of parentheses, and 100,000 node lines of one name (each a new tensor of that name).
TEST(HostileInputs, LargeDumpsParseInLinearTime) {
  std::string parens = "## SPLIT #0: CPU # 0 inputs\nnode #  0 (X): ";
  while (parens.size() < (std::size_t{8} << 20)) parens += "(    ) [ ( ) [";
  const import::SchedDump d = import::parse_sched_dump(parens);
  ASSERT_EQ(d.unused.size(), 1u);
  EXPECT_EQ(d.unused[0].first, 2);
  std::string many = "## SPLIT #0: CUDA0 # 0 inputs\n";
  for (int i = 0; i < 100000; ++i)
    many += "node #" + std::to_string(i) + " (       ADD):                    a (   4K) [CUDA0 ]:      a (   4K) [CUDA0 ]\n";
  import::ImportOptions o;
  o.name = "many";
  o.ubatches = 1;
  const import::ImportResult r = import::dump_to_scenario(import::parse_sched_dump(many), o);
  EXPECT_EQ(r.nodes, 100000);
}

std::string error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(HostileInputs, DeepNestingIsRejectedByEveryLoader) {
  const std::string deep(100000, '[');
  for (const std::string& e :
       {error_of([&] { load_scenario_text(deep, "deep.json"); }),
        error_of([&] { parse_policy_text(deep, "deep.json", builtin_policies()); }),
        error_of([&] { delay_plan_from_text(deep, "deep.json"); })})
    EXPECT_NE(e.find("nest"), std::string::npos) << e;
}

TEST(HostileInputs, AFileOver64MiBIsRejectedBeforeParsing) {
  const fs::path big = fs::temp_directory_path() / "schedcheck-hostile-big.json";
  {
    std::ofstream out(big, std::ios::binary);
    out << "{\"schema\": \"";
    out << std::string((std::size_t{64} << 20), 'x') << "\"}";
  }
  for (const std::string& e : {error_of([&] { load_scenario_file(big.string()); }),
                               error_of([&] { load_policy_file(big.string()); }),
                               error_of([&] { load_delay_plan(big.string()); })})
    EXPECT_NE(e.find("larger than 64 MiB"), std::string::npos) << e;
  fs::remove(big);
}

std::string canonical_with(const std::string& from, const std::string& to) {
  std::string text = read(testing::source_path("reports/canonical/two-gpu-pp.json"));
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(HostileInputs, AHundredThousandUbatchesAreRefusedWithTheLimit) {
  const std::string text = canonical_with("\"ubatches_per_batch\": [\n      6\n    ]",
                                          "\"ubatches_per_batch\": [100000]");
  const std::string e = error_of([&] { load_scenario_text(text, "many.json"); });
  EXPECT_NE(e.find("/driver/ubatches_per_batch/0"), std::string::npos) << e;
  EXPECT_NE(e.find("4096"), std::string::npos) << e;
}

TEST(HostileInputs, TerabyteTensorsRunWithoutTheirBytes) {
  // The model tracks byte ranges, never the bytes: a 2^40-byte weight replays as a small one.
  std::string text =
      canonical_with("\"size\": 131072\n    },\n    {\n      \"name\": \"CUDA0_weights\"",
                     "\"size\": 1099511627776\n    },\n    {\n      \"name\": \"CUDA0_weights\"");
  const auto at = text.find("\"size\": 131072");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, "\"size\": 1099511627776");
  const Scenario s = load_scenario_text(text, "huge.json");
  EXPECT_EQ(s.tensors[s.find_tensor("token_embd.weight")].size, uint64_t{1} << 40);
  const ReplayResult r = replay(s, *find_builtin_policy("ggml-26040"));
  EXPECT_FALSE(r.findings.empty());
}

}  // namespace
}  // namespace schedcheck
