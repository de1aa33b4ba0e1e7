// SwiGLU feed-forward (= model.py MLP / Expert): y = w2(silu(w1 x) * w3 x).
#pragma once

#include <cstdint>
#include <vector>

namespace r1::ag {

// out[i] = silu(a[i]) * b[i], silu(a) = a / (1 + exp(-a)). out may alias neither input.
template <class T>
void swiglu_forward(T* out, const T* a, const T* b, int64_t n);

// da += dout * b * silu'(a);  db += dout * silu(a).
template <class T>
void swiglu_backward(T* da, T* db, const T* dout, const T* a, const T* b, int64_t n);

// The three weights of one SwiGLU MLP (dense layer, one routed expert, or the shared experts); the same struct
// holds the parameters or their gradients. Non-owning pointers into a ParamSet.
template <class T>
struct MLPParams {
  T* w1 = nullptr;  // (inter, dim)  gate_proj
  T* w2 = nullptr;  // (dim, inter)  down_proj
  T* w3 = nullptr;  // (inter, dim)  up_proj
  int64_t inter = 0;
};

template <class T>
struct MLPActs {
  std::vector<T> h1;  // (N, inter) w1 x
  std::vector<T> h3;  // (N, inter) w3 x
  std::vector<T> g;   // (N, inter) silu(h1) * h3
};

// out (N, dim) = w2(silu(w1 x) * w3 x) for x (N, dim); fills acts.
template <class T>
void mlp_forward(const MLPParams<T>& p, MLPActs<T>& acts, const T* x, int64_t N, int64_t dim, T* out);

// dx (N, dim) += ..., grads.w1/w2/w3 += ... (dx may be null).
template <class T>
void mlp_backward(const MLPParams<T>& p, const MLPParams<T>& grads, const MLPActs<T>& acts, const T* x, int64_t N,
                  int64_t dim, const T* dout, T* dx);

}  // namespace r1::ag
