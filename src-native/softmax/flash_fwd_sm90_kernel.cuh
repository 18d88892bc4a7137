// Hopper (sm_90a) softmax attention forward on warpgroup MMA (wgmma), bf16 / fp16, head dims that
// are multiples of 64. Same algorithm and semantics as flash_fwd_kernel.cuh (spec 1.6); what
// changes is the matrix engine and the shared-memory layout:
//  - CTA = 2 warpgroups (256 threads), Q tile of 128 rows (64 per warpgroup), K/V tiles of
//    kBlockN keys, double-buffered (cp.async, one tile ahead).
//  - S = Q K^T: wgmma m64nBNk16 with A (Q) and B (K) from shared memory, both K-major.
//  - O += P V: wgmma m64nHDk16 with A = P from registers (the S accumulator, cast to 16 bits:
//    the wgmma accumulator and register-A layouts are the m16n8 ones per warp) and B = V from
//    shared memory, MN-major.
//  - Tiles are stored as column blocks of 64 elements, 128-byte rows, 128-byte swizzle (16-byte
//    chunk c of row r at chunk c ^ (r % 8)), 1024-byte aligned: the canonical wgmma layout, and
//    conflict-free for the 16-byte cp.async writes.
// Compiled to a real kernel only for sm_90a; elsewhere the body is empty and the host never
// launches it (softmax_api.cpp checks the device and the build).
#pragma once

#include "../common/tma.h"
#include "../common/wgmma.h"
#include "accum_layout.cuh"
#include "flash_fwd_kernel.cuh"

