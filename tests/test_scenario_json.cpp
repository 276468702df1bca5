// Scenario loader: malformed files are rejected at the right JSON pointer, valid files map to the
// expected indices, and save/load round-trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "driver/scenario_file.hpp"
#include "model/policies/registry.hpp"
#include "model/split_formation.hpp"

namespace schedcheck {
namespace {

namespace fs = std::filesystem;

const std::string kTests = std::string(SCHEDCHECK_SOURCE_DIR) + "/tests";
const std::string kMalformed = kTests + "/malformed";
const std::string kScenarios = kTests + "/scenarios";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct MalformedCase {
  std::string file;
  std::string pointer;
  std::string fragment;
};

// Readable test parameters in gtest's failure output.
void PrintTo(const MalformedCase& c, std::ostream* os) {
  *os << c.file;
}

// EXPECTED.txt: FILE<TAB>JSON_POINTER<TAB>message fragment (the pointer may be empty).
std::vector<MalformedCase> read_expected() {
  std::vector<MalformedCase> cases;
  std::ifstream in(kMalformed + "/EXPECTED.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto t1 = line.find('\t');
    auto t2 = t1 == std::string::npos ? std::string::npos : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) {
      cases.push_back({line, "<malformed EXPECTED line>", ""});
      continue;
    }
    cases.push_back({line.substr(0, t1), line.substr(t1 + 1, t2 - t1 - 1), line.substr(t2 + 1)});
  }
  return cases;
}

std::string case_name(const testing::TestParamInfo<MalformedCase>& info) {
  std::string name = fs::path(info.param.file).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class Malformed : public testing::TestWithParam<MalformedCase> {};

TEST_P(Malformed, RejectedAtPointer) {
  const MalformedCase& c = GetParam();
  const std::string path = kMalformed + "/" + c.file;
  ASSERT_TRUE(fs::exists(path)) << path;
  try {
    load_scenario_file(path);
    FAIL() << c.file << " loaded without error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.json_path(), c.pointer) << e.what();
    EXPECT_NE(e.message().find(c.fragment), std::string::npos)
        << "message: " << e.message() << "\nexpected fragment: " << c.fragment;
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Malformed, testing::ValuesIn(read_expected()), case_name);

TEST(MalformedDirectory, EveryFileIsListedOnce) {
  std::set<std::string> listed;
  for (const auto& c : read_expected()) {
    EXPECT_TRUE(listed.insert(c.file).second) << c.file << " is listed twice";
    EXPECT_FALSE(c.fragment.empty()) << c.file << " has no message fragment";
  }
  std::set<std::string> present;
  for (const auto& entry : fs::directory_iterator(kMalformed))
    if (entry.path().extension() == ".json") present.insert(entry.path().filename().string());
  EXPECT_EQ(listed, present);
  EXPECT_GE(present.size(), 30u);
}

// --- valid files ---------------------------------------------------------------------------------

Scenario load_valid(const std::string& name) {
  return load_scenario_file(kScenarios + "/" + name);
}

TEST(ValidScenario, Minimal) {
  const Scenario s = load_valid("valid-minimal.json");
  EXPECT_EQ(s.file, kScenarios + "/valid-minimal.json");
  EXPECT_EQ(s.name, "cpu-only");
  ASSERT_EQ(s.backends.size(), 1u);
  EXPECT_EQ(s.backends[0].kind, BackendKind::cpu);
  EXPECT_EQ(s.backends[0].compute_buffer, 0);
  EXPECT_EQ(s.cpu_backend(), 0);
  ASSERT_EQ(s.tensors.size(), 2u);
  EXPECT_EQ(s.tensors[0].role, TensorRole::user_input);
  EXPECT_EQ(s.tensors[0].flags, kFlagInput);
  EXPECT_EQ(s.tensors[0].buffer, kNone);
  EXPECT_EQ(s.tensors[1].role, TensorRole::node_output);
  EXPECT_EQ(s.tensors[1].producer, 0);
  ASSERT_EQ(s.nodes.size(), 1u);
  EXPECT_EQ(s.nodes[0].sources, std::vector<Index>{0});
  EXPECT_EQ(s.nodes[0].output, 1);
  EXPECT_FALSE(s.given_splits.has_value());
  // Defaults.
  EXPECT_FALSE(s.scheduler.pipeline_parallel);
  EXPECT_EQ(s.scheduler.max_copies, 4);
  EXPECT_EQ(s.driver.ubatches_per_batch, std::vector<int>{1});
  EXPECT_EQ(s.driver.sync_after_batch, SyncAfterBatch::always);
  EXPECT_FALSE(s.driver.graph_reuse);
  EXPECT_TRUE(s.driver.outputs.empty());
  EXPECT_FALSE(s.driver.eval_callback.has_value());
  EXPECT_EQ(s.buffers[0].alignment, 32u);
  EXPECT_EQ(s.buffers[0].size, 0u);
  EXPECT_TRUE(s.custom_policies.empty());
  EXPECT_TRUE(s.expectations.empty());
}

// valid-full.json, section by section.
TEST(ValidFullScenario, Backends) {
  const Scenario s = load_valid("valid-full.json");
  EXPECT_FALSE(s.description.empty());
  ASSERT_EQ(s.backends.size(), 4u);
  EXPECT_EQ(s.backends[1].device, 1);
  EXPECT_EQ(s.backends[2].kind, BackendKind::blas);
  EXPECT_EQ(s.backends[2].device, -1);
  EXPECT_EQ(s.backends[3].compute_buffer, s.find_buffer("CPU_compute"));

  // Capability overrides, in file order, applied on top of the kind's table.
  const auto& ov = s.backends[0].overrides;
  ASSERT_EQ(ov.size(), 3u);
  EXPECT_EQ(ov[0].field, "set_async_pageable");
  EXPECT_EQ(ov[0].host_transfer, HostTransfer::blocks_host);
  EXPECT_EQ(ov[1].copy_queue, CopyQueue::destination);
  EXPECT_FALSE(ov[2].boolean);
  const Capabilities caps = backend_capabilities(s, 0, VersionProfile{});
  EXPECT_FALSE(caps.events);
  EXPECT_EQ(caps.set_async_pageable, HostTransfer::blocks_host);
  EXPECT_EQ(caps.device_copy_queue, CopyQueue::destination);
}

TEST(ValidFullScenario, BuffersAndTensors) {
  const Scenario s = load_valid("valid-full.json");
  const Index kv = s.find_buffer("kv");
  EXPECT_EQ(s.buffers[kv].owner, 1);
  EXPECT_EQ(s.buffers[kv].usage, BufferUsage::kv);
  EXPECT_EQ(s.buffers[s.find_buffer("host_weights")].alignment, 64u);
  EXPECT_EQ(s.buffers[s.find_buffer("host_weights")].kind, BufferKind::pageable_host);

  // Tensor order: persistent, then inputs, then one per node without "writes".
  ASSERT_EQ(s.tensors.size(), 4u + 2u + 5u);
  EXPECT_EQ(s.find_tensor("k_cache"), 3);
  EXPECT_EQ(s.tensors[3].role, TensorRole::persistent);
  EXPECT_EQ(s.tensors[3].buffer, kv);
  EXPECT_EQ(s.tensors[3].offset, std::optional<uint64_t>(0));
  EXPECT_EQ(s.find_tensor("inp_ids"), 5);
  EXPECT_EQ(s.tensors[5].flags, kFlagInput);
  EXPECT_EQ(s.find_tensor("attn"), 8);  // k_store has no tensor of its own
  EXPECT_EQ(s.find_tensor("k_store"), kNone);
}

TEST(ValidFullScenario, Graph) {
  const Scenario s = load_valid("valid-full.json");
  ASSERT_EQ(s.nodes.size(), 6u);
  EXPECT_TRUE(s.nodes[1].inplace);
  EXPECT_EQ(s.nodes[1].backend, 2);
  const Node& store = s.nodes[2];
  EXPECT_TRUE(store.writes_persistent);
  EXPECT_EQ(store.output, 3);
  EXPECT_EQ(s.nodes[3].sources, (std::vector<Index>{3, 7}));
  const Node& moe = s.nodes[4];
  EXPECT_TRUE(moe.is_mul_mat_id());
  EXPECT_EQ(moe.n_expert, 8);
  EXPECT_EQ(moe.experts_used, (std::vector<std::vector<int>>{{0, 1}, {2, 5}}));
  EXPECT_EQ(moe.sources, (std::vector<Index>{1, 8, 5}));
  const Tensor& result = s.tensors[s.nodes[5].output];
  EXPECT_EQ(result.name, "result_output");
  EXPECT_EQ(result.flags, kFlagOutput);
  EXPECT_EQ(result.buffer, s.find_buffer("CUDA0_compute"));
  EXPECT_EQ(result.producer, 5);
  // The graph is coherent enough for split formation.
  EXPECT_NO_THROW(form_splits(s, SplitOptions{}));
}

TEST(ValidFullScenario, SchedulerAndDriver) {
  const Scenario s = load_valid("valid-full.json");
  EXPECT_TRUE(s.scheduler.pipeline_parallel);
  EXPECT_EQ(s.scheduler.max_copies, 2);
  const DriverConfig& d = s.driver;
  EXPECT_EQ(d.ubatches_per_batch, (std::vector<int>{2, 1}));
  EXPECT_EQ(s.total_evaluations(), 3);
  EXPECT_TRUE(d.graph_reuse);
  EXPECT_EQ(d.sync_after_batch, SyncAfterBatch::never);
  ASSERT_EQ(d.outputs.size(), 2u);
  EXPECT_EQ(d.outputs[0].tensor, s.find_tensor("result_output"));
  EXPECT_EQ(d.outputs[0].buffer, s.find_buffer("logits"));
  EXPECT_EQ(d.outputs[1].ubatches, OutputRead::When::last);
  ASSERT_TRUE(d.eval_callback.has_value());
  EXPECT_FALSE(d.eval_callback->all_nodes);
  EXPECT_EQ(d.eval_callback->nodes, (std::vector<Index>{3, 5}));
  EXPECT_EQ(d.realloc_at, std::vector<int>{1});
  EXPECT_EQ(d.sync_before_compute, (std::vector<int>{0, 2}));
}

TEST(ValidFullScenario, PoliciesAndExpectations) {
  const Scenario s = load_valid("valid-full.json");
  ASSERT_EQ(s.custom_policies.size(), 2u);
  const Policy& p = s.custom_policies[0];
  EXPECT_EQ(p.commit, "05a56dc9");
  EXPECT_EQ(p.reference, "llama#13814");
  EXPECT_FALSE(p.builtin);
  EXPECT_EQ(p.knobs.sync_copy_reset, SyncCopyReset::always);
  EXPECT_EQ(p.knobs.copy_advance, CopyAdvance::after_compute);
  EXPECT_TRUE(p.knobs.zero_input_split_waits_prev);
  EXPECT_EQ(p.knobs.profile.max_split_inputs, 16);
  // Untouched knobs come from the base.
  EXPECT_EQ(p.knobs.reuse_policy, find_builtin_policy("ggml-v0")->knobs.reuse_policy);
  // A custom base: the derived policy inherits and adds.
  const Policy& derived = s.custom_policies[1];
  EXPECT_EQ(derived.knobs.sync_copy_reset, SyncCopyReset::always);
  EXPECT_EQ(derived.knobs.record_event, RecordWhen::always);

  ASSERT_EQ(s.expectations.size(), 3u);
  EXPECT_EQ(s.expectations[0].policy, "ggml-v0");
  EXPECT_EQ(s.expectations[0].verdict, Verdict::clean());
  EXPECT_EQ(s.expectations[1].mechanisms, std::vector<Mechanism>{Mechanism::H2});
  EXPECT_EQ(s.expectations[2].verdict, Verdict::races_and_stale_reads());
  EXPECT_TRUE(s.expectations[2].mechanisms.empty());
}

TEST(ValidScenario, Splits) {
  const Scenario s = load_valid("valid-splits.json");
  ASSERT_TRUE(s.given_splits.has_value());
  const auto& g = *s.given_splits;
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].backend, 1);
  EXPECT_EQ(g[0].first_node, 0);
  EXPECT_EQ(g[0].end_node, 1);
  EXPECT_FALSE(g[0].inputs.has_value());
  EXPECT_EQ(g[1].backend, 0);
  EXPECT_EQ(g[1].first_node, 1);
  EXPECT_EQ(g[1].end_node, 3);
  ASSERT_TRUE(g[1].inputs.has_value());
  EXPECT_EQ(*g[1].inputs, std::vector<Index>{s.find_tensor("inp_embd")});
  // Nodes take the split's backend.
  EXPECT_EQ(s.nodes[0].backend, 1);
  EXPECT_EQ(s.nodes[2].backend, 0);

  const SplitPlan plan = form_splits(s, SplitOptions{});
  ASSERT_EQ(plan.splits.size(), 2u);
  EXPECT_EQ(plan.splits[1].first_node, 1);
  ASSERT_EQ(plan.splits[1].inputs.size(), 1u);
  EXPECT_EQ(plan.splits[1].inputs[0].source, s.find_tensor("inp_embd"));
}

TEST(ValidScenario, EvalCallbackAllNodes) {
  std::string text = read_text(kScenarios + "/valid-minimal.json");
  text.replace(text.rfind('}'), 1, ", \"driver\": {\"eval_callback\": {\"nodes\": \"all\"}}}");
  const Scenario s = load_scenario_text(text, "inline");
  ASSERT_TRUE(s.driver.eval_callback.has_value());
  EXPECT_TRUE(s.driver.eval_callback->all_nodes);
}

// The complete examples of docs/scenario-format.md (its ```json blocks) load and form splits.
TEST(Documentation, ExamplesLoad) {
  const std::string doc =
      read_text(std::string(SCHEDCHECK_SOURCE_DIR) + "/docs/scenario-format.md");
  int examples = 0;
  for (std::size_t p = doc.find("```json\n"); p != std::string::npos;
       p = doc.find("```json\n", p + 1)) {
    const std::size_t begin = p + 8;
    const std::size_t end = doc.find("```", begin);
    ASSERT_NE(end, std::string::npos);
    const std::string label = "docs example " + std::to_string(++examples);
    try {
      const Scenario s = load_scenario_text(doc.substr(begin, end - begin), label);
      EXPECT_NO_THROW(form_splits(s, SplitOptions{})) << label;
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_EQ(examples, 2);
}

// --- round trip ----------------------------------------------------------------------------------

std::string file_case_name(const testing::TestParamInfo<std::string>& param_info) {
  std::string n = fs::path(param_info.param).stem().string();
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

class RoundTrip : public testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, SaveLoadSaveIsStable) {
  const Scenario first = load_valid(GetParam());
  const std::string saved = save_scenario(first).dump(2);
  const Scenario second = load_scenario_text(saved, "resaved");
  EXPECT_EQ(save_scenario(second).dump(2), saved);
  EXPECT_EQ(second.given_splits.has_value(), first.given_splits.has_value());
  EXPECT_EQ(second.tensors.size(), first.tensors.size());
  EXPECT_EQ(second.nodes.size(), first.nodes.size());
  for (std::size_t i = 0; i < first.custom_policies.size(); ++i)
    EXPECT_EQ(second.custom_policies[i].knobs, first.custom_policies[i].knobs);
  for (Index b = 0; b < static_cast<Index>(first.backends.size()); ++b)
    EXPECT_EQ(backend_capabilities(second, b, VersionProfile{}),
              backend_capabilities(first, b, VersionProfile{}));
}

// Every scenario the project ships, as the scenario fuzzer checks its seeds.
TEST(RoundTripCorpus, EveryReportAndBenchmarkScenarioSavesStably) {
  int files = 0;
  for (const char* dir : {"/reports", "/bench/scenarios"})
    for (const auto& e :
         fs::recursive_directory_iterator(std::string(SCHEDCHECK_SOURCE_DIR) + dir)) {
      if (e.path().extension() != ".json") continue;
      SCOPED_TRACE(e.path().string());
      const std::string saved = save_scenario(load_scenario_file(e.path().string())).dump(2);
      EXPECT_EQ(save_scenario(load_scenario_text(saved, "resaved")).dump(2), saved);
      ++files;
    }
  EXPECT_GE(files, 60);
}

INSTANTIATE_TEST_SUITE_P(Files, RoundTrip,
                         testing::Values("valid-minimal.json", "valid-full.json",
                                         "valid-splits.json", "valid-program.json"),
                         file_case_name);

TEST(RoundTripForm, SplitsStaySplitsAndGraphStaysGraph) {
  const auto splits = save_scenario(load_valid("valid-splits.json"));
  EXPECT_TRUE(splits.contains("splits"));
  EXPECT_FALSE(splits.contains("graph"));
  EXPECT_FALSE(splits["splits"][0]["nodes"][0].contains("backend"));
  const auto graph = save_scenario(load_valid("valid-full.json"));
  EXPECT_TRUE(graph.contains("graph"));
  EXPECT_FALSE(graph.contains("splits"));
  EXPECT_EQ(graph["schema"], kScenarioSchema);
}

// --- error details -------------------------------------------------------------------------------

ScenarioError error_of(const std::string& text) {
  try {
    load_scenario_text(text, "inline.json");
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded without error: " << text;
  return ScenarioError("", "", "");
}

TEST(Errors, SyntaxErrorLineAndColumn) {
  const ScenarioError e = error_of("{\n  \"schema\": tru\n}");
  EXPECT_EQ(e.json_path(), "");
  EXPECT_EQ(e.file(), "inline.json");
  EXPECT_EQ(e.message().rfind("syntax error at line 2, column ", 0), 0u) << e.message();
  EXPECT_EQ(std::string(e.what()).rfind("inline.json: /: syntax error", 0), 0u) << e.what();
}

TEST(Errors, PointerEscapesKeys) {
  const ScenarioError e = error_of(R"({"schema": "schedcheck-scenario/1", "a/b~c": 1})");
  EXPECT_EQ(e.json_path(), "/a~1b~0c");
  EXPECT_NE(e.message().find("unknown key \"a/b~c\""), std::string::npos);
}

TEST(Errors, SchemaCheckedBeforeOtherKeys) {
  const ScenarioError e = error_of(R"({"schema": "other/7", "whatever": 1})");
  EXPECT_EQ(e.json_path(), "/schema");
}

TEST(Errors, UnreadableFile) {
  const std::string missing = kMalformed + "/does-not-exist.json";
  try {
    load_scenario_file(missing);
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file(), missing);
    EXPECT_EQ(e.json_path(), "");
    EXPECT_NE(e.message().find("cannot open"), std::string::npos) << e.message();
  }
  try {
    load_scenario_file(kMalformed);
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_NE(e.message().find("directory"), std::string::npos) << e.message();
  }
}

// --- robustness: never crash, only ScenarioError -------------------------------------------------

void expect_loads_or_scenario_error(const std::string& text) {
  try {
    load_scenario_text(text, "mutant");
  } catch (const ScenarioError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-ScenarioError exception " << e.what() << " for:\n" << text;
  }
}

TEST(Robustness, EveryTruncation) {
  const std::string text = read_text(kScenarios + "/valid-full.json");
  for (std::size_t n = 0; n < text.size(); ++n) expect_loads_or_scenario_error(text.substr(0, n));
}

TEST(Robustness, RandomByteMutations) {
  const std::string files[] = {"valid-full.json", "valid-splits.json"};
  const std::string alphabet = "{}[]\",:-0123456789.eE \ntfn\\/~#\xff";
  std::mt19937 rng(20240917);
  for (const auto& f : files) {
    const std::string text = read_text(kScenarios + "/" + f);
    std::uniform_int_distribution<std::size_t> pos(0, text.size() - 1);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    for (int i = 0; i < 1500; ++i) {
      std::string mutant = text;
      const int edits = 1 + i % 3;
      for (int k = 0; k < edits; ++k) mutant[pos(rng)] = alphabet[pick(rng)];
      expect_loads_or_scenario_error(mutant);
    }
  }
}

TEST(Robustness, ValueSwaps) {
  // Replace each value of the full scenario by values of other types.
  const std::string text = read_text(kScenarios + "/valid-full.json");
  const std::vector<std::string> replacements = {"null",  "true", "-1", "0",    "1.5",  "\"\"",
                                                 "\"x\"", "[]",   "{}", "[[]]", "1e300"};
  for (std::size_t p = text.find(':'); p != std::string::npos; p = text.find(':', p + 1)) {
    std::size_t end = text.find_first_of(",}\n", p + 1);
    if (end == std::string::npos) continue;
    for (const auto& r : replacements)
      expect_loads_or_scenario_error(text.substr(0, p + 1) + " " + r + text.substr(end));
  }
}

}  // namespace
}  // namespace schedcheck
