// The variant of a finding: its mechanism refined by where the two accesses come from (the
// ggml call, the compute_splits step, the kind of operation, the agent that performs it, the
// shape of the split it belongs to) and whether they fall in the same evaluation. Coarse on
// purpose: tensors, slots, backends' numbers and sizes are left out, so random scenarios that
// show the same bug collapse into one variant, while e.g. H2's set_inputs rewrite and its
// zero-input CPU split rewrite stay apart (docs/checking.md, "Variants").
#pragma once

#include <compare>
#include <string>
#include <vector>

#include "executor/execution_layout.hpp"
#include "executor/operation.hpp"
#include "scenario/mechanism.hpp"
#include "sim/finding.hpp"
#include "sim/replay.hpp"

namespace schedcheck {

// Which split an access is about, as far as the variant cares.
enum class SplitShape : uint8_t {
  none,            // the call names no split (set_inputs, the application's reads, ...)
  with_inputs,     // a split that copies inputs in
  without_inputs,  // a split with no inputs (nothing before it waits for another backend)
};

// One access of the racing pair. `present` is false for a stale read of never-written memory.
struct VariantAccess {
  bool present = false;
  Call call = Call::synchronize;
  std::string step;  // the compute_splits step; empty when the driver issued the call
  OpKind op = OpKind::compute;
  AgentKind agent = AgentKind::host;
  SplitShape split = SplitShape::none;

  auto operator<=>(const VariantAccess&) const = default;
};

// Whether the second access belongs to a later evaluation (ubatch) than the first.
enum class EvalRelation : uint8_t { same, later };

struct FindingVariant {
  Mechanism mechanism = Mechanism::other;
  FindingKind kind = FindingKind::read_after_write;
  VariantAccess first;  // as in Finding: races, the earlier access; stale reads, the writer
  VariantAccess second;
  EvalRelation evals = EvalRelation::same;

  auto operator<=>(const FindingVariant&) const = default;
};

FindingVariant classify_variant(const ReplayResult& replay, const Finding& finding);

// The variants of a replay's findings, one per finding group, in report order, without repeats.
std::vector<FindingVariant> finding_variants(const ReplayResult& replay);

// The text form, for reports and tables: "H2 WAR · cpy_tensor_async[input] (copy on queue, split
// with inputs) ⟂ set_inputs (host write on host) · later evaluation".
std::string to_string(const FindingVariant& v);
// The same in ASCII letters, digits, '-', '_' and '.' for file names:
// "H2-war-cpy_tensor_async.input.copy.queue.inputs-set_inputs.host_write.host-later".
std::string slug(const FindingVariant& v);

}  // namespace schedcheck
