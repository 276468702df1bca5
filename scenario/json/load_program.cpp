// "program": the steps of a program scenario (scenario/program.hpp), each checked against what
// the scheduler allows at that point (an allocated graph before inputs are written, a compute
// before an output is fetched, a fetch before it is read).
#include <algorithm>
#include <map>
#include <vector>

#include "scenario/json/limits.hpp"
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {
namespace {

using Kind = ProgramStep::Kind;

constexpr Kind kKinds[] = {Kind::alloc_graph, Kind::reset,          Kind::set_input,
                           Kind::prepare_inputs, Kind::compute,  Kind::get_output,
                           Kind::read_output, Kind::synchronize,  Kind::free_buffer,
                           Kind::alloc_buffer, Kind::upload,     Kind::set_backend};

std::string kind_names() {
  std::string names;
  for (Kind k : kKinds) names += (names.empty() ? "" : ", ") + std::string(to_string(k));
  return names;
}

}  // namespace

void ScenarioLoader::load_program(const Json& list) {
  const std::string path = "/program";
  array(list, path);
  if (list.empty()) fail(path, "expected at least one step");
  if (list.size() > kMaxEvaluations)
    fail(path, "at most " + std::to_string(kMaxEvaluations) + " steps are allowed, got " +
                   std::to_string(list.size()));
  std::map<std::string, std::string> named;  // name -> pointer of its step
  std::vector<int> fetches;                  // the asynchronous get_output steps so far
  bool allocated = false;
  bool assignment_pending = false;  // a set_backend that no allocation has used yet
  int computes = 0;
  // Buffers in memory at this step: all but those a program allocates in freed memory.
  std::vector<bool> live;
  for (const Buffer& b : scenario_.buffers) live.push_back(b.reuses == kNone);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at(path, i);
    if (!list[i].is_object()) fail(p, "expected a step object, got " + describe(list[i]));
    const std::string kp = at(p, "step");
    const std::string kind = string(required(list[i], p, "step"), kp);
    const Kind* k = std::find_if(std::begin(kKinds), std::end(kKinds),
                                 [&](Kind c) { return to_string(c) == kind; });
    if (k == std::end(kKinds))
      fail(kp, "unknown step " + in_quotes(kind) + " (known: " + kind_names() + ")");
    const Json& j = step_object(list[i], p, *k);
    ProgramStep s;
    s.kind = *k;
    if (const Json* n = optional(j, "name")) {
      s.name = name(*n, at(p, "name"));
      auto [it, inserted] = named.emplace(s.name, at(p, "name"));
      if (!inserted)
        fail(at(p, "name"), "step name " + in_quotes(s.name) + " is taken (by " + it->second + ")");
    }
    if (j.contains("tensor")) {
      const std::string tp = at(p, "tensor");
      s.tensor = tensor_ref(string(j.at("tensor"), tp), tp);
      const Tensor& t = scenario_.tensors[s.tensor];
      if (s.kind == Kind::set_input && t.role != TensorRole::user_input)
        fail(tp, in_quotes(t.name) + " is not a user input; set_input writes one of \"inputs\"");
      if (s.kind == Kind::upload && t.role != TensorRole::persistent)
        fail(tp, in_quotes(t.name) + " is not a persistent tensor; upload writes one of \"tensors\"");
      if (s.kind != Kind::set_input && s.kind != Kind::upload && t.role != TensorRole::node_output)
        fail(tp, in_quotes(t.name) + " is not the output of a node; " +
                     std::string(to_string(s.kind)) +
                     (s.kind == Kind::set_backend ? " assigns a node, named by its output"
                                                  : " fetches what the graph computed"));
    } else if (s.kind == Kind::set_input || s.kind == Kind::get_output ||
               s.kind == Kind::read_output || s.kind == Kind::upload ||
               s.kind == Kind::set_backend) {
      required(j, p, "tensor");
    }
    if (const Json* a = optional(j, "async")) s.async = boolean(*a, at(p, "async"));
    if (const Json* r = optional(j, "reserve")) s.reserve = boolean(*r, at(p, "reserve"));
    switch (s.kind) {
      case Kind::alloc_graph:
        allocated = true;
        assignment_pending = false;
        break;
      case Kind::reset:
        allocated = false;
        break;
      case Kind::set_input:
        if (!allocated && scenario_.tensors[s.tensor].buffer == kNone)
          fail(p,
               "set_input while the graph is not allocated (the input has no memory yet): put "
               "an alloc_graph step before it");
        input_write_step(s, j, p, live);
        break;
      case Kind::compute:
        // ggml_backend_sched_graph_compute_async resets the scheduler before it allocates the
        // graph itself, and the reset forgets every set_tensor_backend.
        if (!allocated && assignment_pending)
          fail(p,
               "compute allocates the graph itself after a set_backend, and ggml's reset there "
               "forgets the assignment: put an alloc_graph step before the compute");
        allocated = true;  // graph_compute_async allocates a graph that is not
        ++computes;
        check_graph_buffers(p, live);
        break;
      case Kind::free_buffer:
      case Kind::alloc_buffer:
      case Kind::upload:
        buffer_step(s, j, p, live);
        break;
      case Kind::set_backend:
        assign_step(s, j, p);
        assignment_pending = true;
        break;
      case Kind::get_output: {
        if (computes == 0) fail(p, "get_output before any compute: there is nothing to fetch");
        host_row(s, j, p, "into", BufferUsage::output, scenario_.tensors[s.tensor].size,
                 "outputs are fetched into one");
        if (s.async) fetches.push_back(static_cast<int>(i));  // a blocking get is a read itself
        break;
      }
      case Kind::read_output: {
        const Json* r = optional(j, "row");
        if (r) s.row = unsigned_in(*r, at(p, "row"), 0, kMaxSize);
        for (auto f = fetches.rbegin(); f != fetches.rend() && s.fetch_step < 0; ++f) {
          const ProgramStep& get = scenario_.program[static_cast<std::size_t>(*f)];
          if (get.tensor == s.tensor && (!r || get.row == s.row)) s.fetch_step = *f;
        }
        if (s.fetch_step < 0)
          fail(r ? at(p, "row") : at(p, "tensor"),
               "no asynchronous get_output of " + in_quotes(scenario_.tensors[s.tensor].name) +
                   (r ? " into row " + std::to_string(s.row) : std::string()) +
                   " comes before this read");
        s.row = scenario_.program[static_cast<std::size_t>(s.fetch_step)].row;
        break;
      }
      default:
        break;
    }
    scenario_.program.push_back(std::move(s));
  }
  if (computes == 0) fail(path, "expected at least one compute step");
}

