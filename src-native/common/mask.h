// The visibility rule and the ALiBi bias, written once (spec 1.2, 1.3, 2.1).
#pragma once

#include "../softmax/params.h"

namespace a4j {

// The keys visible to the query at key position ip = i + off (keys re-indexed into the batch's
// range): j in [lo, lo + len), lo = max(0, ip - wl), hi = min(Sk_b, ip + wr + 1). Unbounded sides
// hold kUnbounded, so no flags. contains() is one unsigned compare (negative j - lo wraps high).
struct KeyRange {
  int lo, len;
  __device__ __forceinline__ bool contains(int j) const {
    return static_cast<unsigned>(j - lo) < static_cast<unsigned>(len);
  }
};
__device__ __forceinline__ KeyRange key_range(const FwdParams& p, int Sk_b, int ip) {
  const int lo = max(0, ip - p.wl);
  return KeyRange{lo, max(0, min(Sk_b, ip + p.wr + 1) - lo)};
}

// ALiBi bias in units of the slope: +j (causal) or -|ip - j| (otherwise).
__device__ __forceinline__ float alibi_distance(const FwdParams& p, int ip, int j) {
  return p.alibi_causal ? static_cast<float>(j) : -static_cast<float>(abs(ip - j));
}

__device__ __forceinline__ float alibi_slope(const FwdParams& p, int b, int h) {
  return p.alibi ? p.alibi[b * p.alibi_sb + h] : 0.f;
}

}  // namespace a4j
