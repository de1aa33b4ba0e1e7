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

}  // namespace r1::ag
