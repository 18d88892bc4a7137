// Tensor-core softmax attention forward (FlashAttention-2 scheme, spec 1.6), also used by split-KV
// decode (num_splits > 1 writes partial results for the combine kernel).
//
// Per CTA: one tile of kBlockM query rows of one (batch, head group); stream the band of K/V
// tiles that the rows can see, last tile first:
//     S = Q K^T (fp32) ; logits (scale, softcap, ALiBi, mask) in log2 units ;
//     online softmax (m, l) ; O = O * alpha + P V   (P cast to the MMA type)
// then O / l and lse = (m + log2 l) ln 2.
#pragma once

#include <cmath>

#include "../common/block_info.h"
#include "../common/mask.h"
#include "../common/online_softmax.h"
#include "../common/tile.h"
#include "kernel_traits.h"
#include "params.h"

namespace a4j {

constexpr float kLog2e = 1.4426950408889634f;

// ---------------------------------------------------------------------------------------------
// Output addressing shared by the kernels
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ int64_t lse_index(const FwdParams& p, int b, int h, int i) {
  return (static_cast<int64_t>(b) * p.H + h) * p.Sq + i;
}
__device__ __forceinline__ int64_t ws_row(const FwdParams& p, int split, int b, int h, int i) {
  return ((static_cast<int64_t>(split) * p.B + b) * p.H + h) * p.Sq + i;
}

// Row `rr` of the tile: store columns [col, col+1) (pair, when col+1 < Dv) of the final output or
// of the split partial. `x0, x1` are already normalized.
template <class Tout>
__device__ __forceinline__ void store_pair(const FwdParams& p, const BlockInfo& bi, int i, int h, int col, float x0,
                                           float x1) {
  if (col >= p.Dv) return;
  if (p.num_splits > 1) {
    float* dst = p.ws_o + ws_row(p, bi.split, bi.b, h, i) * p.Dv + col;
    dst[0] = x0;
    if (col + 1 < p.Dv) dst[1] = x1;
  } else {
    Tout* dst = static_cast<Tout*>(p.o) + bi.b * p.o_sb + i * p.o_sr + h * p.o_sh + col;
    if (p.vec_store) {  // Dv even and pair-aligned rows
      if constexpr (sizeof(Tout) == 4) {
        *reinterpret_cast<float2*>(dst) = make_float2(x0, x1);
      } else {
        *reinterpret_cast<uint32_t*>(dst) = pack2<Tout>(x0, x1);
      }
    } else {
      dst[0] = from_float<Tout>(x0);
      if (col + 1 < p.Dv) dst[1] = from_float<Tout>(x1);
    }
  }
}

__device__ __forceinline__ void store_lse(const FwdParams& p, const BlockInfo& bi, int i, int h, float lse) {
  if (p.num_splits > 1) {
    p.ws_lse[ws_row(p, bi.split, bi.b, h, i)] = lse;
  } else if (p.lse) {
    p.lse[lse_index(p, bi.b, h, i)] = lse;
  }
}

// A tile whose rows see no key (or a split that owns no visible tile): output 0, lse +inf
// (split partials: lse -inf, so the merge gives them weight 0).
template <class Tout, int kNThreads>
__device__ void write_empty_tile(const FwdParams& p, const BlockInfo& bi) {
  const int nrows = bi.row_end - bi.m0;
  const float empty_lse = p.num_splits > 1 ? -INFINITY : INFINITY;
  for (int e = threadIdx.x; e < nrows * p.Dv; e += kNThreads) {
    const int rr = bi.m0 + e / p.Dv, col = e % p.Dv;
    const int i = bi.row_query(p, rr), h = bi.row_head(p, rr);
    if (p.num_splits > 1) {
      p.ws_o[ws_row(p, bi.split, bi.b, h, i) * p.Dv + col] = 0.f;
    } else {
      static_cast<Tout*>(p.o)[bi.b * p.o_sb + i * p.o_sr + h * p.o_sh + col] = from_float<Tout>(0.f);
    }
  }
  for (int r = threadIdx.x; r < nrows; r += kNThreads) {
    const int rr = bi.m0 + r;
    store_lse(p, bi, bi.row_query(p, rr), bi.row_head(p, rr), empty_lse);
  }
}

// ---------------------------------------------------------------------------------------------
// The kernel
// ---------------------------------------------------------------------------------------------
template <class KT>
__global__ void __launch_bounds__(KT::kNThreads) flash_fwd_kernel(const FwdParams p) {
  using Tin = typename KT::Tin;
  using Tc = typename KT::Tc;
  using Mma = typename KT::Mma;
  constexpr int kBM = KT::kBlockM, kBN = KT::kBlockN, kHD = KT::kHeadDim;
  constexpr int kMW = KT::kMW, kNB = KT::kNB, kDB = KT::kDB, kPB = KT::kPitchBytes;
  constexpr int kNT = KT::kNThreads;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  Tc* sQ = reinterpret_cast<Tc*>(smem_raw);
  Tc* sK = reinterpret_cast<Tc*>(smem_raw + KT::kSmemQ);
  Tc* sV = reinterpret_cast<Tc*>(smem_raw + KT::kSmemQ + KT::kSmemKV);

  if (p.num_splits > 1) grid_dependents_launch();  // the merge grid may be scheduled now (it waits)
  const int m_block = gridDim.x - 1 - blockIdx.x;  // heaviest (last, under causal) tiles first
  const BlockInfo bi(p, m_block, kBM);
  int n_lo, n_hi, mask_below, mask_from;
  bi.tile_range(p, kBN, n_lo, n_hi);
  bi.mask_tiles(p, kBN, mask_below, mask_from);
  if (n_lo >= n_hi) {
    write_empty_tile<Tin, kNT>(p, bi);
    return;
  }

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const bool vec = p.vec_load != 0;
  const Tin* qbase = bi.q_base<Tin>(p);
  const Tin* kbase = bi.k_base<Tin>(p);
  const Tin* vbase = bi.v_base<Tin>(p);
  const int Sk_b = bi.Sk_b;

  // Q tile and the first K tile.
  load_tile<Tin, Tc, kBM, kHD, KT::kPitch, kNT>(sQ, qbase, p.D, vec, [&](int r) -> int64_t {
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
  load_tile<Tin, Tc, kBN, kHD, KT::kPitch, kNT>(sK, kbase, p.D, vec, kv_rows(n_hi - 1, p.k_sr));
  cp_async_commit();

  // This thread's rows: (mt, hr) -> tile row warp*16*kMW + mt*16 + g + 8*hr.
  const int warp_row0 = warp * 16 * kMW;
  const bool warp_active = bi.m0 + warp_row0 < bi.row_end;
  // Plain logits (no softcap, no ALiBi, positive scale): the row maximum is taken on the raw
  // scores and the scale is folded into the exponent, exp2(s * scale_log2 - m * scale_log2) (one
  // FFMA); otherwise the scores are turned into log2-unit logits first (exp_scale = 1).
  // (p.plain_logits and p.exp_scale are set by the C layer: kernel parameters, no registers.)
  const bool plain = p.plain_logits != 0;
  const float exp_scale = p.exp_scale;

  // Per-lane ldmatrix addresses (see tile.h for the fragment layouts).
  const uint32_t sQa = smem_addr(sQ) + (warp_row0 + (lane & 15)) * kPB + (lane >> 4) * 16;
  const uint32_t sKa = smem_addr(sK) + ((lane & 7) + (lane >> 4) * 8) * kPB + ((lane >> 3) & 1) * 16;
  const uint32_t sVa = smem_addr(sV) + ((lane & 7) + ((lane >> 3) & 1) * 8) * kPB + (lane >> 4) * 16;

  float acc_o[kMW][kDB][4];
#pragma unroll
  for (int mt = 0; mt < kMW; ++mt)
#pragma unroll
    for (int db = 0; db < kDB; ++db)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[mt][db][e] = 0.f;
  OnlineSoftmax<kMW * 2, kNB * 2, 4, true> softmax;
  softmax.init();

  for (int n = n_hi - 1; n >= n_lo; --n) {
    cp_async_wait_all();
    __syncthreads();  // K(n) landed; every warp is done with V(n+1)
    load_tile<Tin, Tc, kBN, kHD, KT::kPitch, kNT>(sV, vbase, p.Dv, vec, kv_rows(n, p.v_sr));
    cp_async_commit();

    float acc_s[kMW][kNB][4];
#pragma unroll
    for (int mt = 0; mt < kMW; ++mt)
#pragma unroll
      for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc_s[mt][nb][e] = 0.f;

    if (warp_active) {
      // S = Q K^T
#pragma unroll(KT::kQKUnroll)
      for (int ks = 0; ks < kHD / Mma::kK; ++ks) {
        uint32_t a[kMW][4];
#pragma unroll
        for (int mt = 0; mt < kMW; ++mt) {
          ldmatrix_x4(a[mt], sQa + mt * 16 * kPB + ks * 32);
          if constexpr (Mma::kIsTf32) {
#pragma unroll
            for (int e = 0; e < 4; ++e) a[mt][e] = to_tf32_bits(a[mt][e]);
          }
        }
#pragma unroll
        for (int nbp = 0; nbp < kNB / 2; ++nbp) {
          uint32_t bb[4];
          ldmatrix_x4(bb, sKa + nbp * 16 * kPB + ks * 32);
          if constexpr (Mma::kIsTf32) {
#pragma unroll
            for (int e = 0; e < 4; ++e) bb[e] = to_tf32_bits(bb[e]);
          }
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt) {
            Mma::mma(acc_s[mt][2 * nbp], a[mt], bb[0], bb[1]);
            Mma::mma(acc_s[mt][2 * nbp + 1], a[mt], bb[2], bb[3]);
          }
        }
      }

      // Logits: softcap (before bias and mask), ALiBi, then the mask (boundary tiles only).
      if (!plain) {
        if (p.has_softcap) {
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt)
#pragma unroll
            for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
              for (int e = 0; e < 4; ++e)
                acc_s[mt][nb][e] = tanh_from_exp2(acc_s[mt][nb][e] * p.softcap_prescale2) * p.softcap_log2;
        } else {
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt)
#pragma unroll
            for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
              for (int e = 0; e < 4; ++e) acc_s[mt][nb][e] *= p.scale_log2;
        }
        if (p.alibi != nullptr) {
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt) {
#pragma unroll
            for (int hr = 0; hr < 2; ++hr) {
              const int rr = min(bi.m0 + warp_row0 + mt * 16 + g + 8 * hr, p.M - 1);
              const int ip = bi.row_query(p, rr) + bi.off;
              const float slope2 = alibi_slope(p, bi.b, bi.row_head(p, rr)) * kLog2e;
#pragma unroll
              for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
                for (int e = 0; e < 2; ++e)
                  acc_s[mt][nb][2 * hr + e] += slope2 * alibi_distance(p, ip, n * kBN + nb * 8 + 2 * t + e);
            }
          }
        }
      }
      if (n < mask_below || n >= mask_from) {
        // Row r sees keys [lo, hi): one unsigned compare per element, no branches.
#pragma unroll
        for (int mt = 0; mt < kMW; ++mt) {
#pragma unroll
          for (int hr = 0; hr < 2; ++hr) {
            const int rr = min(bi.m0 + warp_row0 + mt * 16 + g + 8 * hr, p.M - 1);
            const int ip = bi.row_query(p, rr) + bi.off;
            const KeyRange vis = key_range(p, Sk_b, ip);
#pragma unroll
            for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
              for (int e = 0; e < 2; ++e)
                if (!vis.contains(n * kBN + nb * 8 + 2 * t + e)) acc_s[mt][nb][2 * hr + e] = -INFINITY;
          }
        }
      }
    }

