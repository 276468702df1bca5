// A program's set_input step: which bytes of the input it writes (ggml_backend_tensor_set's
// offset and size), and the host memory it copies them from when the source matters: an
// asynchronous ggml_backend_tensor_set_async reads it after the call returns. Also the host rows
// of get_output and set_input.
#include "scenario/json/limits.hpp"
#include "scenario/json/scenario_loader.hpp"

namespace schedcheck::json_format {

void ScenarioLoader::input_write_step(ProgramStep& s, const Json& j, const std::string& p,
                                      const std::vector<bool>& live) const {
  const Tensor& t = scenario_.tensors[static_cast<std::size_t>(s.tensor)];
  if (t.buffer != kNone && !live[static_cast<std::size_t>(t.buffer)])
    fail(at(p, "tensor"),
         in_quotes(t.name) + " is in buffer " +
             in_quotes(scenario_.buffers[static_cast<std::size_t>(t.buffer)].name) +
             ", which is not allocated at this step");
  if (const Json* o = optional(j, "offset")) {
    s.offset = unsigned_in(*o, at(p, "offset"), 0, kMaxSize);
    if (s.offset >= t.size)
      fail(at(p, "offset"), "offset " + std::to_string(s.offset) + " lies outside input " +
                                in_quotes(t.name) + " of " + std::to_string(t.size) + " bytes");
  }
  if (const Json* z = optional(j, "size")) {
    s.size = unsigned_in(*z, at(p, "size"), 1, kMaxSize);
    if (s.size > t.size - s.offset)
      fail(at(p, "size"), "bytes [" + std::to_string(s.offset) + ", " +
                              std::to_string(s.offset + s.size) + ") lie outside input " +
                              in_quotes(t.name) + " of " + std::to_string(t.size) + " bytes");
  }
  if (!j.contains("async")) s.async = false;  // ggml_backend_tensor_set unless asked
  if (!j.contains("from")) {
    if (s.async)
      fail(at(p, "async"),
           "ggml_backend_tensor_set_async reads the caller's memory after it returns; name that "
           "memory with \"from\" (a host buffer with usage \"input\")");
    if (optional(j, "row")) fail(at(p, "row"), "a \"row\" without \"from\"");
    return;
  }
  host_row(s, j, p, "from", BufferUsage::input, written_bytes(s, t.size),
           "inputs are written from one");
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
