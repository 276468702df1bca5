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
// What a declined non-user copy does (llama#8897 changed it; source_queue_read: schedcheck-min).
enum class DeclinedCopy { blocking_after_wait, set_async_after_source_sync, source_queue_read };
// Where the copy index advances (179d73c9 moved it into alloc_graph).
enum class CopyAdvance { at_alloc, after_compute };
// When sched_synchronize resets the copy index (05a56dc9: always; d567bed7: only unallocated).
enum class SyncCopyReset { never, always, if_not_alloc };
// How alloc_splits' re-reserve path synchronizes (d567bed7: per backend, index untouched).
enum class ReallocSync { sched_synchronize, per_backend };
// llama.cpp graph reuse under pipeline parallelism (spec §5.2).
enum class ReusePolicy { reuse_no_sync, no_reuse_under_pp, reuse_with_full_sync_under_pp };

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
  // schedcheck-min's rules (docs/policies.md); every ggml version has them off.
  // Waits the ggml versions do on the host become queue waits where the copy is asynchronous:
  // the user-input slot guard and the zero-input split's wait for the previous backend.
  bool device_side_waits = false;
  // Input copies wait on a fence recorded on the destination queue at split start (not on the
  // slot's event), and a copy from another backend's queue makes that queue wait on it too.
  bool destination_fence = false;
  // An event is recorded after the asynchronous copies that read host memory; the host waits
  // for it before it writes host memory again (a CPU split, the next set_inputs).
  bool release_host_sources = false;
  VersionProfile profile;

  bool operator==(const PolicyKnobs&) const = default;
};

// One knob as a name/value pair of strings: the spelling used in scenario files,
// `schedcheck policies` and reports.
struct KnobSetting {
  std::string name;
  std::string value;
};
std::vector<KnobSetting> describe_knobs(const PolicyKnobs& knobs);
// Sets one knob from its text form. Returns an error message, or nullopt on success.
std::optional<std::string> set_knob(PolicyKnobs& knobs, std::string_view name,
                                    const std::string& value_text);
// The accepted values of a knob, for error messages ("true|false", "never|if_no_event|always").
std::string knob_values(std::string_view name);

}  // namespace schedcheck
