// Cross-entropy over logits, mean over the counted targets (targets equal to ignore_index are skipped),
// = torch.nn.functional.cross_entropy(logits, targets, ignore_index=...).
#pragma once

#include <cstdint>

namespace r1::ag {

constexpr int32_t kIgnoreIndex = -100;  // PyTorch's default ignore_index

// logits (N, V), targets (N) in [0, V) or ignore_index (else r1::Error). Writes probs (N, V) = softmax(logits)
// for the backward and returns the mean of -log p[target] over counted rows (0 when none is counted).
template <class T>
T cross_entropy_forward(T* probs, const T* logits, const int32_t* targets, int64_t N, int64_t V,
                        int32_t ignore_index = kIgnoreIndex);

// dlogits (N, V) += dloss / count * (probs - onehot(target)) on counted rows.
template <class T>
void cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, int64_t N, int64_t V, T dloss,
                            int32_t ignore_index = kIgnoreIndex);

// logp (N) = log softmax(logits)[target] per row (0 on ignored rows), stable (from the logits).
template <class T>
void target_logprobs(T* logp, const T* logits, const int32_t* targets, int64_t N, int64_t V,
                     int32_t ignore_index = kIgnoreIndex);

// The per-token weighted loss sum_n w[n] * -log p[target_n] (no mean; RL objectives such as GRPO supply
// w = -d objective / d logp): returns it, and its backward dlogits (N, V) += w[n] * (probs - onehot(target)).
template <class T>
T weighted_cross_entropy(const T* logits, const int32_t* targets, const T* w, int64_t N, int64_t V,
                         int32_t ignore_index = kIgnoreIndex);
template <class T>
void weighted_cross_entropy_backward(T* dlogits, const T* probs, const int32_t* targets, const T* w, int64_t N,
                                     int64_t V, int32_t ignore_index = kIgnoreIndex);

}  // namespace r1::ag
