// llama.cpp driver fixes proposed on top of ggml-26040's time, as built-in policies: the same
// scheduler and backends, another process_ubatch (docs/policies.md, "The driver").
#include "scenario/policy.hpp"

namespace schedcheck {

Policy with_llama_28058(Policy p) {
  p.name += "+llama28058";
  p.reference = "llama#28058";
  p.knobs.set_inputs_sync = SetInputsSync::always;
  return p;
}

Policy with_uma_ring(Policy p, int slots) {
  p.name += "+uma-ring";
  p.reference = "llama#27311";
  p.knobs.uma_ring = slots;
  return p;
}

namespace {

// llama#28058: the synchronize before set_inputs made unconditional and hoisted above the
// can_reuse branch, so the rebuild path has it too.
Policy llama_28058() {
  Policy p = with_llama_28058(*find_ggml_version("ggml-26040"));
  p.description =
      "ggml-26040 with llama.cpp synchronizing before every set_inputs (reuse and rebuild paths)";
  // No ubatch is in flight when the next one starts, so the generator's races need one ubatch:
  // H2 at case 6214 of seed 1, none in the main job's 200 cases (docs/policies.md).
  p.known_verdict.reset();
  return p;
}

// llama#27311 (GGML_SCHED_UMA_RING=2): inputs read in place rotate over two slots; the host
// waits for a slot's last reader before rewriting it.
Policy uma_ring() {
  Policy p = with_uma_ring(*find_ggml_version("ggml-26040"));
  p.description =
      "ggml-26040 with a ring of two input slots for integrated GPUs, fenced by an event per slot";
  return p;
}

}  // namespace

const std::vector<Policy>& llama_driver_variants() {
  static const std::vector<Policy> variants{llama_28058(), uma_ring()};
  return variants;
}

}  // namespace schedcheck
