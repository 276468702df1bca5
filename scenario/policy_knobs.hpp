// The knob set of the unified compute_splits (spec §2.9, §9.1) plus the scheduler state and
// llama.cpp driver switches that changed with the same versions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/version_profile.hpp"

namespace schedcheck {

enum class SyncWhen { never, if_no_event, always };
enum class PresyncNoEvent { always, never, if_dst_lacks_cpy_async };
enum class UserInputCopy { blocking, copy_async };
enum class RecordWhen { has_inputs, always, never };
// What a declined non-user copy does (llama#8897 changed it).
enum class DeclinedCopy { blocking_after_wait, set_async_after_source_sync };
// Where the copy index advances (179d73c9 moved it into alloc_graph).
enum class CopyAdvance { at_alloc, after_compute };
// When sched_synchronize resets the copy index (05a56dc9: always; d567bed7: only unallocated).
enum class SyncCopyReset { never, always, if_not_alloc };
// How alloc_splits' re-reserve path synchronizes (d567bed7: per backend, index untouched).
enum class ReallocSync { sched_synchronize, per_backend };
// llama.cpp graph reuse under pipeline parallelism (spec §5.2).
enum class ReusePolicy { reuse_no_sync, no_reuse_under_pp, reuse_with_full_sync_under_pp };
// llama.cpp's synchronize before set_inputs: only the one reuse_policy puts on the reuse path
// (every version up to ggml-26040's time), or before every set_inputs on the reuse and the
// rebuild path (llama#28058).
enum class SetInputsSync { per_reuse_policy, always };

struct PolicyKnobs {
  SyncWhen split_start_sync = SyncWhen::never;
  SyncWhen prelaunch_sync = SyncWhen::never;
  PresyncNoEvent noev_presync = PresyncNoEvent::always;
  UserInputCopy user_input_copy = UserInputCopy::blocking;
  RecordWhen record_event = RecordWhen::has_inputs;
  bool zero_input_split_waits_prev = false;
  DeclinedCopy declined_copy = DeclinedCopy::blocking_after_wait;
  bool moe_ids_from_later_input = true;  // llama#15488: read ids on their own backend
  CopyAdvance copy_advance = CopyAdvance::at_alloc;
  SyncCopyReset sync_copy_reset = SyncCopyReset::if_not_alloc;
  ReallocSync realloc_sync = ReallocSync::per_backend;
  ReusePolicy reuse_policy = ReusePolicy::reuse_with_full_sync_under_pp;
  SetInputsSync set_inputs_sync = SetInputsSync::per_reuse_policy;
  // llama#27311 (GGML_SCHED_UMA_RING): user inputs that a GPU reads in place rotate over this
  // many slots, and the host waits for the last graph that read a slot before rewriting it.
  // 0 or 1: no ring.
  int uma_ring = 0;
  VersionProfile profile;

  bool operator==(const PolicyKnobs&) const = default;
};

// One knob as a name/value pair of strings: the spelling used in scenario files,
// `schedcheck policies` and reports.
struct KnobSetting {
  std::string name;
  std::string value;
};
// Every knob; without the compute_splits ones (for a hand-written compute_splits) if asked.
std::vector<KnobSetting> describe_knobs(const PolicyKnobs& knobs, bool compute_splits = true);
// Whether the ggml family's compute_splits reads it (split_start_sync .. declined_copy); the
// others belong to the scheduler's state machine, llama.cpp's driver or the backend profile.
bool is_compute_splits_knob(std::string_view name);
// Sets one knob from its text form. Returns an error message, or nullopt on success.
std::optional<std::string> set_knob(PolicyKnobs& knobs, std::string_view name,
                                    const std::string& value_text);
// The slots of the input ring (uma_ring), 0 without one: uma_ring 0 and 1 both mean none, as
// GGML_SCHED_UMA_RING=1 does.
int input_ring_slots(const PolicyKnobs& k);
// The accepted values of a knob, for error messages ("true|false", "never|if_no_event|always").
std::string knob_values(std::string_view name);

}  // namespace schedcheck
