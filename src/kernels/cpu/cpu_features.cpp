// Runtime CPU feature checks for the kernels built with wider instruction sets than the rest of the binary.
// Compiled with the project's baseline flags: it must run on every CPU the binary supports.
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/gemm_bf16.h"

namespace r1::cpu {

bool cpu_has_avx512_bf16() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  }();
  return has;
}

bool avx512_bf16_enabled() {
  static const bool enabled = [] {
    const char* off = std::getenv("R1_NO_AVX512");
    return cpu_has_avx512_bf16() && !(off && *off && std::strcmp(off, "0") != 0);
  }();
  return enabled;
}

}  // namespace r1::cpu
