// "scheduler" and "driver": ubatches, outputs, the eval callback, evaluation lists.
#include "scenario/json/scenario_loader.hpp"

#include <algorithm>

#include "scenario/json/limits.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::load_scheduler(const Json& j) {
  object(j, "/scheduler", {"pipeline_parallel", "max_copies", "copy_slots"});
  if (const Json* mc = optional(j, "max_copies"))
    scenario_.scheduler.max_copies = small_int(*mc, "/scheduler/max_copies", 1, kMaxCopies);
  if (const Json* pp = optional(j, "pipeline_parallel")) {
    scenario_.scheduler.pipeline_parallel = boolean(*pp, "/scheduler/pipeline_parallel");
    const auto gpus = std::count_if(scenario_.backends.begin(), scenario_.backends.end(),
                                    [](const Backend& b) { return !is_host_backend(b.kind); });
    if (scenario_.scheduler.pipeline_parallel && gpus < 2)
      fail("/scheduler/pipeline_parallel",
           "pipeline parallelism needs at least two GPU backends; this scenario has " +
               std::to_string(gpus));
  }
  if (const Json* cs = optional(j, "copy_slots")) {
    if (scenario_.scheduler.pipeline_parallel)
      fail("/scheduler/copy_slots",
           "copy slots without pipeline parallelism; with it, \"max_copies\" gives the slots");
    scenario_.scheduler.copy_slots = small_int(*cs, "/scheduler/copy_slots", 2, kMaxCopies);
  }
  if (!scenario_.scheduler.pipeline_parallel && scenario_.scheduler.copy_slots == 0) return;
  // ggml binds a placed input to the current copy slot only and allocates the other slots'
  // copies itself: every evaluation writes the same memory. Not modeled.
  for (Index t = 0; t < static_cast<Index>(scenario_.tensors.size()); ++t)
    if (scenario_.tensors[t].role == TensorRole::user_input && scenario_.tensors[t].buffer != kNone)
      fail(scenario_.scheduler.pipeline_parallel ? "/scheduler/pipeline_parallel"
                                                 : "/scheduler/copy_slots",
           "input " + in_quotes(scenario_.tensors[t].name) + " is placed in buffer " +
               in_quotes(scenario_.buffers[scenario_.tensors[t].buffer].name) + " (at " +
               tensor_path_[t] +
               "); inputs placed by the program are modeled with one copy slot only");
}

void ScenarioLoader::load_driver(const Json& j) {
  const std::string p = "/driver";
  object(j, p,
         {"ubatches_per_batch", "graph_reuse", "sync_after_batch", "outputs", "eval_callback",
          "realloc_at", "sync_before_compute", "rebuild_at", "sequences"});
  DriverConfig& d = scenario_.driver;
  if (const Json* u = optional(j, "ubatches_per_batch")) {
    const std::string up = at(p, "ubatches_per_batch");
    array(*u, up);
    if (u->empty()) fail(up, "expected at least one batch");
    d.ubatches_per_batch.clear();
    uint64_t total = 0;
    for (std::size_t i = 0; i < u->size(); ++i) {
      d.ubatches_per_batch.push_back(small_int((*u)[i], at(up, i), 1, kMaxUbatches));
      total += static_cast<uint64_t>(d.ubatches_per_batch.back());
    }
    if (total > kMaxEvaluations)
      fail(up, "the batches add up to " + std::to_string(total) + " evaluations; at most " +
                   std::to_string(kMaxEvaluations) + " are allowed");
  }
  if (const Json* g = optional(j, "graph_reuse"))
    d.graph_reuse = boolean(*g, at(p, "graph_reuse"));
  if (const Json* sa = optional(j, "sync_after_batch")) {
    const std::string sp = at(p, "sync_after_batch");
    if (sa->is_string() && sa->get<std::string>() == "with_outputs")
      d.sync_after_batch = SyncAfterBatch::with_outputs;
    else if (sa->is_boolean())
      d.sync_after_batch = sa->get<bool>() ? SyncAfterBatch::always : SyncAfterBatch::never;
    else
      fail(sp, "expected true, false or \"with_outputs\", got " +
                   (sa->is_string() ? in_quotes(sa->get<std::string>()) : describe(*sa)));
  }
  if (const Json* o = optional(j, "outputs")) load_outputs(*o, at(p, "outputs"));
  if (const Json* cb = optional(j, "eval_callback")) load_callback(*cb, at(p, "eval_callback"));
  if (const Json* r = optional(j, "realloc_at"))
    d.realloc_at = evaluations(*r, at(p, "realloc_at"));
  if (const Json* sb = optional(j, "sync_before_compute"))
    d.sync_before_compute = evaluations(*sb, at(p, "sync_before_compute"));
  if (const Json* rb = optional(j, "rebuild_at"))
    d.rebuild_at = evaluations(*rb, at(p, "rebuild_at"));
  if (const Json* sq = optional(j, "sequences")) load_sequences(*sq, at(p, "sequences"));
}

