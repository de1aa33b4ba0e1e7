// Learning-rate schedule: linear warmup from 0 to lr over `warmup` steps, then cosine decay to min_lr at
// `total` steps (constant min_lr after). Steps count from 0; step s uses lr_at(s).
#pragma once

#include <cmath>
#include <cstdint>

namespace r1::train {

struct LrSchedule {
  double lr = 1e-3, min_lr = 1e-4;
  int64_t warmup = 0, total = 1;

  double at(int64_t step) const {
    if (warmup > 0 && step < warmup) return lr * double(step + 1) / double(warmup);
    if (step >= total) return min_lr;
    const double span = double(total - warmup);
    const double p = span > 0 ? double(step - warmup) / span : 1.0;  // 0 .. 1
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * p));
  }
};

}  // namespace r1::train