namespace a4j {

// kBlockM_: Q rows per CTA, 64 per consumer warpgroup (128: 2 warpgroups; 192: 3, for D = 64,
// where one K/V tile then feeds 1.5x the MMA work and a third warpgroup hides softmax latency).
// kMinBlocks_: CTAs per SM the register budget must allow (2: a CTA's prologue and epilogue overlap
// another CTA's loop, at most 128 registers a thread).
template <class T, int kHeadDim_, int kBlockN_, int kBlockM_ = 128, int kMinBlocks_ = 1>
struct FlashFwdSm90Traits {
  using Tin = T;
  using Tc = T;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kBlockM = kBlockM_;
  static constexpr int kBlockN = kBlockN_;
  static constexpr int kNThreads = kBlockM / 64 * 128;
  static constexpr int kMinBlocks = kMinBlocks_;
  static constexpr int kTileQ = kBlockM * kHeadDim * 2;
  static constexpr int kTileKV = kBlockN * kHeadDim * 2;
  static constexpr int kSmem = kTileQ + 4 * kTileKV + 1024;  // + alignment slack
  static_assert(kHeadDim % 64 == 0 && kBlockN % 16 == 0 && kBlockN <= 256 && kHeadDim <= 256, "sm90 tile");
  static_assert(kBlockM % 64 == 0 && kBlockM <= 256, "one warpgroup per 64 Q rows");
};

// Byte offset of the 16-byte chunk cc (columns 8cc..8cc+7) of row r in a 128B-swizzled tile of `rows` rows.
__device__ __forceinline__ uint32_t sw128_chunk(int r, int cc, int rows) {
  return static_cast<uint32_t>((cc >> 3) * (rows * 128) + r * 128 + (((cc & 7) ^ (r & 7)) << 4));
}

// wgmma shared-memory descriptor, 128-byte swizzle (base offset 0: atoms are 1024-byte aligned).
__device__ __forceinline__ uint64_t sw128_desc(uint32_t saddr, uint32_t lbo_bytes, uint32_t sbo_bytes) {
  return static_cast<uint64_t>((saddr & 0x3FFFF) >> 4) | (static_cast<uint64_t>((lbo_bytes >> 4) & 0x3FFF) << 16) |
         (static_cast<uint64_t>((sbo_bytes >> 4) & 0x3FFF) << 32) | (1ull << 62);
}

__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_1() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_2() { asm volatile("cp.async.wait_group 2;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait_1() { asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void fence_uregs(uint32_t (&r)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) asm volatile("" : "+r"(r[i][j])::"memory");
}
// Keeps the compiler from moving register accesses across an asynchronous MMA.
template <int N>
__device__ __forceinline__ void fence_regs(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}

// [ROWS x HD] tile, 16-bit, into the swizzled layout; rows with row_off < 0 and columns >= ncols
// are zero-filled. vec: whole 16-byte chunks (cp.async); otherwise element by element.
template <class T, int ROWS, int HD, int NTHREADS, class RowOff>
__device__ __forceinline__ void load_tile_sw128(uint32_t smem_base, T* smem_ptr, const T* __restrict__ base,
                                                int ncols, bool vec, const RowOff& row_off) {
  constexpr int kCpr = HD / 8;
  const int tid = threadIdx.x;
  if (vec) {
    static_assert(NTHREADS % kCpr == 0, "thread mapping");
    constexpr int kRowStep = NTHREADS / kCpr;
#pragma unroll
    for (int it = 0; it < (ROWS + kRowStep - 1) / kRowStep; ++it) {
      const int r = tid / kCpr + it * kRowStep, cc = tid % kCpr;
      if (ROWS % kRowStep == 0 || r < ROWS) {
        const int64_t off = row_off(r);
        const bool ok = off >= 0 && cc * 8 < ncols;
        const uint32_t dst = smem_base + sw128_chunk(r, cc, ROWS);
        asm volatile(A4J_CP_ASYNC_16 ::"r"(dst),
                     "l"(ok ? static_cast<const void*>(base + off + cc * 8) : static_cast<const void*>(base)),
                     "r"(ok ? 16 : 0));
      }
    }
  } else {
    for (int e = tid; e < ROWS * HD; e += NTHREADS) {
      const int r = e / HD, col = e % HD;
      const int64_t off = row_off(r);
      T x = from_float<T>(0.f);
      if (off >= 0 && col < ncols) x = base[off + col];
      smem_ptr[(sw128_chunk(r, col >> 3, ROWS) >> 1) + (col & 7)] = x;
    }
  }
}


// Epilogue of the sm90 kernels: O / l through shared memory (the Q tile), 16-byte stores, lse. The
// threads tid in [0, nthreads) that own tile rows [first_row, first_row + rows) write them; `sync`
// is a barrier over exactly those threads (the whole CTA, or one warpgroup of the warp-specialized
// kernel, whose other warpgroup may still be reading its own Q rows).
template <class KT, class Softmax, class Sync>
__device__ __forceinline__ void sm90_epilogue(const FwdParams& p, const BlockInfo& bi, unsigned char* smem,
                                              const float (&acc_o)[KT::kHeadDim / 2], const Softmax& softmax,
                                              int row0, int t, int first_row, int rows, int tid, int nthreads,
                                              const Sync& sync) {
  using T = typename KT::Tin;
  constexpr int kBM = KT::kBlockM, kHD = KT::kHeadDim, kDB = kHD / 8;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    float inv_l, lse;
    softmax.finalize(h, p.exp_scale, INFINITY, inv_l, lse);
    const int r = row0 + 8 * h;
#pragma unroll
    for (int db = 0; db < kDB; ++db) {
      const int col = db * 8 + 2 * t;
      *reinterpret_cast<uint32_t*>(smem + sw128_chunk(r, col >> 3, kBM) + (col & 7) * 2) =
          pack2<T>(acc_o[db * 4 + 2 * h] * inv_l, acc_o[db * 4 + 2 * h + 1] * inv_l);
    }
    const int rr = bi.m0 + r;
    if (rr < bi.row_end && t == 0) store_lse(p, bi, bi.row_query(p, rr), bi.row_head(p, rr), lse);
  }
  sync();
  const int nrows = min(rows, bi.row_end - bi.m0 - first_row);
  if (p.vec_store16) {
    constexpr int kCpr = kHD / 8;
    const int cpr = p.Dv / 8;
    for (int c = tid; c < nrows * kCpr; c += nthreads) {
      const int r = first_row + c / kCpr, cc = c % kCpr;
      if (cc >= cpr) continue;
      const int rr = bi.m0 + r;
      T* dst = static_cast<T*>(p.o) + bi.b * p.o_sb + bi.row_query(p, rr) * p.o_sr + bi.row_head(p, rr) * p.o_sh +
               cc * 8;
      *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(smem + sw128_chunk(r, cc, kBM));
    }
  } else {
    for (int e = tid; e < nrows * p.Dv; e += nthreads) {
      const int r = first_row + e / p.Dv, col = e % p.Dv;
      const int rr = bi.m0 + r;
      T* dst = static_cast<T*>(p.o) + bi.b * p.o_sb + bi.row_query(p, rr) * p.o_sr + bi.row_head(p, rr) * p.o_sh + col;
      *dst = *reinterpret_cast<const T*>(smem + sw128_chunk(r, col >> 3, kBM) + (col & 7) * 2);
    }
  }
}

// S = Q K^T for one warpgroup's 64 Q rows against one K tile (both operands from shared memory).
template <class KT>
__device__ __forceinline__ void sm90_issue_qk(float (&s)[KT::kBlockN / 2], uint32_t sQ, uint32_t sK, int wg) {
  constexpr int kBM = KT::kBlockM, kBN = KT::kBlockN, kHD = KT::kHeadDim;
#pragma unroll
  for (int ks = 0; ks < kHD / 16; ++ks) {
    const uint32_t koff = (ks & 3) * 32;
    const uint64_t da = sw128_desc(sQ + (ks >> 2) * (kBM * 128) + wg * 64 * 128 + koff, 16, 1024);
    const uint64_t db = sw128_desc(sK + (ks >> 2) * (kBN * 128) + koff, 16, 1024);
    wgmma_ss<kBN, typename KT::Tin>(s, da, db, ks > 0 ? 1 : 0);
  }
}

// O += P V: P from registers (the packed S accumulator), V from shared memory (MN-major).
template <class KT>
__device__ __forceinline__ void sm90_issue_pv(float (&acc_o)[KT::kHeadDim / 2], const uint32_t (&pa)[KT::kBlockN / 16][4],
                                              uint32_t sV) {
  constexpr int kBN = KT::kBlockN;
#pragma unroll
  for (int ks = 0; ks < kBN / 16; ++ks) {
    const uint64_t db = sw128_desc(sV + ks * 2048, kBN * 128, 1024);
    wgmma_rs_tb<KT::kHeadDim, typename KT::Tin>(acc_o, pa[ks], db, 1);
  }
}

// The kernel (FlashAttention-3's intra-warpgroup overlap): per key tile i, the warpgroup
// issues S_i = Q K_i^T and O += P_{i-1} V_{i-1} back to back, waits for S_i only, and computes the
// softmax of S_i while the tensor cores run P_{i-1} V_{i-1}; O is rescaled once that MMA is done.
// K and V have their own double buffers: K_{i+1} is loaded once every warpgroup has finished
// Q K_{i-1}^T, V_{i+1} once it has finished P_{i-1} V_{i-1}. cp.async groups are committed in
// the order K0 V0 K1 | V1 | K2 V2 | K3 ..., so "K_i and V_{i-1} have landed" is wait_group 1.
template <class KT>
__global__ void __launch_bounds__(KT::kNThreads, KT::kMinBlocks) flash_fwd_sm90_pipe_kernel(const FwdParams p) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using T = typename KT::Tin;
  constexpr int kBM = KT::kBlockM, kBN = KT::kBlockN, kHD = KT::kHeadDim, kNT = KT::kNThreads;
  constexpr int kNB = kBN / 8;
  constexpr int kDB = kHD / 8;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t raw_addr = smem_addr(smem_raw);
  const uint32_t pad = ((raw_addr + 1023) & ~1023u) - raw_addr;
  unsigned char* smem = smem_raw + pad;
  const uint32_t sQ = raw_addr + pad;
  const uint32_t sK0 = sQ + KT::kTileQ;
  const uint32_t sV0 = sK0 + 2 * KT::kTileKV;
  T* pQ = reinterpret_cast<T*>(smem);
  T* pK0 = reinterpret_cast<T*>(smem + KT::kTileQ);
  T* pV0 = reinterpret_cast<T*>(smem + KT::kTileQ + 2 * KT::kTileKV);

