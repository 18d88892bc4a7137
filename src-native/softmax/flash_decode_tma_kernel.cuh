// Few-rows split-KV decode on Hopper (sm_90a) with TMA loads: flash_decode_kernel's work split and
// math (4 warps take the split's 16-key chunks round robin, one m16 tile of query rows, warps merged at
// the end), with the K / V chunks brought by a fifth, producer warp. One thread of it issues a TMA box
// per chunk and column block into a ring of kSlots slots (full / empty mbarriers), so every slot of
// the CTA is in flight from the first cycle and the consumer warps issue no load instructions; the
// cp.async kernel's warps each keep only their own ring's stages in flight and spend issue slots on
// 16 cp.async per lane per chunk.
// Slots hold chunks in the 128B-swizzled layout TMA writes (column blocks of 64 features, 16-byte
// chunk c of row r at c ^ (r % 8)); ldmatrix addresses apply the same swizzle.
// Requirements checked by the host: padded head dim 64 or 128, tensor maps encodable.
#pragma once

#include "../common/tma.h"
#include "flash_decode_kernel.cuh"
#include "tma_maps.h"

namespace a4j {

// The few-rows kernel's traits (rows, chunk, consumer warps, Q pitch, merge buffer, split tiles) with a
// producer warp and the slot ring in place of the per-warp rings.
template <class T, int kHeadDim_>
struct FlashDecodeTmaTraits : FlashDecodeTraits<T, kHeadDim_> {
  using Base = FlashDecodeTraits<T, kHeadDim_>;
  static constexpr int kNThreads = (Base::kWarps + 1) * 32;  // + the producer warp
  static constexpr int kSmemQ = (Base::kSmemQ + 1023) / 1024 * 1024;  // the ring stays 1 KiB aligned
  static constexpr int kChunkBytes = Base::kChunk * kHeadDim_ * 2;   // one of K or V, unpadded
  static constexpr int kSlots = decode_tma_slots(kHeadDim_);
  static constexpr int kSmemRing = kSlots * 2 * kChunkBytes;
  static constexpr int kSmemBody = kSmemRing > Base::kSmemMerge ? kSmemRing : Base::kSmemMerge;
  static constexpr int kSmem = 1024 + kSmemQ + kSmemBody + 2 * kSlots * 8;  // + alignment slack, barriers
  static_assert(kHeadDim_ == 64 || kHeadDim_ == 128, "TMA decode: padded head dim 64 or 128");
  static_assert(kSlots % Base::kWarps == 0, "slot i % kSlots belongs to warp i % kWarps");
};

// Byte offset of element (r, c) of a swizzled [16 x HD] chunk (column blocks of 16 rows x 128 bytes).
__device__ __forceinline__ uint32_t chunk_sw128(int r, int c) {
  return static_cast<uint32_t>((c >> 6) * 2048 + r * 128 + ((((c & 63) >> 3) ^ (r & 7)) << 4) + (c & 7) * 2);
}

template <class KT>
__global__ void __launch_bounds__(KT::kNThreads)
    flash_decode_tma_kernel(const __grid_constant__ FwdParams p, const __grid_constant__ Sm90TmaMaps maps) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using T = typename KT::Tin;
  using Mma = typename KT::Mma;
  constexpr int kHD = KT::kHeadDim, kC = KT::kChunk, kW = KT::kWarps, kSL = KT::kSlots;
  constexpr int kPitch = KT::kPitch, kPB = KT::kPitchBytes, kDB = kHD / 8, kCB = kHD / 64;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t raw_addr = smem_addr(smem_raw);
  const uint32_t pad = ((raw_addr + 1023) & ~1023u) - raw_addr;
  unsigned char* smem = smem_raw + pad;
  T* sQ = reinterpret_cast<T*>(smem);
  unsigned char* rings = smem + KT::kSmemQ;
  const uint32_t ring0 = raw_addr + pad + KT::kSmemQ;
  const uint32_t bar0 = ring0 + KT::kSmemBody;
  auto slot_k = [=](int s) { return ring0 + s * 2 * KT::kChunkBytes; };
  auto slot_v = [=](int s) { return ring0 + s * 2 * KT::kChunkBytes + KT::kChunkBytes; };
  auto full = [=](int s) { return bar0 + 8 * s; };
  auto empty = [=](int s) { return bar0 + 8 * (kSL + s); };

  if (p.num_splits > 1) grid_dependents_launch();  // the merge grid may be scheduled now (it waits)
  const BlockInfo bi(p, 0, KT::kRows);
  int n_lo, n_hi;
  bi.tile_range(p, KT::kSplitKeys, n_lo, n_hi);
  const int c_lo = n_lo * (KT::kSplitKeys / kC);
  const int c_hi = min(n_hi * (KT::kSplitKeys / kC), (bi.Sk_b + kC - 1) / kC);
  if (c_lo >= c_hi) {
    write_empty_tile<T, KT::kNThreads>(p, bi);
    return;
  }
  const int count = c_hi - c_lo;
  int mask_below, mask_from;
  bi.mask_tiles(p, kC, mask_below, mask_from);

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  if (tid == kW * 32) {
    for (int s = 0; s < kSL; ++s) {
      mbar_init(full(s), 1);
      mbar_init(empty(s), 1);  // lane 0 of the consuming warp, after the warp is done with the slot
    }
    mbar_fence_init();
  }
  __syncthreads();

