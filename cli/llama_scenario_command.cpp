// `schedcheck llama-scenario`: writes llama.cpp's decoder graph as a shaped scenario
// (scenario/llama_scenario.hpp) to a new file, to replay, check or run on ggml's own backends.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "cli/commands.hpp"
#include "scenario/llama_scenario.hpp"
#include "scenario/scenario_json.hpp"

namespace schedcheck {
namespace {

std::optional<std::vector<int>> layer_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos ||
        item.size() > 4)
      return std::nullopt;
    out.push_back(std::stoi(item));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

int run_llama_scenario(const LlamaScenarioArgs& a) {
  if (std::filesystem::exists(a.out)) {
    std::cerr << "schedcheck: llama-scenario: " << a.out
              << ": the file exists; choose a new name\n";
    return kExitBadInput;
  }
  LlamaShape shape = a.shape;
  const auto layers = layer_list(a.layers);
  if (!layers) {
    std::cerr << "schedcheck: llama-scenario: --layers \"" << a.layers
              << "\": expected layers per GPU, comma-separated (e.g. 2,2)\n";
    return kExitBadInput;
  }
  const auto kind = parse_backend_kind(a.kind);
  if (!kind) {
    std::cerr << "schedcheck: llama-scenario: --kind \"" << a.kind
              << "\": expected CUDA, HIP, MUSA, Vulkan, Metal or CPU\n";
    return kExitBadInput;
  }
  shape.layers_per_gpu = *layers;
  shape.kind = *kind;
  Scenario s;
  try {
    s = make_llama_scenario(shape);
  } catch (const std::invalid_argument& e) {
    std::cerr << "schedcheck: llama-scenario: " << e.what() << "\n";
    return kExitBadInput;
  }
  std::ofstream f(a.out);
  f << save_scenario(s).dump(2) << "\n";
  if (!f) {
    std::cerr << "schedcheck: llama-scenario: " << a.out << ": cannot write the file\n";
    return kExitBadInput;
  }
  std::cout << "wrote " << a.out << ": " << s.name << ", " << s.nodes.size() << " nodes, "
            << s.tensors.size() << " tensors\n";
  return kExitClean;
}

}  // namespace schedcheck