  const int m_block = gridDim.x - 1 - blockIdx.x;
  const BlockInfo bi(p, m_block, kBM);
  int n_lo, n_hi, mask_below, mask_from;
  bi.tile_range(p, kBN, n_lo, n_hi);
  bi.mask_tiles(p, kBN, mask_below, mask_from);
  if (n_lo >= n_hi) {
    write_empty_tile<T, kNT>(p, bi);
    return;
  }
  const int num_tiles = n_hi - n_lo;  // tile i is key tile n_hi - 1 - i

  const int tid = threadIdx.x, wg = tid >> 7, warp_in_wg = (tid >> 5) & 3, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const bool vec = p.vec_load != 0;
  const T* qbase = bi.q_base<T>(p);
  const T* kbase = bi.k_base<T>(p);
  const T* vbase = bi.v_base<T>(p);
  const int Sk_b = bi.Sk_b;
  auto kv_rows = [Sk_b](int n, int64_t stride) {
    return [=](int r) -> int64_t {
      const int j = n * kBN + r;
      return j < Sk_b ? j * stride : -1;
    };
  };
  auto load_k = [&](int i) {
    const int stage = i & 1;
    load_tile_sw128<T, kBN, kHD, kNT>(sK0 + stage * KT::kTileKV, pK0 + stage * (KT::kTileKV / 2), kbase, p.D, vec,
                                      kv_rows(n_hi - 1 - i, p.k_sr));
    cp_async_commit();
  };
  auto load_v = [&](int i) {
    const int stage = i & 1;
    load_tile_sw128<T, kBN, kHD, kNT>(sV0 + stage * KT::kTileKV, pV0 + stage * (KT::kTileKV / 2), vbase, p.Dv, vec,
                                      kv_rows(n_hi - 1 - i, p.v_sr));
    cp_async_commit();
  };

