#include "scenario/policy_knobs.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

namespace schedcheck {
namespace {

template <typename E>
using Names = std::vector<std::pair<E, std::string_view>>;

const Names<SyncWhen> kSyncWhen{{SyncWhen::never, "never"},
                                {SyncWhen::if_no_event, "if_no_event"},
                                {SyncWhen::always, "always"}};
const Names<PresyncNoEvent> kPresync{
    {PresyncNoEvent::always, "always"},
    {PresyncNoEvent::never, "never"},
    {PresyncNoEvent::if_dst_lacks_cpy_async, "if_dst_lacks_cpy_async"}};
const Names<UserInputCopy> kUserCopy{{UserInputCopy::blocking, "blocking"},
                                     {UserInputCopy::copy_async, "copy_async"}};
const Names<RecordWhen> kRecord{{RecordWhen::has_inputs, "has_inputs"},
                                {RecordWhen::always, "always"},
                                {RecordWhen::never, "never"}};
const Names<DeclinedCopy> kDeclined{
    {DeclinedCopy::blocking_after_wait, "blocking_after_wait"},
    {DeclinedCopy::set_async_after_source_sync, "set_async_after_source_sync"}};
const Names<CopyAdvance> kAdvance{{CopyAdvance::at_alloc, "at_alloc"},
                                  {CopyAdvance::after_compute, "after_compute"}};
const Names<SyncCopyReset> kReset{{SyncCopyReset::never, "never"},
                                  {SyncCopyReset::always, "always"},
                                  {SyncCopyReset::if_not_alloc, "if_not_alloc"}};
const Names<ReallocSync> kRealloc{{ReallocSync::sched_synchronize, "sched_synchronize"},
                                  {ReallocSync::per_backend, "per_backend"}};
const Names<ReusePolicy> kReuse{
    {ReusePolicy::reuse_no_sync, "reuse_no_sync"},
    {ReusePolicy::no_reuse_under_pp, "no_reuse_under_pp"},
    {ReusePolicy::reuse_with_full_sync_under_pp, "reuse_with_full_sync_under_pp"}};
const Names<SetInputsSync> kInputsSync{{SetInputsSync::per_reuse_policy, "per_reuse_policy"},
                                       {SetInputsSync::always, "always"}};
const Names<bool> kBool{{false, "false"}, {true, "true"}};

// One row per knob: name, getter (as text), setter (from text), accepted values.
struct KnobRow {
  std::string_view name;
  std::function<std::string(const PolicyKnobs&)> get;
  std::function<bool(PolicyKnobs&, const std::string&)> set;
  std::string values;
};

template <typename E>
std::string join_names(const Names<E>& names) {
  std::string out;
  for (const auto& [v, n] : names) out += (out.empty() ? "" : "|") + std::string(n);
  return out;
}

template <typename E>
KnobRow row(std::string_view name, const Names<E>& names, E PolicyKnobs::*member) {
  return {name,
          [&names, member](const PolicyKnobs& k) {
            for (const auto& [v, n] : names)
              if (v == k.*member) return std::string(n);
            return std::string("?");
          },
          [&names, member](PolicyKnobs& k, const std::string& text) {
            for (const auto& [v, n] : names)
              if (n == text) {
                k.*member = v;
                return true;
              }
            return false;
          },
          join_names(names)};
}

// A count from 0 to max; `field(knobs)` is the int it reads and writes, const or not.
template <typename Field>
KnobRow count_row(std::string_view name, int max, Field field, std::string values) {
  return {name, [field](const PolicyKnobs& k) { return std::to_string(field(k)); },
          [field, max](PolicyKnobs& k, const std::string& text) {
            if (text.empty() || text.size() > 6 ||
                text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) > max)
              return false;
            field(k) = std::stoi(text);
            return true;
          },
          std::move(values)};
}

template <typename E>
KnobRow profile_row(std::string_view name, const Names<E>& names, E VersionProfile::*member) {
  return {name,
          [&names, member](const PolicyKnobs& k) {
            for (const auto& [v, n] : names)
              if (v == k.profile.*member) return std::string(n);
            return std::string("?");
          },
          [&names, member](PolicyKnobs& k, const std::string& text) {
            for (const auto& [v, n] : names)
              if (n == text) {
                k.profile.*member = v;
                return true;
              }
            return false;
          },
          join_names(names)};
}

const std::vector<KnobRow>& rows() {
  static const std::vector<KnobRow> table{
      row("split_start_sync", kSyncWhen, &PolicyKnobs::split_start_sync),
      row("prelaunch_sync", kSyncWhen, &PolicyKnobs::prelaunch_sync),
      row("noev_presync", kPresync, &PolicyKnobs::noev_presync),
      row("user_input_copy", kUserCopy, &PolicyKnobs::user_input_copy),
      row("record_event", kRecord, &PolicyKnobs::record_event),
      row("zero_input_split_waits_prev", kBool, &PolicyKnobs::zero_input_split_waits_prev),
      row("declined_copy", kDeclined, &PolicyKnobs::declined_copy),
      row("moe_ids_from_later_input", kBool, &PolicyKnobs::moe_ids_from_later_input),
      row("copy_advance", kAdvance, &PolicyKnobs::copy_advance),
      row("sync_copy_reset", kReset, &PolicyKnobs::sync_copy_reset),
      row("realloc_sync", kRealloc, &PolicyKnobs::realloc_sync),
      row("reuse_policy", kReuse, &PolicyKnobs::reuse_policy),
      row("set_inputs_sync", kInputsSync, &PolicyKnobs::set_inputs_sync),
      count_row(
          "uma_ring", 8, [](auto& k) -> auto& { return k.uma_ring; },
          "0 (no ring) or a slot count up to 8"),
      profile_row("cuda_host_to_device", kBool, &VersionProfile::cuda_host_to_device),
      profile_row("hip_host_to_device", kBool, &VersionProfile::hip_host_to_device),
      profile_row("musa_host_to_device", kBool, &VersionProfile::musa_host_to_device),
      profile_row("vulkan_cpy_async", kBool, &VersionProfile::vulkan_cpy_async),
      profile_row("vulkan_transfer_waits_events", kBool,
                  &VersionProfile::vulkan_transfer_waits_events),
      profile_row("vulkan_event_wait_submits", kBool, &VersionProfile::vulkan_event_wait_submits),
      profile_row("async_fallback_syncs", kBool, &VersionProfile::async_fallback_syncs),
      profile_row("hip_integrated", kBool, &VersionProfile::hip_integrated),
      count_row(
          "max_split_inputs", 999999,
          [](auto& k) -> auto& { return k.profile.max_split_inputs; },
          "0 (growable) or a positive count up to 999999"),
  };
  return table;
}

}  // namespace