const Json& ScenarioLoader::step_object(const Json& j, const std::string& p, Kind k) const {
  switch (k) {
    case Kind::alloc_graph:
      return object(j, p, {"step", "name", "reserve"});
    case Kind::set_input:
      return object(j, p, {"step", "name", "tensor", "offset", "size", "from", "row", "async"});
    case Kind::read_output:
      return object(j, p, {"step", "name", "tensor", "row"});
    case Kind::compute:
      return object(j, p, {"step", "name", "async"});
    case Kind::get_output:
      return object(j, p, {"step", "name", "tensor", "into", "row", "async"});
    case Kind::free_buffer:
    case Kind::alloc_buffer:
      return object(j, p, {"step", "name", "buffer"});
    case Kind::upload:
      return object(j, p, {"step", "name", "tensor"});
    case Kind::set_backend:
      return object(j, p, {"step", "name", "tensor", "backend"});
    default:
      return object(j, p, {"step", "name"});
  }
}

Index ScenarioLoader::program_step_ref(const std::string& n, const std::string& path) const {
  if (scenario_.program.empty())
    fail(path, "names step " + in_quotes(n) + ", but the scenario has no \"program\"");
  for (std::size_t i = 0; i < scenario_.program.size(); ++i)
    if (scenario_.program[i].name == n) return static_cast<Index>(i);
  std::string names;
  for (const ProgramStep& s : scenario_.program)
    if (!s.name.empty()) names += (names.empty() ? "" : ", ") + in_quotes(s.name);
  fail(path, "unknown step " + in_quotes(n) +
                 " (named steps: " + (names.empty() ? std::string("none") : names) + ")");
}

void ScenarioLoader::host_row(ProgramStep& s, const Json& j, const std::string& p,
                              const std::string& key, BufferUsage usage, uint64_t bytes,
                              const std::string& why) const {
  const std::string bp = at(p, key);
  s.buffer = buffer_ref(required(j, p, key), bp);
  const Buffer& buf = scenario_.buffers[static_cast<std::size_t>(s.buffer)];
  if (!is_host_buffer(buf.kind) || buf.usage != usage)
    fail(bp, "buffer " + in_quotes(buf.name) + " is not a host buffer with usage \"" +
                 std::string(to_string(usage)) + "\"; " + why);
  if (const Json* r = optional(j, "row")) s.row = unsigned_in(*r, at(p, "row"), 0, kMaxSize);
  const uint64_t rows = buf.size / bytes;  // (row + 1) * bytes could overflow
  if (s.row >= rows)
    fail(s.row > 0 ? at(p, "row") : bp,
         "row " + std::to_string(s.row) + " of " + std::to_string(bytes) +
             " bytes does not fit in the " + std::to_string(buf.size) + " bytes of buffer " +
             in_quotes(buf.name) + " (it holds " + std::to_string(rows) + " row" +
             (rows == 1 ? "" : "s") + ")");
}

}  // namespace schedcheck::json_format