  float acc_o[kDB][4];
#pragma unroll
  for (int d = 0; d < kDB; ++d)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc_o[d][e] = 0.f;
  OnlineSoftmax<2, 4, 4, true> softmax;
  softmax.init();

  if (warp == kW) {
    // Producer: chunk c_lo + i into slot i % kSL, in order.
    if (lane == 0) {
      tma_prefetch_map(&maps.k);
      tma_prefetch_map(&maps.v);
      for (int i = 0; i < count; ++i) {
        const int s = i % kSL;
        if (i >= kSL) mbar_wait(empty(s), ((i / kSL) & 1) ^ 1);
        mbar_arrive_expect_tx(full(s), 2 * KT::kChunkBytes);
        const int row = bi.k_first + (c_lo + i) * kC;
#pragma unroll
        for (int cb = 0; cb < kCB; ++cb) {
          tma_load_4d(slot_k(s) + cb * 2048, &maps.k, full(s), cb * 64, row, bi.hkv, bi.b);
          tma_load_4d(slot_v(s) + cb * 2048, &maps.v, full(s), cb * 64, row, bi.hkv, bi.b);
        }
      }
    }
  } else {
    // Q (the consumer warps), padded rows as in flash_decode_kernel.
    load_tile<T, T, KT::kRows, kHD, kPitch, kW * 32>(sQ, bi.q_base<T>(p), p.D, p.vec_load != 0, [&](int r) -> int64_t {
      if (r >= bi.row_end) return -1;
      return bi.row_query(p, r) * p.q_sr + bi.row_head(p, r) * p.q_sh;
    });
    cp_async_commit();
    cp_async_wait_all();
    named_bar_sync(1, kW * 32);

    const uint32_t sQa = smem_addr(sQ) + (lane & 15) * kPB + (lane >> 4) * 16;
    const int kr = (lane & 7) + (lane >> 4) * 8, kc = ((lane >> 3) & 1) * 8;  // this lane's ldmatrix rows
    const int vr = (lane & 7) + ((lane >> 3) & 1) * 8, vc = (lane >> 4) * 8;
    const float exp_scale = p.exp_scale;
    for (int i = warp; i < count; i += kW) {
      const int s = i % kSL;
      const int c = c_lo + i;
      mbar_wait(full(s), (i / kSL) & 1);
      if ((c + 1) * kC > bi.Sk_b) {
        // The split's last chunk runs past this batch's keys: TMA brought whatever the rows after
        // them hold (another sequence's cache, garbage); their P is 0, but 0 * NaN is not, so zero V.
        const int valid = bi.Sk_b - c * kC;
        unsigned char* v = rings + s * 2 * KT::kChunkBytes + KT::kChunkBytes;
        for (int e = lane; e < (kC - valid) * kCB * 8; e += 32) {
          const int r = valid + e / (kCB * 8), cb = (e / 8) % kCB, q = e % 8;
          *reinterpret_cast<uint4*>(v + cb * 2048 + r * 128 + q * 16) = make_uint4(0, 0, 0, 0);
        }
        fence_proxy_async();  // (before a later TMA refill of the slot)
        __syncwarp();
      }

      float sc[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) sc[e] = 0.f;
      const uint32_t sK = slot_k(s);
#pragma unroll
      for (int ks = 0; ks < kHD / 16; ++ks) {
        uint32_t a[4], bb[4];
        ldmatrix_x4(a, sQa + ks * 32);
        ldmatrix_x4(bb, sK + chunk_sw128(kr, ks * 16 + kc));
        Mma::mma(*reinterpret_cast<float(*)[4]>(&sc[0]), a, bb[0], bb[1]);
        Mma::mma(*reinterpret_cast<float(*)[4]>(&sc[4]), a, bb[2], bb[3]);
      }
      m16n8_logits<kC>(p, bi, sc, c, g, t, mask_below, mask_from);
      float alpha[2];
      softmax.update([&](int r, int col) -> float& { return sc[(col >> 1) * 4 + 2 * r + (col & 1)]; }, exp_scale,
                     alpha);
#pragma unroll
      for (int d = 0; d < kDB; ++d)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc_o[d][e] *= alpha[e >> 1];
      uint32_t pa[1][4];
      m16n8_pack_p<T, kC>(sc, pa);
      const uint32_t sV = slot_v(s);
#pragma unroll
      for (int dp = 0; dp < kHD / 16; ++dp) {
        uint32_t bb[4];
        ldmatrix_x4_trans(bb, sV + chunk_sw128(vr, dp * 16 + vc));
        Mma::mma(acc_o[2 * dp], pa[0], bb[0], bb[1]);
        Mma::mma(acc_o[2 * dp + 1], pa[0], bb[2], bb[3]);
      }
      __syncwarp();  // every lane is done with slot s
      if (lane == 0) mbar_arrive(empty(s));
    }
  }
  __syncthreads();  // every chunk consumed: the ring becomes the merge buffer
  decode_merge_store<KT>(p, bi, rings, softmax, acc_o, warp, g, t, tid, KT::kNThreads, warp < kW);
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

}  // namespace a4j
