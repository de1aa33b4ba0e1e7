// Runtime CPU feature checks for the kernels built with wider instruction sets than the rest of the binary.
// Compiled with the project's baseline flags: it must run on every CPU the binary supports.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "kernels/cpu/dot_quant.h"
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

namespace {

bool avx512_switched_off() {  // R1_NO_AVX512 set to anything but "0"
  const char* off = std::getenv("R1_NO_AVX512");
  return off && *off && std::strcmp(off, "0") != 0;
}

}  // namespace

bool avx512_bf16_enabled() {
  static const bool enabled = cpu_has_avx512_bf16() && !avx512_switched_off();
  return enabled;
}

int64_t l1d_bytes() {
  static const int64_t bytes = [] {
    const long b = ::sysconf(_SC_LEVEL1_DCACHE_SIZE);
    return b > 0 ? int64_t(b) : int64_t(32 * 1024);
  }();
  return bytes;
}

bool avx512_vnni_enabled() {
  static const bool enabled = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma") && !avx512_switched_off();
  }();
  return enabled;
}

}  // namespace r1::cpu
