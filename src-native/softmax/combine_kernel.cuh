// Split-KV merge (spec 0.4): for each query row, lse = log sum_s exp(lse_s) and
// o = sum_s exp(lse_s - lse) o_s, with the all-empty guard (every lse_s = -inf: out 0, lse +inf).
#pragma once

#include <cmath>

#include "flash_fwd_kernel.cuh"

namespace a4j {

constexpr int kCombineWarps = 4;
constexpr int kMaxSplits = 256;

// One CTA per (b, h, i) row (rows numbered like lse [B, H, Sq]): warp 0 reduces the split lse's and
// writes the split weights to shared memory, then warp w merges the splits
// s = w, w + 4, ... in batches of kBatch whose loads are all issued before any is used, so a
// batch costs one memory round trip (a loop that consumed each split's loads before issuing the
// next split's cost one round trip per split: 0.65 us each, ncu, 2026-11-24). The four warps'
// sums meet in shared memory.
template <class Tout>
__global__ void __launch_bounds__(kCombineWarps * 32) combine_splits_kernel(const FwdParams p) {
  constexpr int kMaxChunks = 8;  // Dv <= 256: lane l owns columns l + 32 c
  constexpr int kBatch = 4;
  __shared__ float part[kCombineWarps][kMaxChunks * 32];
  __shared__ float weights[kMaxSplits];
  grid_dependency_wait();
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t nrows = static_cast<int64_t>(p.B) * p.H * p.Sq;
  const int64_t row = blockIdx.x;
  const int i = static_cast<int>(row % p.Sq);
  const int64_t bh = row / p.Sq;
  const int h = static_cast<int>(bh % p.H), b = static_cast<int>(bh / p.H);
  const int S = p.num_splits;

  // Warp 0: the row's lse from the split lse's (S <= 256: 8 per lane, read once) and the splits'
  // weights exp(lse_s - lse), for every warp, in shared memory.
  float lse = INFINITY;
  if (warp == 0) {
    float ls[kMaxSplits / 32];
#pragma unroll
    for (int k = 0; k < kMaxSplits / 32; ++k) {
      const int s = lane + 32 * k;
      ls[k] = s < S ? __ldcg(p.ws_lse + s * nrows + row) : -INFINITY;
    }
    float mx = -INFINITY;
#pragma unroll
    for (int k = 0; k < kMaxSplits / 32; ++k) mx = fmaxf(mx, ls[k]);
    mx = lanes_max<32>(mx);
    float sum = 0.f;
    if (mx != -INFINITY) {
#pragma unroll
      for (int k = 0; k < kMaxSplits / 32; ++k) sum += ls[k] == -INFINITY ? 0.f : expf(ls[k] - mx);
    }
    sum = lanes_sum<32>(sum);
    const bool empty = !(mx != -INFINITY && sum > 0.f);  // also catches NaN
    lse = empty ? INFINITY : mx + logf(sum);
#pragma unroll
    for (int k = 0; k < kMaxSplits / 32; ++k) {
      const int s = lane + 32 * k;
      if (s < S) weights[s] = (empty || ls[k] == -INFINITY) ? 0.f : expf(ls[k] - lse);
    }
  }
  __syncthreads();

  const int64_t split_stride = nrows * p.Dv;
  const float* src = p.ws_o + row * p.Dv + lane;
  float acc[kMaxChunks];
#pragma unroll
  for (int c = 0; c < kMaxChunks; ++c) acc[c] = 0.f;
  for (int s0 = warp; s0 < S; s0 += kCombineWarps * kBatch) {
    float x[kBatch][kMaxChunks];
    float w[kBatch];
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      const int s = s0 + j * kCombineWarps;
      const bool ok = s < S;
      w[j] = ok ? weights[s] : 0.f;
#pragma unroll
      for (int c = 0; c < kMaxChunks; ++c)
        x[j][c] = (ok && lane + 32 * c < p.Dv) ? __ldcg(src + s * split_stride + 32 * c) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < kBatch; ++j)
#pragma unroll
      for (int c = 0; c < kMaxChunks; ++c) acc[c] += w[j] != 0.f ? w[j] * x[j][c] : 0.f;
  }
#pragma unroll
  for (int c = 0; c < kMaxChunks; ++c) part[warp][lane + 32 * c] = acc[c];
  __syncthreads();
  Tout* dst = static_cast<Tout*>(p.o) + b * p.o_sb + i * p.o_sr + h * p.o_sh;
  for (int col = threadIdx.x; col < p.Dv; col += kCombineWarps * 32) {
    float o = 0.f;
#pragma unroll
    for (int ww = 0; ww < kCombineWarps; ++ww) o += part[ww][col];
    dst[col] = from_float<Tout>(o);
  }
  if (threadIdx.x == 0 && p.lse != nullptr) p.lse[row] = lse;
}

}  // namespace a4j
