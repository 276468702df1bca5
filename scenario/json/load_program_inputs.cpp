// A program's set_input step: which bytes of the input it writes (ggml_backend_tensor_set's
// offset and size), and the host memory it copies them from when the source matters: an
// asynchronous ggml_backend_tensor_set_async reads it after the call returns.
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
  const uint64_t bytes = written_bytes(s, t.size);
  host_row(s, j, p, "from", BufferUsage::input, bytes, "inputs are written from one");
  // The source row is the program's scratch: it must not hold a placed input.
  const uint64_t begin = s.row * bytes;
  for (const Tensor& other : scenario_.tensors)
    if (other.buffer == s.buffer && other.offset && *other.offset < begin + bytes &&
        begin < *other.offset + other.size)
      fail(at(p, optional(j, "row") ? "row" : "from"),
           "source bytes [" + std::to_string(begin) + ", " + std::to_string(begin + bytes) +
               ") of buffer " + in_quotes(scenario_.buffers[static_cast<std::size_t>(s.buffer)].name) +
               " overlap input " + in_quotes(other.name) + "; copy from bytes no tensor holds");
}

}  // namespace schedcheck::json_format
