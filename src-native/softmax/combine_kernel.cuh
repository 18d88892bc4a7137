// Split-KV merge (spec 0.4): for each query row, lse = log sum_s exp(lse_s) and
// o = sum_s exp(lse_s - lse) o_s, with the all-empty guard (every lse_s = -inf: out 0, lse +inf).
#pragma once

#include <cmath>

#include "flash_fwd_kernel.cuh"

namespace a4j {

constexpr int kCombineWarps = 4;
constexpr int kMaxSplits = 256;

// One warp per (b, h, i) row; rows are numbered like lse [B, H, Sq].
template <class Tout>
__global__ void __launch_bounds__(kCombineWarps * 32) combine_splits_kernel(const FwdParams p) {
  __shared__ float weights[kCombineWarps][kMaxSplits];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t nrows = static_cast<int64_t>(p.B) * p.H * p.Sq;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kCombineWarps + warp;
  if (row >= nrows) return;
  const int i = static_cast<int>(row % p.Sq);
  const int64_t bh = row / p.Sq;
  const int h = static_cast<int>(bh % p.H), b = static_cast<int>(bh / p.H);
  const int S = p.num_splits;

  float mx = -INFINITY;
  for (int s = lane; s < S; s += 32) mx = fmaxf(mx, p.ws_lse[s * nrows + row]);
  mx = lanes_max<32>(mx);
  float sum = 0.f;
  if (mx != -INFINITY) {
    for (int s = lane; s < S; s += 32) sum += expf(p.ws_lse[s * nrows + row] - mx);
  }
  sum = lanes_sum<32>(sum);
  const bool empty = !(mx != -INFINITY && sum > 0.f);  // also catches NaN
  const float lse = empty ? INFINITY : mx + logf(sum);
  for (int s = lane; s < S; s += 32) weights[warp][s] = empty ? 0.f : expf(p.ws_lse[s * nrows + row] - lse);
  __syncwarp();

  Tout* dst = static_cast<Tout*>(p.o) + b * p.o_sb + i * p.o_sr + h * p.o_sh;
  for (int col = lane; col < p.Dv; col += 32) {
    float acc = 0.f;
    for (int s = 0; s < S; ++s) {
      const float w = weights[warp][s];
      if (w != 0.f) acc = fmaf(w, p.ws_o[(s * nrows + row) * p.Dv + col], acc);
    }
    dst[col] = from_float<Tout>(acc);
  }
  if (lane == 0 && p.lse != nullptr) p.lse[row] = lse;
}

}  // namespace a4j
