// Online softmax over streamed key tiles (spec 1.6), fp32 statistics.
//
// A thread owns kRows query rows, each with kCols of the tile's scores; a row's scores are spread
// over kLanes consecutive lanes (4 for the m16n8 fragments, 16 for the fp32 FFMA kernel). The row
// maximum is shared by those lanes, the running sum stays a per-thread partial until finalize().
// kBase2: scores are in log2 units and exponentials use exp2 (tensor-core kernels fold log2(e)
// into the scale); otherwise natural units with the accurate expf (exact fp32 kernel).
#pragma once

#include <cmath>

#include "tile.h"

namespace a4j {

template <int kLanes>
__device__ __forceinline__ float lanes_max(float x) {
#pragma unroll
  for (int o = 1; o < kLanes; o <<= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
template <int kLanes>
__device__ __forceinline__ float lanes_sum(float x) {
#pragma unroll
  for (int o = 1; o < kLanes; o <<= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

template <int kRows, int kCols, int kLanes, bool kBase2>
struct OnlineSoftmax {
  float m[kRows];  // running max (log2 or natural units), -inf while the row has seen no key
  float l[kRows];  // this thread's part of the running sum

  __device__ __forceinline__ void init() {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      m[r] = -INFINITY;
      l[r] = 0.f;
    }
  }

  __device__ __forceinline__ static float ex(float x) { return kBase2 ? fast_exp2(x) : expf(x); }

  // Replaces the scores s(r, c) by exp(scale * (s - m_new)) and returns the factor
  // exp(scale * (m_old - m_new)) by which each row's output accumulator must be rescaled
  // (scale > 0: the maximum of raw scores is the maximum of the logits; scale = 1 when the scores
  // already are logits). A row whose maximum is still -inf subtracts 0 instead (FlashAttention's
  // Check_inf), so a fully masked row yields 0, not NaN.
  template <class Scores>
  __device__ __forceinline__ void update(Scores&& s, float scale, float (&alpha)[kRows]) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      float mx = m[r];
#pragma unroll
      for (int c = 0; c < kCols; ++c) mx = fmaxf(mx, s(r, c));
      mx = lanes_max<kLanes>(mx);
      const float ref = mx == -INFINITY ? 0.f : mx * scale;
      alpha[r] = ex(m[r] * scale - ref);
      m[r] = mx;
      float sum = 0.f;
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const float pv = ex(fmaf(s(r, c), scale, -ref));
        s(r, c) = pv;
        sum += pv;
      }
      l[r] = l[r] * alpha[r] + sum;
    }
  }

  // Row r's normalizer 1/l (0 for an empty row) and its natural-log LSE (empty: `empty_lse`).
  __device__ __forceinline__ void finalize(int r, float scale, float empty_lse, float& inv_l, float& lse) const {
    const float total = lanes_sum<kLanes>(l[r]);
    if (total > 0.f && m[r] != -INFINITY) {
      inv_l = 1.f / total;
      lse = kBase2 ? (m[r] * scale + log2f(total)) * 0.69314718055994531f : m[r] * scale + logf(total);
    } else {
      inv_l = 0.f;
      lse = empty_lse;
    }
  }
};

}  // namespace a4j