void ScenarioLoader::load_outputs(const Json& list, const std::string& path) {
  array(list, path);
  DriverConfig& d = scenario_.driver;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at(path, i);
    const Json& j = object(list[i], p, {"tensor", "buffer", "ubatches", "batches"});
    OutputRead o;
    const std::string tp = at(p, "tensor");
    o.tensor = tensor_ref(string(required(j, p, "tensor"), tp), tp);
    o.buffer = buffer_ref(required(j, p, "buffer"), at(p, "buffer"));
    const Buffer& buf = scenario_.buffers[o.buffer];
    if (!is_host_buffer(buf.kind))
      fail(at(p, "buffer"), "buffer " + in_quotes(buf.name) +
                                " is a device buffer; outputs are read back into host memory "
                                "(pinned_host or pageable_host)");
    if (buf.usage != BufferUsage::output)
      fail(at(p, "buffer"), "buffer " + in_quotes(buf.name) + " has usage " +
                                in_quotes(to_string(buf.usage)) +
                                "; outputs are read into a buffer with usage \"output\"");
    if (const Json* u = optional(j, "ubatches")) {
      const std::string text = string(*u, at(p, "ubatches"));
      if (text == "all")
        o.ubatches = OutputRead::When::all;
      else if (text == "last")
        o.ubatches = OutputRead::When::last;
      else if (text == "none")
        o.ubatches = OutputRead::When::none;
      else
        fail(at(p, "ubatches"), "expected one of all, last, none, got " + in_quotes(text));
    }
    if (const Json* b = optional(j, "batches")) o.batches = batch_list(*b, at(p, "batches"));
    d.outputs.push_back(o);
  }
  // The driver writes output rows at row * size, counting the ubatches of a batch that have
  // any output: with an "all" output present, a "last" output lands in the batch's last row.
  const int max_ubatches =
      *std::max_element(d.ubatches_per_batch.begin(), d.ubatches_per_batch.end());
  const bool any_all = std::any_of(d.outputs.begin(), d.outputs.end(), [](const OutputRead& o) {
    return o.ubatches == OutputRead::When::all;
  });
  for (std::size_t i = 0; i < d.outputs.size(); ++i) {
    const OutputRead& o = d.outputs[i];
    const uint64_t rows = o.ubatches == OutputRead::When::none ? 0
                          : o.ubatches == OutputRead::When::all || any_all
                              ? static_cast<uint64_t>(max_ubatches)
                              : 1;
    const uint64_t size = scenario_.tensors[o.tensor].size;
    const Buffer& buf = scenario_.buffers[o.buffer];
    if (rows * size > buf.size)
      fail(at(at(path, i), "buffer"),
           "buffer " + in_quotes(buf.name) + " of size " + std::to_string(buf.size) +
               " is too small for output " + in_quotes(scenario_.tensors[o.tensor].name) + ": " +
               std::to_string(rows) + " row(s) of " + std::to_string(size) + " bytes need " +
               std::to_string(rows * size) + " bytes");
  }
}

void ScenarioLoader::load_callback(const Json& j, const std::string& p) {
  object(j, p, {"nodes"});
  EvalCallback cb;
  const Json& nodes = required(j, p, "nodes");
  const std::string np = at(p, "nodes");
  if (nodes.is_string()) {
    if (nodes.get<std::string>() != "all")
      fail(np, "expected \"all\" or an array of node names, got " +
                   in_quotes(nodes.get<std::string>()));
    cb.all_nodes = true;
  } else {
    if (!nodes.is_array())
      fail(np, "expected \"all\" or an array of node names, got " + describe(nodes));
    std::unordered_map<Index, std::string> seen;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const Index n = node_ref(nodes[i], at(np, i));
      auto [it, inserted] = seen.emplace(n, at(np, i));
      if (!inserted)
        fail(at(np, i),
             in_quotes(scenario_.nodes[n].name) + " is listed twice (first at " + it->second + ")");
      cb.nodes.push_back(n);
    }
  }
  scenario_.driver.eval_callback = std::move(cb);
}

std::vector<int> ScenarioLoader::evaluations(const Json& list, const std::string& path) const {
  return index_list(list, path, scenario_.total_evaluations(), "evaluation", "evaluation(s)");
}

std::vector<int> ScenarioLoader::batch_list(const Json& list, const std::string& path) const {
  return index_list(list, path, static_cast<int>(scenario_.driver.ubatches_per_batch.size()),
                    "batch", "batch(es)");
}

// Distinct indices 0 .. total-1 of the driver's evaluations or batches (`what`).
std::vector<int> ScenarioLoader::index_list(const Json& list, const std::string& path, int total,
                                            const std::string& what,
                                            const std::string& plural) const {
  array(list, path);
  std::vector<int> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = at(path, i);
    const Json& e = list[i];
    if (e.is_number_unsigned() && e.get<uint64_t>() >= static_cast<uint64_t>(total))
      fail(p, what + " " + std::to_string(e.get<uint64_t>()) +
                  " is out of range: the driver runs " + std::to_string(total) + " " + plural +
                  ", 0 .. " + std::to_string(total - 1));
    const int v = small_int(e, p, 0, static_cast<uint64_t>(total) - 1);
    if (std::find(out.begin(), out.end(), v) != out.end())
      fail(p, what + " " + std::to_string(v) + " is listed twice");
    out.push_back(v);
  }
  return out;
}

}  // namespace schedcheck::json_format
