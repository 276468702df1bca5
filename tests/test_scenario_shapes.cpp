// Scenarios computed with their own ops (docs/scenario-format.md "Shapes, values and views"):
// shapes, element types, values, views and params load into the Scenario, save back, and load
// again into equal fields; files without them load and save as before.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "driver/scenario_file.hpp"

namespace schedcheck {
namespace {

const std::string kSource = SCHEDCHECK_SOURCE_DIR;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every field of the format's shapes, values, views and params, in a small attention block.
const char* const kShaped = R"({
  "schema": "schedcheck-scenario/1",
  "name": "shaped",
  "backends": [
    {"name": "CUDA0", "kind": "CUDA", "device": 0, "compute_buffer": "CUDA0_compute"},
    {"name": "CPU", "kind": "CPU", "compute_buffer": "CPU_compute"}
  ],
  "buffers": [
    {"name": "CUDA0_compute", "kind": "device", "backend": "CUDA0", "usage": "compute"},
    {"name": "CPU_compute", "kind": "pinned_host", "usage": "compute"},
    {"name": "weights", "kind": "device", "backend": "CUDA0", "usage": "weights", "size": 65536},
    {"name": "kv", "kind": "device", "backend": "CUDA0", "usage": "kv", "size": 4096},
    {"name": "logits", "kind": "pinned_host", "usage": "output", "size": 4096}
  ],
  "tensors": [
    {"name": "token_embd", "buffer": "weights", "offset": 0, "shape": [64, 32],
     "values": {"fill": "uniform", "scale": 0.02}},
    {"name": "wq", "buffer": "weights", "offset": 8192, "size": 16384, "shape": [64, 64], "type": "f32"},
    {"name": "k_cache", "buffer": "kv", "offset": 0, "shape": [64, 8]}
  ],
  "inputs": [
    {"name": "inp_tokens", "shape": [4], "type": "i32", "values": {"fill": "tokens", "below": 32}},
    {"name": "inp_pos", "shape": [4], "type": "i32", "values": {"fill": "positions"}},
    {"name": "kq_mask", "size": 128, "shape": [8, 4], "values": {"fill": "causal_mask"}},
    {"name": "k_idxs", "shape": [4], "type": "i32", "values": {"fill": "positions"}}
  ],
  "graph": {"nodes": [
    {"name": "inp_embd", "op": "get_rows", "backend": "CPU", "sources": ["token_embd", "inp_tokens"], "shape": [64, 4]},
    {"name": "norm", "op": "rms_norm", "backend": "CUDA0", "sources": ["inp_embd"], "shape": [64, 4],
     "params": {"eps": 1e-5}},
    {"name": "q", "op": "mul_mat", "backend": "CUDA0", "sources": ["wq", "norm"], "views": [[], []],
     "size": 1024, "shape": [64, 4]},
    {"name": "q_rope", "op": "rope", "backend": "CUDA0", "sources": ["q", "inp_pos"],
     "views": [[{"reshape": [64, 1, 4]}], []], "shape": [64, 1, 4],
     "params": {"n_dims": 64, "mode": 0, "freq_base": 10000.5}},
    {"name": "k_store", "op": "set_rows", "backend": "CUDA0", "sources": ["q_rope", "k_idxs"],
     "views": [[{"reshape": [64, 4]}], []], "writes": "k_cache"},
    {"name": "kq", "op": "mul_mat", "backend": "CUDA0", "sources": ["k_cache", "q"],
     "views": [[], [{"permute": [1, 0, 2, 3]}, "transpose"]], "shape": [8, 4]},
    {"name": "kq_soft", "op": "soft_max", "backend": "CUDA0", "sources": ["kq", "kq_mask"],
     "shape": [8, 4], "flags": ["OUTPUT"], "params": {"scale": 0.125}}
  ]},
  "driver": {"outputs": [{"tensor": "kq_soft", "buffer": "logits"}]}
})";

using Steps = std::vector<ViewStep>;

void expect_same_steps(const Steps& a, const Steps& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].kind, b[k].kind) << where << " step " << k;
    EXPECT_EQ(a[k].dims, b[k].dims) << where << " step " << k;
  }
}