    cp_async_wait_all();
    __syncthreads();  // V(n) landed; every warp is done with K(n)
    float alpha[kMW * 2];
    if (warp_active) {
      softmax.update([&](int r, int c) -> float& { return acc_s[r >> 1][c >> 1][(r & 1) * 2 + (c & 1)]; },
                     exp_scale, alpha);
    }
    // The next K load is issued after the softmax (it still overlaps P V): issuing it while the
    // fp32 scores are live made ptxas spill (ptxas -v, sm_90a).
    if (n > n_lo) {
      load_tile<Tin, Tc, kBN, kHD, KT::kPitch, kNT>(sK, kbase, p.D, vec, kv_rows(n - 1, p.k_sr));
      cp_async_commit();
    }

    if (warp_active) {
#pragma unroll
      for (int mt = 0; mt < kMW; ++mt)
#pragma unroll
        for (int db = 0; db < kDB; ++db)
#pragma unroll
          for (int e = 0; e < 4; ++e) acc_o[mt][db][e] *= alpha[mt * 2 + (e >> 1)];

      // O += P V
      if constexpr (!Mma::kIsTf32) {
#pragma unroll
        for (int ks = 0; ks < kBN / 16; ++ks) {
          uint32_t a[kMW][4];
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt) {
            a[mt][0] = pack2<Tc>(acc_s[mt][2 * ks][0], acc_s[mt][2 * ks][1]);
            a[mt][1] = pack2<Tc>(acc_s[mt][2 * ks][2], acc_s[mt][2 * ks][3]);
            a[mt][2] = pack2<Tc>(acc_s[mt][2 * ks + 1][0], acc_s[mt][2 * ks + 1][1]);
            a[mt][3] = pack2<Tc>(acc_s[mt][2 * ks + 1][2], acc_s[mt][2 * ks + 1][3]);
          }
#pragma unroll
          for (int dp = 0; dp < kHD / 16; ++dp) {
            uint32_t bb[4];
            ldmatrix_x4_trans(bb, sVa + ks * 16 * kPB + dp * 32);
#pragma unroll
            for (int mt = 0; mt < kMW; ++mt) {
              Mma::mma(acc_o[mt][2 * dp], a[mt], bb[0], bb[1]);
              Mma::mma(acc_o[mt][2 * dp + 1], a[mt], bb[2], bb[3]);
            }
          }
        }
      } else {
        // TF32 m16n8k8: k index t <-> key 2t, k index t+4 <-> key 2t+1 of each 8-key block, so the
        // S accumulator is already the A fragment and V is read with plain 32-bit loads.
        const float* sVf = reinterpret_cast<const float*>(sV);
#pragma unroll
        for (int ks = 0; ks < kBN / 8; ++ks) {
          uint32_t a[kMW][4];
#pragma unroll
          for (int mt = 0; mt < kMW; ++mt) {
            a[mt][0] = to_tf32(acc_s[mt][ks][0]);
            a[mt][1] = to_tf32(acc_s[mt][ks][2]);
            a[mt][2] = to_tf32(acc_s[mt][ks][1]);
            a[mt][3] = to_tf32(acc_s[mt][ks][3]);
          }
          const float* v0 = sVf + (ks * 8 + 2 * t) * KT::kPitch + g;
#pragma unroll
          for (int db = 0; db < kDB; ++db) {
            const uint32_t b0 = to_tf32(v0[db * 8]);
            const uint32_t b1 = to_tf32(v0[KT::kPitch + db * 8]);
#pragma unroll
            for (int mt = 0; mt < kMW; ++mt) Mma::mma(acc_o[mt][db], a[mt], b0, b1);
          }
        }
      }
    }
  }

  // Epilogue: O / l, lse. Final outputs of the 16-bit and tf32 paths go through shared memory
  // (the Q tile, no longer read) so that global stores are whole 16-byte chunks.
  const float empty_lse = p.num_splits > 1 ? -INFINITY : INFINITY;
  constexpr bool kStageO = sizeof(Tin) == sizeof(Tc);
  const bool stage_o = kStageO && p.num_splits == 1;
