// Split-KV decode for few query rows (bf16 / fp16, spec 1.5): the rows of one (batch, kv head) are
// the Sq * G <= 16 query rows of the heads that share it, against a long key range.
//
// FlashDecoding's shape of work. A CTA owns one split of one (batch, kv head); its 4 warps stream
// disjoint 16-key chunks of the split (chunk c goes to warp c % 4), each through its own ring of
// kStages shared-memory stages filled by cp.async, so there is no block barrier in the loop and
// every warp keeps its next chunks of K and V in flight while it computes on one. The general
// kernel (flash_fwd_kernel.cuh) waits for K, then for V, of every 64-key tile with a barrier
// each: two serialized memory round trips per tile, which is what bounded short decode steps.
// At the end the warps' online-softmax states merge through shared memory (spec 0.4), and the CTA
// writes its split partial (or, with one split, the output), exactly as the general kernel does.
#pragma once

#include "flash_fwd_kernel.cuh"
#include "accum_layout.cuh"
#include "tile_config.h"

namespace a4j {

template <class T, int kHeadDim_>
struct FlashDecodeTraits {
  using Tin = T;
  using Mma = MmaPolicy<T>;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kRows = 16;   // query rows (one m16 tile; Sq * G <= 16)
  static constexpr int kBlockM = kRows;
  static constexpr int kChunk = 16;  // keys per warp step
  static constexpr int kWarps = 4;
  static constexpr int kNThreads = kWarps * 32;
  // Stages per warp (tile_config.h).
  static constexpr int kStages = decode_rows16_stages(kHeadDim);
  static constexpr int kPitch = kHeadDim + 8;  // elements; one 16-byte chunk of padding per row
  static constexpr int kPitchBytes = kPitch * 2;
  static constexpr int kSmemQ = kRows * kPitchBytes;
  static constexpr int kSmemStage = 2 * kChunk * kPitchBytes;  // K then V
  static constexpr int kSmemWarp = kStages * kSmemStage;
  static constexpr int kSmemMerge = kWarps * kRows * kHeadDim * 4 + 2 * kWarps * kRows * 4;
  static constexpr int kSmem = kSmemQ + (kWarps * kSmemWarp > kSmemMerge ? kWarps * kSmemWarp : kSmemMerge);
  static constexpr int kSplitKeys = 64;  // the C layer splits the keys in tiles of 64 (tile_config.h)
  static_assert(kHeadDim % 32 == 0 && kHeadDim <= 256, "padded head dim");
};

template <int N>
__device__ __forceinline__ void cp_async_wait_n() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// The end of a few-rows decode CTA (every thread calls it, after the loop and a barrier that frees
// `rings`): the kWarps warps' online-softmax states merge through shared memory (spec 0.4; warps with
// has_state false, e.g. a producer warp, only help with the stores), then row r's total, lse and
// output (or split partial) are written by all nthreads threads.
template <class KT, class Softmax>
__device__ __forceinline__ void decode_merge_store(const FwdParams& p, const BlockInfo& bi, unsigned char* rings,
                                                   const Softmax& softmax, const float (&acc_o)[KT::kHeadDim / 8][4],
                                                   int warp, int g, int t, int tid, int nthreads, bool has_state) {
  using T = typename KT::Tin;
  constexpr int kHD = KT::kHeadDim, kW = KT::kWarps, kDB = kHD / 8;
  const float exp_scale = p.exp_scale;
  // Merge the warps (spec 0.4): row max m (log2 units, exp_scale applied) and sum l per warp, then
  // each warp's acc_o scaled by exp2(m_w - m) and summed.
  float* sO = reinterpret_cast<float*>(rings);         // [kW][kRows][kHD]
  float* sM = sO + kW * KT::kRows * kHD;                 // [kW][kRows]
  float* sL = sM + kW * KT::kRows;                       // [kW][kRows]
#pragma unroll
  for (int h = 0; h < 2 && has_state; ++h) {
    const float l = lanes_sum<4>(softmax.l[h]);
    const float m = softmax.m[h] == -INFINITY ? -INFINITY : softmax.m[h] * exp_scale;
    if (t == 0) {
      sM[warp * KT::kRows + g + 8 * h] = m;
      sL[warp * KT::kRows + g + 8 * h] = l;
    }
  }
  __syncthreads();
#pragma unroll
  for (int h = 0; h < 2 && has_state; ++h) {
    const int r = g + 8 * h;
    float mx = -INFINITY;
#pragma unroll
    for (int w = 0; w < kW; ++w) mx = fmaxf(mx, sM[w * KT::kRows + r]);
    const float mine = sM[warp * KT::kRows + r];
    const float f = (mx == -INFINITY || mine == -INFINITY) ? 0.f : fast_exp2(mine - mx);
#pragma unroll
    for (int d = 0; d < kDB; ++d) {
      float* dst = sO + (warp * KT::kRows + r) * kHD + d * 8 + 2 * t;
      dst[0] = acc_o[d][2 * h] * f;
      dst[1] = acc_o[d][2 * h + 1] * f;
    }
  }
  __syncthreads();

  // All threads: row r's total, lse and output (or split partial).
  const float empty_lse = p.num_splits > 1 ? -INFINITY : INFINITY;
  const int nrows = bi.row_end;  // m0 = 0
  for (int e = tid; e < nrows * p.Dv; e += nthreads) {
    const int r = e / p.Dv, col = e % p.Dv;
    float mx = -INFINITY;
#pragma unroll
    for (int w = 0; w < kW; ++w) mx = fmaxf(mx, sM[w * KT::kRows + r]);
    float l = 0.f, o = 0.f;
#pragma unroll
    for (int w = 0; w < kW; ++w) {
      const float mw = sM[w * KT::kRows + r];
      const float f = (mx == -INFINITY || mw == -INFINITY) ? 0.f : fast_exp2(mw - mx);
      l += sL[w * KT::kRows + r] * f;
      o += sO[(w * KT::kRows + r) * kHD + col];
    }
    const bool empty = !(mx != -INFINITY && l > 0.f);
    const float x = empty ? 0.f : o / l;
    const int i = bi.row_query(p, r), h = bi.row_head(p, r);
    if (p.num_splits > 1) {
      p.ws_o[ws_row(p, bi.split, bi.b, h, i) * p.Dv + col] = x;
    } else {
      static_cast<T*>(p.o)[bi.b * p.o_sb + i * p.o_sr + h * p.o_sh + col] = from_float<T>(x);
    }
    if (col == 0) {
      const float lse = empty ? empty_lse : (mx + log2f(l)) * 0.69314718055994531f;
      store_lse(p, bi, i, h, lse);
    }
  }
}

template <class KT>
__global__ void __launch_bounds__(KT::kNThreads) flash_decode_kernel(const FwdParams p) {
  using T = typename KT::Tin;
  using Mma = typename KT::Mma;
  constexpr int kHD = KT::kHeadDim, kC = KT::kChunk, kW = KT::kWarps, kST = KT::kStages;
  constexpr int kPitch = KT::kPitch, kPB = KT::kPitchBytes, kNT = KT::kNThreads, kDB = kHD / 8;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  unsigned char* rings = smem_raw + KT::kSmemQ;

  if (p.num_splits > 1) grid_dependents_launch();  // the merge grid may be scheduled now (it waits)
  const BlockInfo bi(p, 0, KT::kRows);
  int n_lo, n_hi;
  bi.tile_range(p, KT::kSplitKeys, n_lo, n_hi);
  // This split's 16-key chunks, cut to the keys that exist.
  const int c_lo = n_lo * (KT::kSplitKeys / kC);
  const int c_hi = min(n_hi * (KT::kSplitKeys / kC), (bi.Sk_b + kC - 1) / kC);
  if (c_lo >= c_hi) {
    write_empty_tile<T, kNT>(p, bi);
    return;
  }
  int mask_below, mask_from;
  bi.mask_tiles(p, kC, mask_below, mask_from);

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const bool vec = p.vec_load != 0;
  const T* qbase = bi.q_base<T>(p);
  const T* kbase = bi.k_base<T>(p);
  const T* vbase = bi.v_base<T>(p);
  const int Sk_b = bi.Sk_b;

  // Q (all warps), then each warp's first chunks.
  load_tile<T, T, KT::kRows, kHD, kPitch, kNT>(sQ, qbase, p.D, vec, [&](int r) -> int64_t {
    if (r >= bi.row_end) return -1;
    return bi.row_query(p, r) * p.q_sr + bi.row_head(p, r) * p.q_sh;
  });
  cp_async_commit();
  T* ring = reinterpret_cast<T*>(rings + warp * KT::kSmemWarp);
  auto stage_k = [&](int s) { return ring + s * (KT::kSmemStage / 2); };
  auto stage_v = [&](int s) { return ring + s * (KT::kSmemStage / 2) + kC * kPitch; };
  auto load_chunk = [&](int c, int s) {
    auto rows = [=](int64_t stride) {
      return [=](int r) -> int64_t {
        const int j = c * kC + r;
        return j < Sk_b ? j * stride : -1;
      };
    };
    load_tile_by<T, T, kC, kHD, kPitch, 32>(lane, stage_k(s), kbase, p.D, vec, rows(p.k_sr));
    load_tile_by<T, T, kC, kHD, kPitch, 32>(lane, stage_v(s), vbase, p.Dv, vec, rows(p.v_sr));
  };
  // This warp's chunks: c_lo + warp, + kW, ...; stage i % kST holds its i-th chunk.
  const int my_first = c_lo + warp;
  const int my_count = my_first < c_hi ? (c_hi - my_first + kW - 1) / kW : 0;
#pragma unroll
  for (int i = 0; i < kST - 1; ++i) {
    if (i < my_count) load_chunk(my_first + i * kW, i);
    cp_async_commit();  // (empty groups keep the wait counts uniform)
  }
  cp_async_wait_n<kST - 1>();  // Q landed (this thread's part)
  __syncthreads();             // ... every thread's part

  const uint32_t sQa = smem_addr(sQ) + (lane & 15) * kPB + (lane >> 4) * 16;
  const uint32_t kOff = ((lane & 7) + (lane >> 4) * 8) * kPB + ((lane >> 3) & 1) * 16;
  const uint32_t vOff = ((lane & 7) + ((lane >> 3) & 1) * 8) * kPB + (lane >> 4) * 16;
  const float exp_scale = p.exp_scale;

  float acc_o[kDB][4];
#pragma unroll
  for (int d = 0; d < kDB; ++d)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc_o[d][e] = 0.f;
  OnlineSoftmax<2, 4, 4, true> softmax;
  softmax.init();

  for (int i = 0; i < my_count; ++i) {
    const int s = i % kST;
    // Refill the stage freed last step, then wait for chunk i (kST - 1 newer groups may fly).
    if (i + kST - 1 < my_count) load_chunk(my_first + (i + kST - 1) * kW, (i + kST - 1) % kST);
    cp_async_commit();
    cp_async_wait_n<kST - 1>();
    __syncwarp();
    const int c = my_first + i * kW;

    float sc[8];  // m16n8 accumulators of the two 8-key blocks: sc[4 nb + 2 h + e]
#pragma unroll
    for (int e = 0; e < 8; ++e) sc[e] = 0.f;
    const uint32_t sKa = smem_addr(stage_k(s)) + kOff;
#pragma unroll
    for (int ks = 0; ks < kHD / 16; ++ks) {
      uint32_t a[4], bb[4];
      ldmatrix_x4(a, sQa + ks * 32);
      ldmatrix_x4(bb, sKa + ks * 32);
      Mma::mma(*reinterpret_cast<float(*)[4]>(&sc[0]), a, bb[0], bb[1]);
      Mma::mma(*reinterpret_cast<float(*)[4]>(&sc[4]), a, bb[2], bb[3]);
    }
    m16n8_logits<kC>(p, bi, sc, c, g, t, mask_below, mask_from);
    float alpha[2];
    softmax.update([&](int r, int col) -> float& { return sc[(col >> 1) * 4 + 2 * r + (col & 1)]; }, exp_scale, alpha);
#pragma unroll
    for (int d = 0; d < kDB; ++d)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[d][e] *= alpha[e >> 1];
    uint32_t pa[1][4];
    m16n8_pack_p<T, kC>(sc, pa);
    const uint32_t sVa = smem_addr(stage_v(s)) + vOff;
#pragma unroll
    for (int dp = 0; dp < kHD / 16; ++dp) {
      uint32_t bb[4];
      ldmatrix_x4_trans(bb, sVa + dp * 32);
      Mma::mma(acc_o[2 * dp], pa[0], bb[0], bb[1]);
      Mma::mma(acc_o[2 * dp + 1], pa[0], bb[2], bb[3]);
    }
    __syncwarp();  // every lane is done with stage s before it is refilled
  }
  cp_async_wait_n<0>();
  __syncthreads();  // the rings become the merge buffer

  decode_merge_store<KT>(p, bi, rings, softmax, acc_o, warp, g, t, tid, kNT, true);
}

}  // namespace a4j
