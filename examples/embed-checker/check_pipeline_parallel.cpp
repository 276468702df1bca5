// A scheduler test written against the installed schedcheck package: a two-GPU
// pipeline-parallel decode built in code, checked under two ggml versions of the scheduler.
// ggml-17795 (host syncs removed) must race with the pinned-host copy race H2; ggml-20793
// (its revert) must be clean. Exit 0 when both hold, 1 otherwise (ctest reads the code).
#include <cstdio>
#include <schedcheck/api/checker.hpp>

namespace {

schedcheck::Scenario two_gpu_pipeline() {
  using namespace schedcheck;
  ScenarioBuilder b("two-gpu-pipeline-in-code");
  const Index cuda0 = b.backend("CUDA0", BackendKind::cuda, 0);
  const Index cuda1 = b.backend("CUDA1", BackendKind::cuda, 1);
  const Index cpu = b.backend("CPU", BackendKind::cpu);  // the CPU comes last
  const Index cpu_weights =
      b.buffer("CPU_weights", BufferKind::pageable_host, BufferUsage::weights, kNone, 0);
  const Index weights0 = b.buffer("CUDA0_weights", BufferKind::device, BufferUsage::weights, cuda0, 0);
  const Index weights1 = b.buffer("CUDA1_weights", BufferKind::device, BufferUsage::weights, cuda1, 0);
  const Index logits = b.buffer("logits", BufferKind::pinned_host, BufferUsage::output, kNone, 4096);

  const Index token_embd = b.weight("token_embd", cpu_weights, 65536);
  const Index w0 = b.weight("blk.0.ffn", weights0, 65536);
  const Index w1 = b.weight("blk.1.ffn", weights1, 65536);
  const Index head = b.weight("output", weights1, 32768);
  const Index tokens = b.input("inp_tokens", 512);

  const Index embd = b.node("inp_embd", cpu, {token_embd, tokens}, 4096, 0, false, "get_rows");
  const Index l0 = b.node("l0_out", cuda0, {w0, embd}, 4096, 0, false, "mul_mat");
  const Index l1 = b.node("l1_out", cuda1, {w1, l0}, 4096, 0, false, "mul_mat");
  const Index out = b.node("result_output", cuda1, {head, l1}, 4096, kFlagOutput, false, "mul_mat");

  Scenario& s = b.scenario();
  s.scheduler.pipeline_parallel = true;  // llama.cpp's conditions: two GPUs, full offload
  s.driver.ubatches_per_batch = {6};     // one prompt of six ubatches
  s.driver.outputs.push_back({out, logits, OutputRead::When::all, {}});
  return s;
}

bool expect(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  return ok;
}

}  // namespace

int main() {
  const schedcheck::Scenario s = two_gpu_pipeline();
  const schedcheck::CheckResult removed = schedcheck::check(s, "ggml-17795");
  const schedcheck::CheckResult reverted = schedcheck::check(s, "ggml-20793");
  bool ok = expect(removed.verdict.race, "ggml-17795 races");
  ok &= expect(removed.has_mechanism(schedcheck::Mechanism::H2), "ggml-17795 shows H2 (pinned source rewritten)");
  ok &= expect(reverted.verdict.is_clean(), "ggml-20793 is clean");
  if (!ok) std::printf("\n%s\n%s", removed.report().c_str(), reverted.report().c_str());
  return ok ? 0 : 1;
}
