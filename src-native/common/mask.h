// The visibility rule and the ALiBi bias, written once (spec 1.2, 1.3, 2.1).
#pragma once

#include "../softmax/params.h"

namespace a4j {

// Key j (re-indexed into the batch's range) is visible to the query at key position ip = i + off.
__device__ __forceinline__ bool key_visible(const FwdParams& p, int Sk_b, int ip, int j) {
  return j < Sk_b && j >= ip - p.wl && j <= ip + p.wr;
}

// ALiBi bias in units of the slope: +j (causal) or -|ip - j| (otherwise).
__device__ __forceinline__ float alibi_distance(const FwdParams& p, int ip, int j) {
  return p.alibi_causal ? static_cast<float>(j) : -static_cast<float>(abs(ip - j));
}

__device__ __forceinline__ float alibi_slope(const FwdParams& p, int b, int h) {
  return p.alibi ? p.alibi[b * p.alibi_sb + h] : 0.f;
}

}  // namespace a4j
