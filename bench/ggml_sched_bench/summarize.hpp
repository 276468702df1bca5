// `summarize FILE...`: the rounds of two trees (JSON lines of run/serve), paired by
// (scenario, round); per scenario a markdown table of the means per tree, the speed-ups with
// their 95 % intervals (stats.hpp) and the corrupted ubatches per tree.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gsb {

// base: the baseline tree's label ("" : ggml-head when present, else the first label seen).
// Returns 0, or 1 when some round has corrupted ubatches; throws UsageError on bad input.
int summarize(const std::vector<std::string>& files, const std::string& base, std::ostream& out);

}  // namespace gsb
