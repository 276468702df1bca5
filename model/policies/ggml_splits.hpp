// The ggml family's compute_splits (spec §2.9): one implementation, every ggml version as knobs
// (scenario/policy_knobs.hpp). Custom policies of scenario files run here too.
#pragma once

#include "model/policies/split_policy.hpp"

namespace schedcheck {

class GgmlSplits final : public SplitPolicy {
 public:
  void compute_splits(Scheduler& sched, const EvalContext& ctx) override;
};

}  // namespace schedcheck
