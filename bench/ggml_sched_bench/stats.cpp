#include "stats.hpp"

#include <cmath>

namespace gsb {

double t_quantile_975(int df) {
  static const double table[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= 30) return table[df - 1];
  // Cornish-Fisher expansion around the normal quantile: within 1e-4 of the exact value here.
  const double z = 1.959963985, n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

RatioInterval ratio_interval(const std::vector<double>& ratios) {
  RatioInterval r;
  r.n = static_cast<int>(ratios.size());
  if (r.n == 0) return r;
  std::vector<double> logs;
  for (double x : ratios) logs.push_back(std::log(x));
  const double m = mean(logs);
  r.estimate = r.low = r.high = std::exp(m);
  if (r.n < 2) return r;
  double ss = 0;
  for (double x : logs) ss += (x - m) * (x - m);
  const double half = t_quantile_975(r.n - 1) * std::sqrt(ss / (r.n - 1)) / std::sqrt(r.n);
  r.low = std::exp(m - half);
  r.high = std::exp(m + half);
  return r;
}

}  // namespace gsb
