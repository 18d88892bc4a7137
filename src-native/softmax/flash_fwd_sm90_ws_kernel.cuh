// Hopper (sm_90a) softmax attention forward, warp-specialized (FlashAttention-3's scheme): the same
// math, tiles and shared-memory layout as flash_fwd_sm90_pipe_kernel, with the loads taken off the
// MMA warps.
//  - Warpgroup 0 is the producer: one thread issues TMA loads of Q and of each K and V tile into a
//    ring of kStages buffers (128B-swizzled boxes, which is the wgmma layout), each completing on a
//    "full" mbarrier; the producer waits on the matching "empty" mbarrier before refilling a stage.
//    It gives its registers away (setmaxnreg.dec).
//  - Warpgroups 1 and 2 are consumers of 64 Q rows each, with 240 registers (setmaxnreg.inc): per key
//    tile they issue S_i = Q K_i^T and O += P_{i-1} V_{i-1}, release K_i once S_i is done, compute
//    the softmax of S_i while P_{i-1} V_{i-1} runs, then release V_{i-1}. No CTA-wide barrier in the
//    loop.
//  - Ping-pong: the two consumer warpgroups take turns issuing their MMAs (two named barriers), so
//    that one warpgroup's softmax runs while the other's MMAs occupy the tensor cores.
// Requirements checked by the host (softmax_api.cpp): no per-batch key ranges (the K / V boxes are
// addressed by (batch, kv head, key row) and rows past Sk are zero-filled by TMA), rows one query
// per row (G = 1), 16-byte aligned strides (tensor maps encodable), forward only (no splits).
#pragma once

#include "../common/tma.h"
#include "flash_fwd_sm90_kernel.cuh"
#include "tma_maps.h"

namespace a4j {

template <class T, int kHeadDim_, int kBlockN_, int kStages_>
struct FlashFwdSm90WsTraits {
  using Tin = T;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kBlockM = 128;  // 64 rows per consumer warpgroup
  static constexpr int kBlockN = kBlockN_;
  static constexpr int kStages = kStages_;
  static constexpr int kNThreads = 384;  // producer warpgroup + 2 consumer warpgroups
  static constexpr int kConsumerThreads = 256;
  static constexpr int kProducerRegs = 24, kConsumerRegs = 240;  // 128 * (24 + 2 * 240) <= 64K
  static constexpr int kTileQ = kBlockM * kHeadDim * 2;
  static constexpr int kTileKV = kBlockN * kHeadDim * 2;
  static constexpr int kBarriers = 1 + 4 * kStages;  // full Q; full / empty of every K and V stage
  static constexpr int kSmem = kTileQ + 2 * kStages * kTileKV + kBarriers * 8 + 1024;  // + alignment slack
  static_assert(kHeadDim % 64 == 0 && kHeadDim <= 256 && kBlockN % 16 == 0 && kBlockN <= 256, "sm90 ws tile");
};

// Named barriers of the kernel (0 is __syncthreads): the ping-pong turn of each consumer warpgroup,
// and each warpgroup's epilogue.
constexpr int kBarTurn0 = 1, kBarEpilogue0 = 3;

template <class KT>
__global__ void __launch_bounds__(KT::kNThreads, 1)
    flash_fwd_sm90_ws_kernel(const __grid_constant__ FwdParams p, const __grid_constant__ Sm90TmaMaps maps) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using T = typename KT::Tin;
  constexpr int kBM = KT::kBlockM, kBN = KT::kBlockN, kHD = KT::kHeadDim, kS = KT::kStages;
  constexpr int kNB = kBN / 8, kDB = kHD / 8, kCB = kHD / 64;  // column blocks of 64 features
  constexpr int kNC = KT::kConsumerThreads;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  const uint32_t raw_addr = smem_addr(smem_raw);
  const uint32_t pad = ((raw_addr + 1023) & ~1023u) - raw_addr;
  unsigned char* smem = smem_raw + pad;
  const uint32_t sQ = raw_addr + pad;
  const uint32_t sK0 = sQ + KT::kTileQ;
  const uint32_t sV0 = sK0 + kS * KT::kTileKV;
  const uint32_t bar0 = sV0 + kS * KT::kTileKV;
  const uint32_t bar_q = bar0;
  auto full_k = [=](int s) { return bar0 + 8 * (1 + s); };
  auto full_v = [=](int s) { return bar0 + 8 * (1 + kS + s); };
  auto empty_k = [=](int s) { return bar0 + 8 * (1 + 2 * kS + s); };
  auto empty_v = [=](int s) { return bar0 + 8 * (1 + 3 * kS + s); };