#pragma unroll
  for (int mt = 0; mt < kMW; ++mt) {
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      float inv_l, lse;
      softmax.finalize(mt * 2 + hr, exp_scale, empty_lse, inv_l, lse);
      const int r_local = warp_row0 + mt * 16 + g + 8 * hr;
      const int rr = bi.m0 + r_local;
      if (stage_o) {
        // The last barrier of the loop ordered every warp's last read of sQ before this.
        if constexpr (kStageO) {
#pragma unroll
          for (int db = 0; db < kDB; ++db) {
            Tc* dst = sQ + r_local * KT::kPitch + db * 8 + 2 * t;
            const float x0 = acc_o[mt][db][2 * hr] * inv_l, x1 = acc_o[mt][db][2 * hr + 1] * inv_l;
            if constexpr (sizeof(Tc) == 4) {
              *reinterpret_cast<float2*>(dst) = make_float2(x0, x1);
            } else {
              *reinterpret_cast<uint32_t*>(dst) = pack2<Tc>(x0, x1);
            }
          }
        }
        if (warp_active && rr < bi.row_end && t == 0) store_lse(p, bi, bi.row_query(p, rr), bi.row_head(p, rr), lse);
      } else if (warp_active && rr < bi.row_end) {
        const int i = bi.row_query(p, rr), h = bi.row_head(p, rr);
#pragma unroll
        for (int db = 0; db < kDB; ++db) {
          store_pair<Tin>(p, bi, i, h, db * 8 + 2 * t, acc_o[mt][db][2 * hr] * inv_l,
                          acc_o[mt][db][2 * hr + 1] * inv_l);
        }
        if (t == 0) store_lse(p, bi, i, h, lse);
      }
    }
  }
  if constexpr (kStageO) {
    if (stage_o) {
      __syncthreads();
      constexpr int kEpc = KT::kEpc, kCpr = kHD / kEpc;
      const int nrows = bi.row_end - bi.m0;
      if (p.vec_store16) {
        const int cpr = (p.Dv + kEpc - 1) / kEpc;  // Dv is a multiple of kEpc here
        for (int c = tid; c < nrows * kCpr; c += kNT) {
          const int r = c / kCpr, cc = c % kCpr;
          if (cc >= cpr) continue;
          const int rr = bi.m0 + r;
          Tin* dst = static_cast<Tin*>(p.o) + bi.b * p.o_sb + bi.row_query(p, rr) * p.o_sr +
                     bi.row_head(p, rr) * p.o_sh + cc * kEpc;
          *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(sQ + r * KT::kPitch + cc * kEpc);
        }
      } else {
        for (int e = tid; e < nrows * p.Dv; e += kNT) {
          const int r = e / p.Dv, col = e % p.Dv;
          const int rr = bi.m0 + r;
          Tin* dst = static_cast<Tin*>(p.o) + bi.b * p.o_sb + bi.row_query(p, rr) * p.o_sr +
                     bi.row_head(p, rr) * p.o_sh + col;
          *dst = sQ[r * KT::kPitch + col];
        }
      }
    }
  }
}

}  // namespace a4j
