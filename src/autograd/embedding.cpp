#include "autograd/embedding.h"

#include <string>

#include "core/error.h"

namespace r1::ag {

template <class T>
void embedding_forward(T* out, const int32_t* tokens, const T* wte, int64_t N, int64_t V, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    const int32_t t = tokens[n];
    if (t < 0 || t >= V)
      throw Error("embedding: token id " + std::to_string(t) + " at row " + std::to_string(n) +
                  " is out of range (vocab_size " + std::to_string(V) + ")");
    const T* row = wte + int64_t(t) * C;
    for (int64_t c = 0; c < C; ++c) out[n * C + c] = row[c];
  }
}

template <class T>
void embedding_backward(T* dwte, const T* dout, const int32_t* tokens, int64_t N, int64_t C) {
  for (int64_t n = 0; n < N; ++n) {
    T* row = dwte + int64_t(tokens[n]) * C;
    for (int64_t c = 0; c < C; ++c) row[c] += dout[n * C + c];
  }
}

#define R1_INSTANTIATE(T)                                                                                  \
  template void embedding_forward<T>(T*, const int32_t*, const T*, int64_t, int64_t, int64_t);             \
  template void embedding_backward<T>(T*, const T*, const int32_t*, int64_t, int64_t);
R1_INSTANTIATE(float)
R1_INSTANTIATE(double)
#undef R1_INSTANTIATE

}  // namespace r1::ag
