// Exact fp32 softmax attention forward on FFMA (A4J_COMPUTE_EXACT), the same algorithm as
// flash_fwd_kernel.cuh in natural units with the accurate expf/tanhf: the result matches an fp64
// reference to about 1e-6 relative. Also serves fp32 split-KV decode.
#pragma once

#include "flash_fwd_kernel.cuh"

namespace a4j {

template <class KT>
__global__ void __launch_bounds__(KT::kNThreads) ffma_fwd_kernel(const FwdParams p) {
  constexpr int kBM = KT::kBlockM, kBN = KT::kBlockN, kHD = KT::kHeadDim;
  constexpr int kRM = KT::kRM, kRN = KT::kRN, kNC = KT::kNC, kPitch = KT::kPitch, kPP = KT::kPPitch;
  constexpr int kNT = KT::kNThreads;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  float* sQ = reinterpret_cast<float*>(smem_raw);
  float* sK = sQ + kBM * kPitch;
  float* sV = sK + kBN * kPitch;
  float* sP = sV + kBN * kPitch;

  if (p.num_splits > 1) grid_dependents_launch();  // the merge grid may be scheduled now (it waits)
  const int m_block = gridDim.x - 1 - blockIdx.x;
  const BlockInfo bi(p, m_block, kBM);
  int n_lo, n_hi, mask_below, mask_from;
  bi.tile_range(p, kBN, n_lo, n_hi);
  bi.mask_tiles(p, kBN, mask_below, mask_from);
  if (n_lo >= n_hi) {
    write_empty_tile<float, kNT>(p, bi);
    return;
  }

  const int tid = threadIdx.x, ty = tid >> 4, tx = tid & 15;
  const bool vec = p.vec_load != 0;
  const float* qbase = bi.q_base<float>(p);
  const float* kbase = bi.k_base<float>(p);
  const float* vbase = bi.v_base<float>(p);
  const int Sk_b = bi.Sk_b;

  load_tile<float, float, kBM, kHD, kPitch, kNT>(sQ, qbase, p.D, vec, [&](int r) -> int64_t {
    const int rr = bi.m0 + r;
    if (rr >= bi.row_end) return -1;
    return bi.row_query(p, rr) * p.q_sr + bi.row_head(p, rr) * p.q_sh;
  });
  auto kv_rows = [Sk_b](int n, int64_t stride) {
    return [=](int r) -> int64_t {
      const int j = n * kBN + r;
      return j < Sk_b ? j * stride : -1;
    };
  };
  load_tile<float, float, kBN, kHD, kPitch, kNT>(sK, kbase, p.D, vec, kv_rows(n_hi - 1, p.k_sr));
  cp_async_commit();

  int row_ip[kRM];
  float row_slope[kRM];
#pragma unroll
  for (int r = 0; r < kRM; ++r) {
    const int rr = min(bi.m0 + ty * kRM + r, p.M - 1);
    row_ip[r] = bi.row_query(p, rr) + bi.off;
    row_slope[r] = alibi_slope(p, bi.b, bi.row_head(p, rr));
  }

  float acc_o[kRM][kNC][4];
#pragma unroll
  for (int r = 0; r < kRM; ++r)
#pragma unroll
    for (int cc = 0; cc < kNC; ++cc)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[r][cc][e] = 0.f;
  OnlineSoftmax<kRM, kRN, 16, false> softmax;
  softmax.init();

  for (int n = n_hi - 1; n >= n_lo; --n) {
    cp_async_wait_all();
    __syncthreads();
    load_tile<float, float, kBN, kHD, kPitch, kNT>(sV, vbase, p.Dv, vec, kv_rows(n, p.v_sr));
    cp_async_commit();

    // S = Q K^T
    float s[kRM][kRN];
#pragma unroll
    for (int r = 0; r < kRM; ++r)
#pragma unroll
      for (int c = 0; c < kRN; ++c) s[r][c] = 0.f;
#pragma unroll 4
    for (int d = 0; d < kHD; d += 4) {
      float4 qv[kRM], kv[kRN];
#pragma unroll
      for (int r = 0; r < kRM; ++r) qv[r] = *reinterpret_cast<const float4*>(sQ + (ty * kRM + r) * kPitch + d);
#pragma unroll
      for (int c = 0; c < kRN; ++c) kv[c] = *reinterpret_cast<const float4*>(sK + (tx + 16 * c) * kPitch + d);
#pragma unroll
      for (int r = 0; r < kRM; ++r)
#pragma unroll
        for (int c = 0; c < kRN; ++c) {
          s[r][c] = fmaf(qv[r].x, kv[c].x, s[r][c]);
          s[r][c] = fmaf(qv[r].y, kv[c].y, s[r][c]);
          s[r][c] = fmaf(qv[r].z, kv[c].z, s[r][c]);
          s[r][c] = fmaf(qv[r].w, kv[c].w, s[r][c]);
        }
    }

    // Logits (natural units): softcap, ALiBi, then the mask (boundary tiles only).
    const bool need_mask = n < mask_below || n >= mask_from;
#pragma unroll
    for (int r = 0; r < kRM; ++r) {
      const KeyRange vis = key_range(p, Sk_b, row_ip[r]);
#pragma unroll
      for (int c = 0; c < kRN; ++c) {
        float x = p.has_softcap ? p.softcap * tanhf(s[r][c] * p.softcap_prescale) : s[r][c] * p.scale;
        const int j = n * kBN + tx + 16 * c;
        if (p.alibi != nullptr) x += row_slope[r] * alibi_distance(p, row_ip[r], j);
        if (need_mask && !vis.contains(j)) x = -INFINITY;
        s[r][c] = x;
      }
    }

    cp_async_wait_all();
    __syncthreads();
    if (n > n_lo) {
      load_tile<float, float, kBN, kHD, kPitch, kNT>(sK, kbase, p.D, vec, kv_rows(n - 1, p.k_sr));
      cp_async_commit();
    }

    float alpha[kRM];
    softmax.update([&](int r, int c) -> float& { return s[r][c]; }, 1.f, alpha);
#pragma unroll
    for (int r = 0; r < kRM; ++r)
#pragma unroll
      for (int c = 0; c < kRN; ++c) sP[(ty * kRM + r) * kPP + tx + 16 * c] = s[r][c];
    __syncwarp();  // a row's P is written and read by the 16 lanes of one half warp

#pragma unroll
    for (int r = 0; r < kRM; ++r)
#pragma unroll
      for (int cc = 0; cc < kNC; ++cc)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc_o[r][cc][e] *= alpha[r];

    // O += P V
#pragma unroll 2
    for (int j = 0; j < kBN; j += 4) {
      float4 pv[kRM];
#pragma unroll
      for (int r = 0; r < kRM; ++r) pv[r] = *reinterpret_cast<const float4*>(sP + (ty * kRM + r) * kPP + j);
#pragma unroll
      for (int jj = 0; jj < 4; ++jj) {
#pragma unroll
        for (int cc = 0; cc < kNC; ++cc) {
          const int col = cc * 64 + tx * 4;
          if ((cc + 1) * 64 <= kHD || col < kHD) {
            const float4 vv = *reinterpret_cast<const float4*>(sV + (j + jj) * kPitch + col);
#pragma unroll
            for (int r = 0; r < kRM; ++r) {
              const float pr = jj == 0 ? pv[r].x : jj == 1 ? pv[r].y : jj == 2 ? pv[r].z : pv[r].w;
              acc_o[r][cc][0] = fmaf(pr, vv.x, acc_o[r][cc][0]);
              acc_o[r][cc][1] = fmaf(pr, vv.y, acc_o[r][cc][1]);
              acc_o[r][cc][2] = fmaf(pr, vv.z, acc_o[r][cc][2]);
              acc_o[r][cc][3] = fmaf(pr, vv.w, acc_o[r][cc][3]);
            }
          }
        }
      }
    }
    __syncwarp();  // P reads done before the next tile overwrites it
  }

  const float empty_lse = p.num_splits > 1 ? -INFINITY : INFINITY;
#pragma unroll
  for (int r = 0; r < kRM; ++r) {
    float inv_l, lse;
    softmax.finalize(r, 1.f, empty_lse, inv_l, lse);
    const int rr = bi.m0 + ty * kRM + r;
    if (rr < bi.row_end) {
      const int i = bi.row_query(p, rr), h = bi.row_head(p, rr);
#pragma unroll
      for (int cc = 0; cc < kNC; ++cc) {
        const int col = cc * 64 + tx * 4;
        store_pair<float>(p, bi, i, h, col, acc_o[r][cc][0] * inv_l, acc_o[r][cc][1] * inv_l);
        store_pair<float>(p, bi, i, h, col + 2, acc_o[r][cc][2] * inv_l, acc_o[r][cc][3] * inv_l);
      }
      if (tx == 0) store_lse(p, bi, i, h, lse);
    }
  }
}

}  // namespace a4j
