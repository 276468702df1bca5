#include "scenario/scenario_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "scenario/json/json_text.hpp"

namespace schedcheck {

namespace {

using json_format::Json;

Json knob_json(const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  if (!value.empty() && value.size() <= 9 && value.find_first_not_of("0123456789") == value.npos)
    return std::stoi(value);
  return value;
}

// A parameter as the file gave it: integral values as integers ("n_dims": 128).
Json number_json(double v) {
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::trunc(v) == v && std::fabs(v) < kExact) return static_cast<int64_t>(v);
  return v;
}

Json save_views(const std::vector<std::vector<ViewStep>>& views) {
  Json j = Json::array();
  for (const auto& steps : views) {
    Json list = Json::array();
    for (const ViewStep& step : steps) {
      switch (step.kind) {
        case ViewStep::Kind::reshape:
          list.push_back(Json::object({{"reshape", step.dims}}));
          break;
        case ViewStep::Kind::permute:
          list.push_back(Json::object({{"permute", step.dims}}));
          break;
        case ViewStep::Kind::transpose:
          list.push_back("transpose");
          break;
      }
    }
    j.push_back(std::move(list));
  }
  return j;
}

// "shape" replaces "size" (derived from it); "type" and "values" only where not the default.
void save_shape(const Tensor& t, Json& j, bool with_values) {
  if (t.shape.empty()) {
    j["size"] = t.size;
    return;
  }
  j["shape"] = t.shape;
  if (!with_values) return;
  if (t.type == ElementType::i32) j["type"] = "i32";
  const TensorValues& v = t.values;
  if (v.fill == TensorValues::Fill::uniform && v.scale == TensorValues{}.scale) return;
  Json values = Json::object();
  switch (v.fill) {
    case TensorValues::Fill::uniform:
      values["fill"] = "uniform";
      values["scale"] = v.scale;
      break;
    case TensorValues::Fill::tokens:
      values["fill"] = "tokens";
      values["below"] = v.below;
      break;
    case TensorValues::Fill::positions:
      values["fill"] = "positions";
      break;
    case TensorValues::Fill::causal_mask:
      values["fill"] = "causal_mask";
      break;
  }
  j["values"] = std::move(values);
}

Json save_node(const Scenario& s, Index i, bool with_backend) {
  const Node& n = s.nodes[i];
  Json j = Json::object();
  j["name"] = n.name;
  j["op"] = n.op;
  if (with_backend) j["backend"] = s.backends[n.backend].name;
  Json sources = Json::array();
  for (Index t : n.sources) sources.push_back(s.tensors[t].name);
  j["sources"] = std::move(sources);
  if (!n.source_views.empty()) j["views"] = save_views(n.source_views);
  const Tensor& out = s.tensors[n.output];
  if (n.writes_persistent) {
    j["writes"] = out.name;
  } else {
    save_shape(out, j, false);
    if (out.flags & kFlagOutput) j["flags"] = Json::array({"OUTPUT"});
    if (out.buffer != kNone && out.offset) {
      j["buffer"] = s.buffers[out.buffer].name;
      j["offset"] = *out.offset;
    }
  }
  if (n.inplace) j["inplace"] = true;
  if (n.is_mul_mat_id() && n.n_expert > 0) j["n_expert"] = n.n_expert;
  if (!n.experts_used.empty()) j["experts_used"] = n.experts_used;
  if (!n.params.empty()) {
    Json params = Json::object();
    for (const auto& [key, value] : n.params) params[key] = number_json(value);
    j["params"] = std::move(params);
  }
  return j;
}

Json save_overrides(const std::vector<CapabilityOverride>& overrides) {
  Json j = Json::object();
  for (const auto& o : overrides) {
    const auto& fields = capability_fields();
    auto f = std::find_if(fields.begin(), fields.end(),
                          [&](const CapabilityField& c) { return c.name == o.field; });
    if (f == fields.end()) continue;
    switch (f->type) {
      case CapabilityField::Type::boolean:
        j[o.field] = o.boolean;
        break;
      case CapabilityField::Type::host_transfer:
        j[o.field] = std::string(to_string(o.host_transfer));
        break;
      case CapabilityField::Type::copy_queue:
        j[o.field] = std::string(to_string(o.copy_queue));
        break;
    }
  }
  return j;
}

Json save_driver(const Scenario& s) {
  const DriverConfig& d = s.driver;
  const DriverConfig defaults;
  Json j = Json::object();
  if (d.ubatches_per_batch != defaults.ubatches_per_batch)
    j["ubatches_per_batch"] = d.ubatches_per_batch;
  if (d.graph_reuse != defaults.graph_reuse) j["graph_reuse"] = d.graph_reuse;
  if (d.sync_after_batch == SyncAfterBatch::never) j["sync_after_batch"] = false;
  if (d.sync_after_batch == SyncAfterBatch::with_outputs) j["sync_after_batch"] = "with_outputs";
  if (!d.outputs.empty()) {
    Json outputs = Json::array();
    for (const auto& o : d.outputs) {
      Json oj = Json::object();
      oj["tensor"] = s.tensors[o.tensor].name;
      oj["buffer"] = s.buffers[o.buffer].name;
      oj["ubatches"] = o.ubatches == OutputRead::When::all    ? "all"
                       : o.ubatches == OutputRead::When::last ? "last"
                                                              : "none";
      if (!o.batches.empty()) oj["batches"] = o.batches;
      outputs.push_back(std::move(oj));
    }
    j["outputs"] = std::move(outputs);
  }
  if (d.eval_callback) {
    Json cb = Json::object();
    if (d.eval_callback->all_nodes) {
      cb["nodes"] = "all";
    } else {
      Json nodes = Json::array();
      for (Index n : d.eval_callback->nodes) nodes.push_back(s.nodes[n].name);
      cb["nodes"] = std::move(nodes);
    }
    j["eval_callback"] = std::move(cb);
  }
  if (!d.realloc_at.empty()) j["realloc_at"] = d.realloc_at;
  if (!d.sync_before_compute.empty()) j["sync_before_compute"] = d.sync_before_compute;
  if (!d.rebuild_at.empty()) j["rebuild_at"] = d.rebuild_at;
  if (d.sequences.count > 1) {
    Json sq = Json::object();
    sq["count"] = d.sequences.count;
    if (!d.sequences.unified_kv) sq["unified_kv"] = false;
    if (!d.sequences.per_ubatch.empty()) sq["per_ubatch"] = d.sequences.per_ubatch;
    j["sequences"] = std::move(sq);
  }
  return j;
}

Json save_program(const Scenario& s) {
  Json steps = Json::array();
  for (const ProgramStep& p : s.program) {
    Json j = Json::object();
    j["step"] = std::string(to_string(p.kind));
    if (!p.name.empty()) j["name"] = p.name;
    if (p.tensor >= 0) j["tensor"] = s.tensors[p.tensor].name;
    const bool input = p.kind == ProgramStep::Kind::set_input;
    if (p.offset > 0) j["offset"] = p.offset;
    if (p.size > 0) j["size"] = p.size;
    if (p.buffer >= 0)
      j[p.kind == ProgramStep::Kind::get_output ? "into"
        : input                                 ? "from"
                                                : "buffer"] = s.buffers[p.buffer].name;
    // read_output: always, so that it resolves to the same get_output again (without "row" the
    // loader takes the tensor's latest fetch, whatever its row).
    if (p.row > 0 || p.kind == ProgramStep::Kind::read_output) j["row"] = p.row;
    if (input ? p.async : !p.async) j["async"] = p.async;
    if (p.reserve) j["reserve"] = true;
    if (p.backend >= 0) j["backend"] = s.backends[p.backend].name;
    steps.push_back(std::move(j));
  }
  return steps;
}

void save_hardware(const Scenario& s, Json& j) {
  Json backends = Json::array();
  for (const Backend& b : s.backends) {
    Json bj = Json::object();
    bj["name"] = b.name;
    bj["kind"] = std::string(to_string(b.kind));
    if (!is_host_backend(b.kind) && b.kind != BackendKind::meta) bj["device"] = b.device;
    if (!b.members.empty()) {
      Json devices = Json::array();
      for (Index m : b.members) devices.push_back(s.backends[m].name);
      bj["devices"] = std::move(devices);
    }
    if (b.integrated) bj["integrated"] = true;
    if (b.transfer_queue) bj["transfer_queue"] = true;
    if (!b.support_async) bj["support_async"] = false;
    if (b.private_buffers) bj["private_buffers"] = true;
    if (b.compute_queue_copy_max > 0) bj["compute_queue_copy_max"] = b.compute_queue_copy_max;
    if (b.compute_buffer != kNone) bj["compute_buffer"] = s.buffers[b.compute_buffer].name;
    if (!b.overrides.empty()) bj["capabilities"] = save_overrides(b.overrides);
    backends.push_back(std::move(bj));
  }
  j["backends"] = std::move(backends);

  Json buffers = Json::array();
  for (const Buffer& b : s.buffers) {
    Json bj = Json::object();
    bj["name"] = b.name;
    bj["kind"] = std::string(to_string(b.kind));
    if (b.owner != kNone) bj["backend"] = s.backends[b.owner].name;
    bj["usage"] = std::string(to_string(b.usage));
    if (b.usage != BufferUsage::compute) bj["size"] = b.size;
    if (b.alignment != Buffer{}.alignment) bj["alignment"] = b.alignment;
    if (b.reuses != kNone) bj["reuses"] = s.buffers[b.reuses].name;
    buffers.push_back(std::move(bj));
  }
  j["buffers"] = std::move(buffers);
}

void save_tensors(const Scenario& s, Json& j) {
  Json tensors = Json::array();
  Json inputs = Json::array();
  for (const Tensor& t : s.tensors) {
    Json tj = Json::object();
    tj["name"] = t.name;
    if (t.role == TensorRole::persistent) {
      if (t.buffer != kNone) tj["buffer"] = s.buffers[t.buffer].name;
      if (t.offset) tj["offset"] = *t.offset;
      save_shape(t, tj, true);
      if (t.split == Tensor::kMirrored) tj["split"] = "mirrored";
      if (t.split >= 0 && t.split < Tensor::kMirrored) tj["split"] = Json{{"axis", t.split}};
      tensors.push_back(std::move(tj));
    } else if (t.role == TensorRole::user_input) {
      if (t.buffer != kNone) tj["buffer"] = s.buffers[t.buffer].name;
      if (t.offset) tj["offset"] = *t.offset;
      save_shape(t, tj, true);
      inputs.push_back(std::move(tj));
    }
  }
  if (!tensors.empty()) j["tensors"] = std::move(tensors);
  if (!inputs.empty()) j["inputs"] = std::move(inputs);
}

void save_graph(const Scenario& s, Json& j) {
  if (s.given_splits) {
    Json splits = Json::array();
    for (const GivenSplit& g : *s.given_splits) {
      Json sj = Json::object();
      sj["backend"] = s.backends[g.backend].name;
      if (g.inputs) {
        Json in = Json::array();
        for (Index t : *g.inputs) in.push_back(s.tensors[t].name);
        sj["inputs"] = std::move(in);
      }
      Json nodes = Json::array();
      for (Index n = g.first_node; n < g.end_node; ++n) nodes.push_back(save_node(s, n, false));
      sj["nodes"] = std::move(nodes);
      splits.push_back(std::move(sj));
    }
    j["splits"] = std::move(splits);
  } else {
    Json nodes = Json::array();
    for (Index n = 0; n < static_cast<Index>(s.nodes.size()); ++n)
      nodes.push_back(save_node(s, n, true));
    j["graph"] = Json::object({{"nodes", std::move(nodes)}});
  }
}

void save_scheduler(const Scenario& s, Json& j) {
  const SchedulerConfig sched_defaults;
  Json sched = Json::object();
  if (s.scheduler.pipeline_parallel != sched_defaults.pipeline_parallel)
    sched["pipeline_parallel"] = s.scheduler.pipeline_parallel;
  if (s.scheduler.max_copies != sched_defaults.max_copies)
    sched["max_copies"] = s.scheduler.max_copies;
  if (s.scheduler.copy_slots > 0) sched["copy_slots"] = s.scheduler.copy_slots;
  if (!sched.empty()) j["scheduler"] = std::move(sched);
}

void save_policies(const Scenario& s, Json& j) {
  if (!s.custom_policies.empty()) {
    // Knobs are saved as the difference from ggml-v0, the default base.
    const auto base = describe_knobs(find_ggml_version("ggml-v0")->knobs);
    Json policies = Json::array();
    for (const Policy& p : s.custom_policies) {
      Json pj = Json::object();
      pj["name"] = p.name;
      if (!p.commit.empty()) pj["commit"] = p.commit;
      if (!p.reference.empty()) pj["reference"] = p.reference;
      if (!p.description.empty()) pj["description"] = p.description;
      Json knobs = Json::object();
      if (p.hand_written.empty()) {
        const auto settings = describe_knobs(p.knobs);
        for (std::size_t k = 0; k < settings.size(); ++k)
          if (k >= base.size() || settings[k].value != base[k].value)
            knobs[settings[k].name] = knob_json(settings[k].value);
      } else {
        // Its base is the hand-written policy; every knob it reads is saved, so the result
        // does not depend on that policy's own values.
        pj["base"] = p.hand_written;
        for (const auto& k : describe_knobs(p.knobs, false)) knobs[k.name] = knob_json(k.value);
      }
      if (!knobs.empty()) pj["knobs"] = std::move(knobs);
      if (!p.skipped_syncs.empty()) pj["skip_syncs"] = p.skipped_syncs;
      policies.push_back(std::move(pj));
    }
    j["policies"] = std::move(policies);
  }
}

Json sync_bound(const SyncBound& b) {
  Json j = Json::object();
  j[b.kind == SyncBound::Kind::exactly ? "exactly" : "at_most"] = b.value;
  return j;
}

void save_expect(const Scenario& s, Json& j) {
  if (!s.expectations.empty()) {
    Json expect = Json::object();
    for (const Expectation& e : s.expectations) {
      if (e.mechanisms.empty() && e.host_syncs.empty()) {
        expect[e.policy] = to_string(e.verdict);
      } else {
        Json ej = Json::object();
        ej["verdict"] = to_string(e.verdict);
        if (!e.mechanisms.empty()) {
          Json mechanisms = Json::array();
          for (Mechanism m : e.mechanisms) mechanisms.push_back(std::string(to_string(m)));
          ej["mechanisms"] = std::move(mechanisms);
        }
        if (!e.host_syncs.empty()) {
          Json h = Json::object();
          if (e.host_syncs.per_evaluation)
            h["per_evaluation"] = sync_bound(*e.host_syncs.per_evaluation);
          if (e.host_syncs.total) h["total"] = sync_bound(*e.host_syncs.total);
          if (!e.host_syncs.steps.empty()) {
            Json steps = Json::object();
            for (const SyncExpectation::Step& st : e.host_syncs.steps)
              steps[s.program[static_cast<std::size_t>(st.step)].name] = sync_bound(st.bound);
            h["steps"] = std::move(steps);
          }
          ej["host_syncs"] = std::move(h);
        }
        expect[e.policy] = std::move(ej);
      }
    }
    j["expect"] = std::move(expect);
  }
}

}  // namespace

nlohmann::ordered_json save_scenario(const Scenario& s) {
  Json j = Json::object();
  j["schema"] = kScenarioSchema;
  j["name"] = s.name;
  if (!s.description.empty()) j["description"] = s.description;
  save_hardware(s, j);
  save_tensors(s, j);
  save_graph(s, j);
  save_scheduler(s, j);
  if (!s.program.empty())
    j["program"] = save_program(s);
  else if (Json driver = save_driver(s); !driver.empty())
    j["driver"] = std::move(driver);
  save_policies(s, j);
  save_expect(s, j);
  return j;
}

}  // namespace schedcheck
