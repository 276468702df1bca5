// A program's set_backend step: ggml_backend_sched_set_tensor_backend of a node, which the
// scheduler follows from the next graph allocation on (docs/scenario-format.md, "Program").
#include "scenario/backend_kind.hpp"
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::assign_step(ProgramStep& s, const Json& j, const std::string& p) const {
  const std::string tp = at(p, "tensor");
  const Tensor& t = scenario_.tensors[static_cast<std::size_t>(s.tensor)];
  if (scenario_.given_splits)
    fail(p,
         "set_backend in a scenario with \"splits\": splits given directly fix every node's "
         "backend; give a \"graph\" instead");
  for (const Node& n : scenario_.nodes)
    if (n.is_mul_mat_id())
      fail(p, "set_backend in a scenario with a mul_mat_id node (" + in_quotes(n.name) +
                  "): the scheduler's expert-ids vectors are per split, and changing splits "
                  "mid-run is not modeled for them");
  if (t.buffer != kNone)
    fail(tp, in_quotes(t.name) + " is placed in buffer " +
                 in_quotes(scenario_.buffers[static_cast<std::size_t>(t.buffer)].name) +
                 "; set_backend assigns a node whose output the scheduler allocates");
  s.backend = backend_ref(required(j, p, "backend"), at(p, "backend"));
  // ggml re-reserves only when a node's buffer type changes (backend_ids_changed); otherwise the
  // new splits run in the previous allocation if it fits, which the model does not follow.
  const Node& node = scenario_.nodes[static_cast<std::size_t>(t.producer)];
  Index now = node.backend;
  for (const ProgramStep& before : scenario_.program)
    if (before.kind == ProgramStep::Kind::set_backend && before.tensor == s.tensor)
      now = before.backend;
  const Backend& from = scenario_.backends[static_cast<std::size_t>(now)];
  const Backend& to = scenario_.backends[static_cast<std::size_t>(s.backend)];
  const bool same_type = (is_host_backend(from.kind) && is_host_backend(to.kind)) ||
                         (from.kind == to.kind && from.device >= 0 && from.device == to.device);
  if (now != s.backend && same_type)
    fail(at(p, "backend"),
         "moves node " + in_quotes(node.name) + " from " + in_quotes(from.name) + " to " +
             in_quotes(to.name) + ", which share a buffer type in ggml; ggml then keeps the " +
             "previous allocation where it fits, which is not modeled: move it to a backend " +
             "with another buffer type");
}

}  // namespace schedcheck::json_format
