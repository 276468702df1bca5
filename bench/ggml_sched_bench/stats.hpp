// The speed-up's interval: a Student t-interval on the per-round log ratios of paired rounds
// (head and patched measured back to back), exponentiated; a ratio is then a geometric mean.
#pragma once

#include <vector>

namespace gsb {

struct RatioInterval {
  int n = 0;
  double estimate = 0;  // exp(mean of the log ratios)
  double low = 0;       // 95 %; equal to the estimate when n < 2
  double high = 0;
};

// The two-sided 95 % quantile of Student's t with df degrees of freedom (df >= 1).
double t_quantile_975(int df);

// ratios: one per pair, each > 0.
RatioInterval ratio_interval(const std::vector<double>& ratios);

double mean(const std::vector<double>& v);

}  // namespace gsb
