// libFuzzer target: a pasted GGML_SCHED_DEBUG dump (fuzz/fuzz_inputs.hpp); scripts/run-fuzz.sh
// runs it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  schedcheck::fuzz::dump_input(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