  load_tile_sw128<T, kBM, kHD, kNT>(sQ, pQ, qbase, p.D, vec, [&](int r) -> int64_t {
    const int rr = bi.m0 + r;
    if (rr >= bi.row_end) return -1;
    return bi.row_query(p, rr) * p.q_sr + bi.row_head(p, rr) * p.q_sh;
  });
  load_k(0);  // (with Q)
  load_v(0);
  if (num_tiles > 1) load_k(1);

  const int row0 = wg * 64 + warp_in_wg * 16 + g;
  const float exp_scale = p.exp_scale;

  float acc_o[kHD / 2];
#pragma unroll
  for (int i = 0; i < kHD / 2; ++i) acc_o[i] = 0.f;
  OnlineSoftmax<2, kNB * 2, 4, true> softmax;
  softmax.init();
  float s[kBN / 2];
  uint32_t pa[kBN / 16][4];  // P of the previous tile, the A operand of its P V

  auto issue_qk = [&](int i) { sm90_issue_qk<KT>(s, sQ, sK0 + (i & 1) * KT::kTileKV, wg); };
  auto issue_pv = [&](int i) { sm90_issue_pv<KT>(acc_o, pa, sV0 + (i & 1) * KT::kTileKV); };
  auto softmax_tile = [&](int i, float (&alpha)[2]) {
    m16n8_logits<kBN>(p, bi, s, n_hi - 1 - i, row0, t, mask_below, mask_from);
    softmax.update([&](int r, int c) -> float& { return s[(c >> 1) * 4 + 2 * r + (c & 1)]; }, exp_scale, alpha);
  };

  // Tile 0: S_0, softmax, P_0.
  if (num_tiles > 1) cp_async_wait_2(); else cp_async_wait_1();  // Q, K_0 landed (V_0 may be in flight)
  fence_proxy_async();
  __syncthreads();
  {
    fence_regs(s);
    wgmma_fence();
    issue_qk(0);
    wgmma_commit();
    wgmma_wait_all();
    fence_regs(s);
    float alpha[2];
    softmax_tile(0, alpha);  // acc_o is 0: no rescale
    m16n8_pack_p<T, kBN>(s, pa);
  }
  __syncthreads();
  if (num_tiles > 1) load_v(1);

  for (int i = 1; i < num_tiles; ++i) {
    cp_async_wait_1();  // K_i and V_{i-1} landed (V_i may be in flight)
    fence_proxy_async();
    __syncthreads();  // ... for every thread; every warpgroup is done with Q K_{i-1}^T
    if (i + 1 < num_tiles) load_k(i + 1);

    fence_regs(s);
    fence_regs(acc_o);
    fence_uregs(pa);
    wgmma_fence();
    issue_qk(i);
    wgmma_commit();
    issue_pv(i - 1);
    wgmma_commit();
    wgmma_wait_1();  // S_i done; P_{i-1} V_{i-1} may still run
    fence_regs(s);
    float alpha[2];
    softmax_tile(i, alpha);
    wgmma_wait_all();
    fence_regs(acc_o);
    fence_uregs(pa);
#pragma unroll
    for (int db = 0; db < kDB; ++db)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[db * 4 + e] *= alpha[e >> 1];
    m16n8_pack_p<T, kBN>(s, pa);
    __syncthreads();  // every warpgroup is done with P_{i-1} V_{i-1}
    if (i + 1 < num_tiles) load_v(i + 1);
  }

  // The last P V.
  cp_async_wait_all();
  fence_proxy_async();
  __syncthreads();
  fence_regs(acc_o);
  fence_uregs(pa);
  wgmma_fence();
  issue_pv(num_tiles - 1);
  wgmma_commit();
  wgmma_wait_all();
  fence_regs(acc_o);
  __syncthreads();  // every warpgroup is done with the Q tile (the epilogue reuses it)

  sm90_epilogue<KT>(p, bi, smem, acc_o, softmax, row0, t, 0, kBM, tid, kNT, [] { __syncthreads(); });
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

}  // namespace a4j