// Every field of every tensor and node, the new ones included.
void expect_same_graph(const Scenario& a, const Scenario& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor& x = a.tensors[i];
    const Tensor& y = b.tensors[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.shape, y.shape) << x.name;
    EXPECT_EQ(x.type, y.type) << x.name;
    EXPECT_EQ(x.values.fill, y.values.fill) << x.name;
    EXPECT_EQ(x.values.scale, y.values.scale) << x.name;
    EXPECT_EQ(x.values.below, y.values.below) << x.name;
    EXPECT_EQ(x.role, y.role) << x.name;
    EXPECT_EQ(x.size, y.size) << x.name;
    EXPECT_EQ(x.flags, y.flags) << x.name;
    EXPECT_EQ(x.buffer, y.buffer) << x.name;
    EXPECT_EQ(x.offset, y.offset) << x.name;
    EXPECT_EQ(x.producer, y.producer) << x.name;
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op, y.op) << x.name;
    EXPECT_EQ(x.backend, y.backend) << x.name;
    EXPECT_EQ(x.sources, y.sources) << x.name;
    EXPECT_EQ(x.output, y.output) << x.name;
    EXPECT_EQ(x.writes_persistent, y.writes_persistent) << x.name;
    EXPECT_EQ(x.inplace, y.inplace) << x.name;
    EXPECT_EQ(x.params, y.params) << x.name;
    ASSERT_EQ(x.source_views.size(), y.source_views.size()) << x.name;
    for (std::size_t s = 0; s < x.source_views.size(); ++s)
      expect_same_steps(x.source_views[s], y.source_views[s], x.name + " source " + std::to_string(s));
  }
}

