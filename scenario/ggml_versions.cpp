// The six ggml versions as data: V0's knobs, and what each PR changed.
#include "scenario/policy.hpp"

namespace schedcheck {
namespace {

// V0 = c01b2ea4; V2 and V4 run the same compute_splits with different backend profiles
// and llama.cpp reuse rules (spec §0.1, §0.3).
PolicyKnobs v0_knobs() {
  PolicyKnobs k;
  k.split_start_sync = SyncWhen::never;
  k.prelaunch_sync = SyncWhen::never;
  k.noev_presync = PresyncNoEvent::always;
  k.user_input_copy = UserInputCopy::blocking;
  k.record_event = RecordWhen::has_inputs;
  k.zero_input_split_waits_prev = false;
  k.reuse_policy = ReusePolicy::reuse_no_sync;  // before llama#20463
  // Vulkan's cpy_tensor_async (162fd7c1) is in every tree, V0's included: ggml-v0's
  // ggml_backend_vk_interface has it (docs/capabilities.md; spec §2.8 dated it V1).
  k.profile.vulkan_cpy_async = true;
  k.profile.vulkan_event_wait_submits = false;  // fda28915 lands after ggml-20463 (audit F3)
  return k;
}

// A built-in policy with `knobs` (the ggml versions start from V0's and change what their PR
// changed). Established by `schedcheck check --cases 20000` runs (docs/policies.md): every version
// but ggml-20793 has counterexamples (H1 with pipeline parallelism, H2 with async host copies).
Policy builtin(const char* name, const char* commit, const char* reference,
               const char* description, const PolicyKnobs& knobs) {
  Policy p;
  p.known_verdict = Verdict::races();
  p.name = name;
  p.commit = commit;
  p.reference = reference;
  p.description = description;
  p.knobs = knobs;
  p.builtin = true;
  return p;
}

Policy ggml_v0() {
  Policy p = builtin("ggml-v0", "c01b2ea4", "baseline (parent of llama#17795)",
                     "per-input synchronization; user inputs copied with a blocking copy",
                     v0_knobs());
  p.known_verdict = Verdict::races_and_stale_reads();  // stale: Vulkan's event_wait (F3)
  return p;
}

Policy ggml_17795() {
  Policy p = builtin("ggml-17795", "4b496bb9", "llama#17795",
                     "\"saaasg\" without events, no split-level sync with events; user inputs via "
                     "tensor_copy_async; CUDA-family copy_from_host",
                     v0_knobs());
  p.knobs.split_start_sync = SyncWhen::if_no_event;
  p.knobs.prelaunch_sync = SyncWhen::if_no_event;
  p.knobs.noev_presync = PresyncNoEvent::never;
  p.knobs.user_input_copy = UserInputCopy::copy_async;
  p.knobs.profile.cuda_host_to_device = true;
  p.knobs.profile.hip_host_to_device = true;
  p.knobs.profile.musa_host_to_device = true;
  p.known_verdict = Verdict::races_and_stale_reads();  // stale: Vulkan's event_wait (F3)
  return p;
}

Policy ggml_20463() {
  Policy p = builtin("ggml-20463", "6f88db6a", "llama#20463",
                     "revert of #17795 (compute_splits = V0); llama.cpp disables graph reuse under "
                     "pipeline parallelism",
                     v0_knobs());
  p.knobs.reuse_policy = ReusePolicy::no_reuse_under_pp;
  p.known_verdict = Verdict::races_and_stale_reads();  // stale: Vulkan's event_wait (F3)
  return p;
}

Policy ggml_20793() {
  Policy p = builtin("ggml-20793", "5017f360", "llama#20793",
                     "unconditional sync at split start and before launch (\"saaasg\" for all); "
                     "copy_from_host for CUDA only",
                     v0_knobs());
  p.knobs.split_start_sync = SyncWhen::always;
  p.knobs.prelaunch_sync = SyncWhen::always;
  p.knobs.noev_presync = PresyncNoEvent::if_dst_lacks_cpy_async;
  p.knobs.user_input_copy = UserInputCopy::copy_async;
  p.knobs.reuse_policy = ReusePolicy::reuse_with_full_sync_under_pp;  // llama#20927
  p.known_verdict = Verdict::clean();
  p.knobs.profile.cuda_host_to_device = true;
  p.knobs.profile.vulkan_event_wait_submits = true;  // llama#20518
  return p;
}

Policy ggml_25138() {
  Policy p = builtin("ggml-25138", "d3f96b8d", "llama#25138",
                     "revert of #20793 (compute_splits = V0)", v0_knobs());
  p.knobs.reuse_policy = ReusePolicy::reuse_with_full_sync_under_pp;
  p.knobs.profile.vulkan_event_wait_submits = true;  // llama#20518
  return p;
}

Policy ggml_26040() {
  Policy p = builtin("ggml-26040", "0ab579a5", "llama#26040",
                     "V0 + a split with no inputs waits for the previous split's backend; event "
                     "recorded after every split",
                     v0_knobs());
  p.knobs.record_event = RecordWhen::always;
  p.knobs.zero_input_split_waits_prev = true;
  p.knobs.reuse_policy = ReusePolicy::reuse_with_full_sync_under_pp;
  p.knobs.profile.vulkan_transfer_waits_events = true;  // f257513c (2026-07-16)
  p.knobs.profile.max_split_inputs = 0;                 // e8e7ea4f (2026-08-03)
  p.knobs.profile.hip_integrated = true;                // ggml_cuda_init, docs/capabilities.md
  p.knobs.profile.vulkan_event_wait_submits = true;  // llama#20518
  return p;
}

std::vector<Policy> make_versions() {
  return {ggml_v0(), ggml_17795(), ggml_20463(), ggml_20793(), ggml_25138(), ggml_26040()};
}

}  // namespace

const std::vector<Policy>& ggml_versions() {
  static const std::vector<Policy> versions = make_versions();
  return versions;
}

const Policy* find_ggml_version(std::string_view name) {
  for (const Policy& p : ggml_versions())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace schedcheck