  const int m_block = gridDim.x - 1 - blockIdx.x;
  const BlockInfo bi(p, m_block, kBM);
  int n_lo, n_hi, mask_below, mask_from;
  bi.tile_range(p, kBN, n_lo, n_hi);
  bi.mask_tiles(p, kBN, mask_below, mask_from);
  if (n_lo >= n_hi) {
    write_empty_tile<T, KT::kNThreads>(p, bi);
    return;
  }
  const int num_tiles = n_hi - n_lo;  // tile i is key tile n_hi - 1 - i
  const int tid = threadIdx.x, wg = tid >> 7;

  if (tid == 0) {
    mbar_init(bar_q, 1);
    for (int s = 0; s < kS; ++s) {
      mbar_init(full_k(s), 1);
      mbar_init(full_v(s), 1);
      mbar_init(empty_k(s), kNC);
      mbar_init(empty_v(s), kNC);
    }
    mbar_fence_init();
  }
  __syncthreads();

  if (wg == 0) {
    // Producer. Loads in consumption order K_0 V_0 K_1 V_1 ...: iteration i of the consumers needs
    // K_i and V_{i-1}.
    warpgroup_regs_dec<KT::kProducerRegs>();
    if (tid == 0) {
      tma_prefetch_map(&maps.k);
      tma_prefetch_map(&maps.v);
      mbar_arrive_expect_tx(bar_q, KT::kTileQ);
#pragma unroll
      for (int cb = 0; cb < kCB; ++cb) tma_load_4d(sQ + cb * (kBM * 128), &maps.q, bar_q, cb * 64, bi.m0, bi.hg, bi.b);
      for (int i = 0; i < num_tiles; ++i) {
        const int s = i % kS;
        const uint32_t phase = (i / kS) & 1;
        const int row = (n_hi - 1 - i) * kBN;
        if (i >= kS) mbar_wait(empty_k(s), phase ^ 1);
        mbar_arrive_expect_tx(full_k(s), KT::kTileKV);
#pragma unroll
        for (int cb = 0; cb < kCB; ++cb)
          tma_load_4d(sK0 + s * KT::kTileKV + cb * (kBN * 128), &maps.k, full_k(s), cb * 64, row, bi.hkv, bi.b);
        if (i >= kS) mbar_wait(empty_v(s), phase ^ 1);
        mbar_arrive_expect_tx(full_v(s), KT::kTileKV);
#pragma unroll
        for (int cb = 0; cb < kCB; ++cb)
          tma_load_4d(sV0 + s * KT::kTileKV + cb * (kBN * 128), &maps.v, full_v(s), cb * 64, row, bi.hkv, bi.b);
      }
    }
    return;
  }

  warpgroup_regs_inc<KT::kConsumerRegs>();
  const int ctid = tid - 128, cwg = ctid >> 7, warp_in_wg = (ctid >> 5) & 3, lane = tid & 31;
  const int g = lane >> 2, t = lane & 3;
  const int row0 = cwg * 64 + warp_in_wg * 16 + g;
  const float exp_scale = p.exp_scale;
  // Ping-pong: a warpgroup waits for its turn, issues its MMAs, then hands the turn to the other.
  auto turn_wait = [cwg] { named_bar_sync(kBarTurn0 + cwg, kNC); };
  auto turn_pass = [cwg] { named_bar_arrive(kBarTurn0 + (cwg ^ 1), kNC); };

