// A program's buffer lifetimes: free_buffer releases a buffer of the program's own, alloc_buffer
// places a buffer in the memory a freed one had (Buffer::reuses), upload writes a persistent
// tensor; each checked against the buffers in memory at that step.
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::buffer_step(ProgramStep& s, const Json& j, const std::string& p,
                                 std::vector<bool>& live) const {
  if (s.kind == ProgramStep::Kind::upload) {
    const Tensor& t = scenario_.tensors[static_cast<std::size_t>(s.tensor)];
    if (!live[static_cast<std::size_t>(t.buffer)])
      fail(at(p, "tensor"),
           in_quotes(t.name) + " is in buffer " +
               in_quotes(scenario_.buffers[static_cast<std::size_t>(t.buffer)].name) +
               ", which is not allocated at this step");
    return;
  }
  const std::string bp = at(p, "buffer");
  s.buffer = buffer_ref(required(j, p, "buffer"), bp);
  const auto b = static_cast<std::size_t>(s.buffer);
  const Buffer& buf = scenario_.buffers[b];
  if (s.kind == ProgramStep::Kind::free_buffer) {
    if (buf.kind != BufferKind::device || buf.usage == BufferUsage::compute)
      fail(bp, "free_buffer frees a device buffer of the program's own (weights, kv, output, input); " +
                   in_quotes(buf.name) + " is not one");
    if (!live[b]) fail(bp, "buffer " + in_quotes(buf.name) + " is not allocated at this step");
    live[b] = false;
    return;
  }
  if (buf.reuses == kNone)
    fail(bp, "buffer " + in_quotes(buf.name) +
                 " has no \"reuses\"; alloc_buffer places a buffer in the memory a freed one had");
  if (live[b]) fail(bp, "buffer " + in_quotes(buf.name) + " is allocated already");
  const Buffer& memory = scenario_.buffers[static_cast<std::size_t>(buf.reuses)];
  if (live[static_cast<std::size_t>(buf.reuses)])
    fail(bp, "buffer " + in_quotes(buf.name) + " reuses the memory of " + in_quotes(memory.name) +
                 ", which is still allocated: free it first");
  for (std::size_t o = 0; o < live.size(); ++o)
    if (o != b && live[o] && scenario_.buffers[o].reuses == buf.reuses)
      fail(bp, "the memory of " + in_quotes(memory.name) + " is taken by " +
                   in_quotes(scenario_.buffers[o].name) + " at this step");
  live[b] = true;
}

void ScenarioLoader::check_graph_buffers(const std::string& p,
                                         const std::vector<bool>& live) const {
  // Every user input is in the graph (a leaf even where no node reads it).
  for (const Tensor& t : scenario_.tensors)
    if (t.role == TensorRole::user_input && t.buffer != kNone &&
        !live[static_cast<std::size_t>(t.buffer)])
      fail(p, "compute while buffer " +
                  in_quotes(scenario_.buffers[static_cast<std::size_t>(t.buffer)].name) +
                  ", which holds input " + in_quotes(t.name) + ", is not allocated");
  for (const Node& n : scenario_.nodes) {
    std::vector<Index> tensors = n.sources;
    tensors.push_back(n.output);
    for (const Index t : tensors) {
      if (t == kNone) continue;
      const Tensor& tensor = scenario_.tensors[static_cast<std::size_t>(t)];
      if (tensor.role == TensorRole::node_output || tensor.buffer == kNone) continue;
      if (!live[static_cast<std::size_t>(tensor.buffer)])
        fail(p, "compute while buffer " +
                    in_quotes(scenario_.buffers[static_cast<std::size_t>(tensor.buffer)].name) +
                    ", which holds " + in_quotes(tensor.name) + " of node " + in_quotes(n.name) +
                    ", is not allocated");
    }
  }
}

}  // namespace schedcheck::json_format