TEST(ShapedScenario, LoadsEveryField) {
  const Scenario s = load_scenario_text(kShaped, "shaped.json");
  EXPECT_TRUE(s.has_shapes());
  for (const Tensor& t : s.tensors) EXPECT_FALSE(t.shape.empty()) << t.name;

  const Tensor& embd_w = s.tensors[s.find_tensor("token_embd")];
  EXPECT_EQ(embd_w.shape, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(embd_w.size, 64u * 32u * 4u);  // derived
  EXPECT_EQ(embd_w.type, ElementType::f32);
  EXPECT_EQ(embd_w.values.fill, TensorValues::Fill::uniform);
  EXPECT_EQ(embd_w.values.scale, 0.02);
  const Tensor& wq = s.tensors[s.find_tensor("wq")];
  EXPECT_EQ(wq.size, 16384u);
  EXPECT_EQ(wq.values.scale, 1.0);  // the default

  const Tensor& tokens = s.tensors[s.find_tensor("inp_tokens")];
  EXPECT_EQ(tokens.role, TensorRole::user_input);
  EXPECT_EQ(tokens.type, ElementType::i32);
  EXPECT_EQ(tokens.size, 16u);
  EXPECT_EQ(tokens.values.fill, TensorValues::Fill::tokens);
  EXPECT_EQ(tokens.values.below, 32);
  EXPECT_EQ(s.tensors[s.find_tensor("inp_pos")].values.fill, TensorValues::Fill::positions);
  const Tensor& mask = s.tensors[s.find_tensor("kq_mask")];
  EXPECT_EQ(mask.values.fill, TensorValues::Fill::causal_mask);
  EXPECT_EQ(mask.type, ElementType::f32);
  EXPECT_EQ(mask.size, 128u);

  const Node& norm = s.nodes[s.find_node("norm")];
  EXPECT_EQ(norm.params, (std::map<std::string, double>{{"eps", 1e-5}}));
  EXPECT_TRUE(norm.source_views.empty());
  EXPECT_EQ(s.tensors[norm.output].shape, (std::vector<int64_t>{64, 4}));
  EXPECT_EQ(s.tensors[norm.output].size, 1024u);

  const Node& q = s.nodes[s.find_node("q")];
  ASSERT_EQ(q.source_views.size(), 2u);
  EXPECT_TRUE(q.source_views[0].empty());
  EXPECT_TRUE(q.source_views[1].empty());

  const Node& rope = s.nodes[s.find_node("q_rope")];
  ASSERT_EQ(rope.source_views.size(), 2u);
  ASSERT_EQ(rope.source_views[0].size(), 1u);
  EXPECT_EQ(rope.source_views[0][0].kind, ViewStep::Kind::reshape);
  EXPECT_EQ(rope.source_views[0][0].dims, (std::vector<int64_t>{64, 1, 4}));
  EXPECT_TRUE(rope.source_views[1].empty());
  EXPECT_EQ(rope.params,
            (std::map<std::string, double>{{"n_dims", 64}, {"mode", 0}, {"freq_base", 10000.5}}));
  EXPECT_EQ(s.tensors[rope.output].shape, (std::vector<int64_t>{64, 1, 4}));

  const Node& store = s.nodes[s.find_node("k_store")];
  EXPECT_TRUE(store.writes_persistent);
  EXPECT_EQ(store.output, s.find_tensor("k_cache"));
  ASSERT_EQ(store.source_views.size(), 2u);
  EXPECT_EQ(store.source_views[0][0].dims, (std::vector<int64_t>{64, 4}));

  const Node& kq = s.nodes[s.find_node("kq")];
  ASSERT_EQ(kq.source_views.size(), 2u);
  ASSERT_EQ(kq.source_views[1].size(), 2u);
  EXPECT_EQ(kq.source_views[1][0].kind, ViewStep::Kind::permute);
  EXPECT_EQ(kq.source_views[1][0].dims, (std::vector<int64_t>{1, 0, 2, 3}));
  EXPECT_EQ(kq.source_views[1][1].kind, ViewStep::Kind::transpose);
  EXPECT_TRUE(kq.source_views[1][1].dims.empty());

  const Node& soft = s.nodes[s.find_node("kq_soft")];
  EXPECT_EQ(soft.params, (std::map<std::string, double>{{"scale", 0.125}}));
  EXPECT_EQ(s.tensors[soft.output].flags, kFlagOutput);
}

TEST(ShapedScenario, SaveLoadGivesEqualFields) {
  const Scenario first = load_scenario_text(kShaped, "shaped.json");
  const nlohmann::ordered_json saved = save_scenario(first);
  const Scenario second = load_scenario_text(saved.dump(2), "resaved.json");
  expect_same_graph(first, second);
  EXPECT_EQ(save_scenario(second).dump(2), saved.dump(2));

  // The canonical form: "size" is derived from "shape"; defaults are left out.
  const auto& tensors = saved["tensors"];
  EXPECT_EQ(tensors[0]["values"], nlohmann::ordered_json::parse(R"({"fill": "uniform", "scale": 0.02})"));
  EXPECT_FALSE(tensors[1].contains("size"));
  EXPECT_FALSE(tensors[1].contains("type"));
  EXPECT_FALSE(tensors[1].contains("values"));
  const auto& inputs = saved["inputs"];
  EXPECT_EQ(inputs[0]["type"], "i32");
  EXPECT_EQ(inputs[0]["values"], nlohmann::ordered_json::parse(R"({"fill": "tokens", "below": 32})"));
  EXPECT_EQ(inputs[2]["values"], nlohmann::ordered_json::parse(R"({"fill": "causal_mask"})"));
  EXPECT_FALSE(inputs[2].contains("size"));
  const auto& nodes = saved["graph"]["nodes"];
  EXPECT_EQ(nodes[2]["views"], nlohmann::ordered_json::parse("[[], []]"));
  EXPECT_FALSE(nodes[2].contains("size"));
  EXPECT_EQ(nodes[3]["params"],
            nlohmann::ordered_json::parse(R"({"freq_base": 10000.5, "mode": 0, "n_dims": 64})"));
  EXPECT_TRUE(nodes[3]["params"]["n_dims"].is_number_integer());
  EXPECT_EQ(nodes[5]["views"],
            nlohmann::ordered_json::parse(R"([[], [{"permute": [1, 0, 2, 3]}, "transpose"]])"));
  EXPECT_FALSE(nodes[4].contains("shape"));
}

TEST(ShapedScenario, SplitsFormRoundTrips) {
  auto doc = nlohmann::ordered_json::parse(kShaped);
  auto nodes = doc["graph"]["nodes"];
  doc.erase("graph");
  nlohmann::ordered_json cpu = {{"backend", "CPU"}, {"nodes", nlohmann::ordered_json::array()}};
  nlohmann::ordered_json gpu = {{"backend", "CUDA0"}, {"nodes", nlohmann::ordered_json::array()}};
  for (auto n : nodes) {
    const bool on_cpu = n["backend"] == "CPU";
    n.erase("backend");
    (on_cpu ? cpu : gpu)["nodes"].push_back(n);
  }
  doc["splits"] = nlohmann::ordered_json::array({cpu, gpu});
  const Scenario first = load_scenario_text(doc.dump(), "splits.json");
  const std::string saved = save_scenario(first).dump(2);
  const Scenario second = load_scenario_text(saved, "resaved.json");
  expect_same_graph(first, second);
  EXPECT_EQ(save_scenario(second).dump(2), saved);
}

// Files without shapes load as before and save without any of the new fields.
TEST(UnshapedScenario, NoNewFields) {
  for (const char* file : {"tests/scenarios/valid-full.json", "tests/scenarios/valid-splits.json",
                           "reports/canonical/two-gpu-pp.json"}) {
    const Scenario s = load_scenario_file(kSource + "/" + file);
    EXPECT_FALSE(s.has_shapes()) << file;
    for (const Tensor& t : s.tensors) {
      EXPECT_TRUE(t.shape.empty()) << file << " " << t.name;
      EXPECT_EQ(t.type, ElementType::f32) << file << " " << t.name;
      EXPECT_EQ(t.values.fill, TensorValues::Fill::uniform) << file << " " << t.name;
    }
    for (const Node& n : s.nodes) {
      EXPECT_TRUE(n.source_views.empty()) << file << " " << n.name;
      EXPECT_TRUE(n.params.empty()) << file << " " << n.name;
    }
    const std::string saved = save_scenario(s).dump(2);
    for (const char* key : {"\"shape\"", "\"type\"", "\"values\"", "\"views\"", "\"params\""})
      EXPECT_EQ(saved.find(key), std::string::npos) << file << " saves " << key;
  }
}

// A scenario of the corpus saves exactly as before: its saved form is the file itself, less the
// three fields the file spells out at their defaults (the saved form leaves defaults out). This
// is what the saver wrote before shapes existed (checked against that saver when they came).
TEST(UnshapedScenario, CanonicalScenarioSavesAsBefore) {
  const std::string path = kSource + "/reports/canonical/two-gpu-pp.json";
  nlohmann::ordered_json expected = nlohmann::ordered_json::parse(read_text(path));
  ASSERT_EQ(expected["scheduler"]["max_copies"], 4);
  ASSERT_EQ(expected["driver"]["graph_reuse"], false);
  ASSERT_EQ(expected["driver"]["sync_after_batch"], true);
  expected["scheduler"].erase("max_copies");
  expected["driver"].erase("graph_reuse");
  expected["driver"].erase("sync_after_batch");
  EXPECT_EQ(save_scenario(load_scenario_file(path)).dump(2), expected.dump(2));
}

// Truncations and values of other types in the shaped fields: a ScenarioError, never a crash.
TEST(ShapedScenario, MutantsAreRejectedCleanly) {
  const std::string text = kShaped;
  auto loads_or_rejects = [](const std::string& mutant) {
    try {
      load_scenario_text(mutant, "mutant");
    } catch (const ScenarioError&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-ScenarioError exception " << e.what() << " for:\n" << mutant;
    }
  };
  for (std::size_t n = 0; n < text.size(); n += 7) loads_or_rejects(text.substr(0, n));
  const std::vector<std::string> replacements = {"null", "true", "-1",  "0",    "1.5",   "\"\"",
                                                 "\"x\"", "[]",  "{}", "[[]]", "[0]", "1e300",
                                                 "[1, 2, 3, 4, 5]", "[[\"transpose\"]]"};
  for (std::size_t p = text.find(':'); p != std::string::npos; p = text.find(':', p + 1)) {
    const std::size_t end = text.find_first_of(",}\n", p + 1);
    if (end == std::string::npos) continue;
    for (const auto& r : replacements)
      loads_or_rejects(text.substr(0, p + 1) + " " + r + text.substr(end));
  }
}

}  // namespace
}  // namespace schedcheck