  float acc_o[kHD / 2];
#pragma unroll
  for (int i = 0; i < kHD / 2; ++i) acc_o[i] = 0.f;
  OnlineSoftmax<2, kNB * 2, 4, true> softmax;
  softmax.init();
  float s[kBN / 2];
  uint32_t pa[kBN / 16][4];  // P of the previous tile, the A operand of its P V

  auto issue_qk = [&](int stage) { sm90_issue_qk<KT>(s, sQ, sK0 + stage * KT::kTileKV, cwg); };
  auto issue_pv = [&](int stage) { sm90_issue_pv<KT>(acc_o, pa, sV0 + stage * KT::kTileKV); };
  auto softmax_tile = [&](int i, float (&alpha)[2]) {
    m16n8_logits<kBN>(p, bi, s, n_hi - 1 - i, row0, t, mask_below, mask_from);
    softmax.update([&](int r, int c) -> float& { return s[(c >> 1) * 4 + 2 * r + (c & 1)]; }, exp_scale, alpha);
  };

  if (cwg == 1) turn_pass();  // warpgroup 0 issues first
  mbar_wait(bar_q, 0);

  // Tile 0: S_0, softmax, P_0.
  mbar_wait(full_k(0), 0);
  turn_wait();
  fence_regs(s);
  wgmma_fence();
  issue_qk(0);
  wgmma_commit();
  turn_pass();
  wgmma_wait_all();
  fence_regs(s);
  mbar_arrive(empty_k(0));
  {
    float alpha[2];
    softmax_tile(0, alpha);  // acc_o is 0: no rescale
  }
  m16n8_pack_p<T, kBN>(s, pa);

  for (int i = 1; i < num_tiles; ++i) {
    const int sk = i % kS, sv = (i - 1) % kS;
    mbar_wait(full_k(sk), (i / kS) & 1);
    turn_wait();
    fence_regs(s);
    fence_regs(acc_o);
    fence_uregs(pa);
    wgmma_fence();
    issue_qk(sk);
    wgmma_commit();
    mbar_wait(full_v(sv), ((i - 1) / kS) & 1);
    wgmma_fence();  // (after the wait's branch; ptxas would insert it)
    issue_pv(sv);
    wgmma_commit();
    turn_pass();
    wgmma_wait_1();  // S_i done; P_{i-1} V_{i-1} may still run
    fence_regs(s);
    mbar_arrive(empty_k(sk));
    float alpha[2];
    softmax_tile(i, alpha);
    wgmma_wait_all();
    fence_regs(acc_o);
    fence_uregs(pa);
    mbar_arrive(empty_v(sv));
#pragma unroll
    for (int db = 0; db < kDB; ++db)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[db * 4 + e] *= alpha[e >> 1];
    m16n8_pack_p<T, kBN>(s, pa);
  }

  // The last P V.
  {
    const int sv = (num_tiles - 1) % kS;
    mbar_wait(full_v(sv), ((num_tiles - 1) / kS) & 1);
    turn_wait();
    fence_regs(acc_o);
    fence_uregs(pa);
    wgmma_fence();
    issue_pv(sv);
    wgmma_commit();
    if (cwg == 0) turn_pass();  // (warpgroup 1 has no next turn to pass: the barriers end balanced)
    wgmma_wait_all();
    fence_regs(acc_o);
  }

  // Each warpgroup writes its own 64 rows through its own rows of the Q tile (its last Q K^T is done;
  // the other warpgroup reads only its own rows).
  const int ep_bar = kBarEpilogue0 + cwg;
  sm90_epilogue<KT>(p, bi, smem, acc_o, softmax, row0, t, cwg * 64, 64, ctid & 127, 128,
                    [ep_bar] { named_bar_sync(ep_bar, 128); });
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

}  // namespace a4j
