#include <cstdlib>
#include <stdexcept>

#include "real/real_run.hpp"

namespace schedcheck {

GpuPlacement parse_gpu_placement(const std::string& name) {
  if (name == "physical") return {true, true};
  if (name == "physical-no-peer") return {true, false};
  if (name == "virtual") return {false, false};
  throw std::invalid_argument("expected physical, physical-no-peer or virtual, got \"" + name +
                              "\"");
}

GpuPlacement gpu_placement_from_env() {
  const char* v = std::getenv("SCHEDCHECK_GPU_PLACEMENT");
  return v ? parse_gpu_placement(v) : GpuPlacement{};
}

int buffer_gpu(const Scenario& s, Index buffer, const std::vector<int>& backend_gpu) {
  const Buffer& b = s.buffers[buffer];
  return b.kind == BufferKind::device ? backend_gpu[b.owner] : -1;
}

}  // namespace schedcheck
