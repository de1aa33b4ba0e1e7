// Token embedding lookup (= model.py ParallelEmbedding on one rank) and its backward, a scatter-add.
//
// Convention for every op in src/autograd/ (llm.c style): <op>_forward writes its outputs (and whatever the
// backward needs into caller-owned activation buffers); <op>_backward ACCUMULATES (+=) into the gradients of
// its inputs and parameters, so callers zero gradient buffers once and residual branches simply add up.
// Ops are templated on the scalar: float for training, double for the finite-difference gradient checks.
#pragma once

#include <cstdint>

namespace r1::ag {

// out (N, C) = wte[tokens[n], :]; tokens (N) each in [0, V) (else r1::Error); wte (V, C).
template <class T>
void embedding_forward(T* out, const int32_t* tokens, const T* wte, int64_t N, int64_t V, int64_t C);

// dwte (V, C) += scatter of dout (N, C) by tokens (rows of repeated tokens add up).
template <class T>
void embedding_backward(T* dwte, const T* dout, const int32_t* tokens, int64_t N, int64_t C);

}  // namespace r1::ag