std::vector<KnobSetting> describe_knobs(const PolicyKnobs& knobs, bool compute_splits) {
  std::vector<KnobSetting> out;
  for (const auto& r : rows())
    if (compute_splits || !is_compute_splits_knob(r.name))
      out.push_back({std::string(r.name), r.get(knobs)});
  return out;
}

bool is_compute_splits_knob(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kComputeSplits{
      "split_start_sync", "prelaunch_sync",         "noev_presync", "user_input_copy",
      "record_event",     "zero_input_split_waits_prev", "declined_copy"};
  return std::find(kComputeSplits.begin(), kComputeSplits.end(), name) != kComputeSplits.end();
}

std::optional<std::string> set_knob(PolicyKnobs& knobs, std::string_view name,
                                    const std::string& value_text) {
  for (const auto& r : rows()) {
    if (r.name != name) continue;
    if (r.set(knobs, value_text)) return std::nullopt;
    return "expected one of " + r.values + ", got \"" + value_text + "\"";
  }
  std::string known;
  for (const auto& r : rows()) known += (known.empty() ? "" : ", ") + std::string(r.name);
  return "unknown knob \"" + std::string(name) + "\" (known: " + known + ")";
}

std::string knob_values(std::string_view name) {
  for (const auto& r : rows())
    if (r.name == name) return r.values;
  return "";
}

int input_ring_slots(const PolicyKnobs& k) {
  return k.uma_ring >= 2 ? k.uma_ring : 0;
}

}  // namespace schedcheck
