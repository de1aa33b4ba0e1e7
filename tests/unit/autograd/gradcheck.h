// Finite-difference gradient checks in double precision for the autograd ops.
//
// Each check perturbs one entry by +-h (central difference, h = 1e-6) and compares the quotient
// fd = (L(x+h) - L(x-h)) / 2h with the analytic gradient. In double the truncation error is O(h^2 L''') ~ 1e-12;
// the rounding error is O(eps * |L| * c / h), where c counts the roundings that reach L: ~1e-10 for one op,
// up to ~1e-8 absolute through a whole model (measured: it shrinks as 1/h, from 1e-5 relative on small expert
// gradients at h = 1e-6 to 1e-8 at h = 1e-4, so it is noise and not an error of the backward).
// An entry passes when
//   |fd - analytic| <= kRelTol * max(|analytic|, |fd|, floor) + kNoiseUlps * eps * max(|L|, 1) / h
// kRelTol = 1e-6 (= h); floor = 1e-2 * max |analytic| over the tensor, so nearly-zero entries are judged
// against the tensor's scale; the second term allows the quotient's rounding noise, 64 ulps of L divided by the
// step (~4e-8 absolute for a whole-model loss of ~3, where ~1e-8 is observed). A wrong backward term gives
// errors of the order of the gradient itself, far above both allowances. The printed "max rel err" is the raw
// |fd - analytic| / max(|analytic|, |fd|, floor), noise included.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"

namespace r1::ag::test {

constexpr double kStep = 1e-6;
constexpr double kRelTol = 1e-6;
constexpr double kNoiseUlps = 64.0;

inline std::vector<double> random_vec(Rng& rng, int64_t n, double scale) {
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = double(rng.symmetric(1.0f)) * scale;
  return v;
}

// Central-difference check of `analytic` (n entries, the gradient of loss() w.r.t. x) at `indices` (all when
// empty). Returns the largest error; records a test failure naming the tensor when it exceeds tol, and when the
// gradient is identically zero unless allow_zero (e.g. an expert no token was routed to: then the differences
// must be exactly zero too).
inline double check_grad(const std::string& name, double* x, const double* analytic, int64_t n,
                         const std::function<double()>& loss, const std::vector<int64_t>& indices = {},
                         bool allow_zero = false, double tol = kRelTol) {
  double amax = 0.0;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(analytic[i]));
  const double floor = std::max(1e-2 * amax, 1e-12);
  const double noise = kNoiseUlps * 0x1p-52 * std::max(std::fabs(loss()), 1.0) / kStep;
  double worst = 0.0, worst_excess = 0.0;
  int64_t worst_i = -1, count = 0;
  auto one = [&](int64_t i) {
    const double x0 = x[i];
    x[i] = x0 + kStep;
    const double lp = loss();
    x[i] = x0 - kStep;
    const double lm = loss();
    x[i] = x0;
    const double fd = (lp - lm) / (2.0 * kStep);
    const double denom = std::max({std::fabs(analytic[i]), std::fabs(fd), floor});
    const double err = std::fabs(fd - analytic[i]) / denom;
    if (err > worst || worst_i < 0) {
      worst = err;
      worst_i = i;
    }
    worst_excess = std::max(worst_excess, (std::fabs(fd - analytic[i]) - noise) / denom);  // beyond the noise
    ++count;
  };
  if (indices.empty()) {
    for (int64_t i = 0; i < n; ++i) one(i);
  } else {
    for (int64_t i : indices) one(i);
  }
  std::printf("[gradcheck] %-58s %5lld entries  max rel err %.2e  (max |grad| %.2e)\n", name.c_str(),
              (long long)count, worst, amax);
  EXPECT_LE(worst_excess, tol) << name << ": worst raw entry " << worst_i << " analytic " << analytic[worst_i]
                               << " rel err " << worst << ", noise allowance " << noise;
  if (!allow_zero) {
    EXPECT_GT(amax, 0.0) << name << ": gradient is identically zero, the check would be vacuous";
  }
  return worst;
}

// n_pick distinct random entries of a tensor of n entries (all of them when n <= n_pick).
inline std::vector<int64_t> pick(Rng& rng, int64_t n, int64_t n_pick) {
  std::vector<int64_t> out;
  if (n <= n_pick) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  while (int64_t(out.size()) < n_pick) {
    const int64_t i = int64_t(rng.next() % uint64_t(n));
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  return out;
}

// sum_i out[i] * r[i]: a scalar loss whose gradient w.r.t. out is r.
inline double weighted_sum(const std::vector<double>& out, const std::vector<double>& r) {
  double s = 0.0;
  for (size_t i = 0; i < out.size(); ++i) s += out[i] * r[i];
  return s;
}

struct Tensor {
  std::string name;
  std::vector<double> value, grad;
};

// Random tensors for the parameters named in `specs`, bound into p (values) and g (gradients).
struct Spec {
  std::string name;
  int64_t n;
  double scale, offset;  // uniform in offset +- scale (norm weights around 1)
  double** pp;
  double** gp;
};

inline std::vector<Tensor> make_tensors(Rng& rng, const std::vector<Spec>& specs) {
  std::vector<Tensor> ts;
  ts.reserve(specs.size());
  for (const Spec& s : specs) {
    std::vector<double> v = random_vec(rng, s.n, s.scale);
    for (auto& x : v) x += s.offset;
    ts.push_back({s.name, v, std::vector<double>(size_t(s.n), 0.0)});
    *s.pp = ts.back().value.data();
    *s.gp = ts.back().grad.data();
  }
  return ts;
}

}  // namespace r1::ag::test
