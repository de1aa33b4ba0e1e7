// Deterministic pseudo-random numbers (splitmix64 seeding a xoshiro256** generator). Same seed, same
// numbers on every machine: no floating-point library calls are involved in drawing uniforms.
#pragma once

#include <cstdint>

namespace r1 {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s_[&s - s_] = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 24 random bits (exactly representable in f32).
  float uniform() { return float(next() >> 40) * (1.0f / 16777216.0f); }
  // Uniform in [-a, a).
  float symmetric(float a) { return (2.0f * uniform() - 1.0f) * a; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace r1
