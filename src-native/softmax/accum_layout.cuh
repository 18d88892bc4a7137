// The score tile in the m16n8 accumulator layout, which wgmma's accumulator shares per warp with
// mma.sync's: its logits (softcap, ALiBi, mask) and its cast to the 16-bit A operand of P V. Shared by
// the sm90 forward kernel (a warpgroup's S tile) and the few-rows decode kernel (a warp's 16-key chunk).
#pragma once

#include "flash_fwd_kernel.cuh"

namespace a4j {

// Logits of one S tile (key tile n of kBN keys): softcap, ALiBi, mask. s[4 nb + 2 h + e] is row
// row0 + 8h, key n*BN + 8 nb + 2t + e.
template <int kBN>
__device__ __forceinline__ void m16n8_logits(const FwdParams& p, const BlockInfo& bi, float (&s)[kBN / 2], int n,
                                             int row0, int t, int mask_below, int mask_from) {
  constexpr int kNB = kBN / 8;
  const int Sk_b = bi.Sk_b;
  if (p.plain_logits == 0) {
#pragma unroll
    for (int i = 0; i < kBN / 2; ++i)
      s[i] = p.has_softcap ? tanh_from_exp2(s[i] * p.softcap_prescale2) * p.softcap_log2 : s[i] * p.scale_log2;
    if (p.alibi != nullptr) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int rr = min(bi.m0 + row0 + 8 * h, p.M - 1);
        const int ip = bi.row_query(p, rr) + bi.off;
        const float slope2 = alibi_slope(p, bi.b, bi.row_head(p, rr)) * kLog2e;
#pragma unroll
        for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
          for (int e = 0; e < 2; ++e) s[nb * 4 + 2 * h + e] += slope2 * alibi_distance(p, ip, n * kBN + nb * 8 + 2 * t + e);
      }
    }
  }
  if (n < mask_below || n >= mask_from) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int rr = min(bi.m0 + row0 + 8 * h, p.M - 1);
      const KeyRange vis = key_range(p, Sk_b, bi.row_query(p, rr) + bi.off);
#pragma unroll
      for (int nb = 0; nb < kNB; ++nb)
#pragma unroll
        for (int e = 0; e < 2; ++e)
          if (!vis.contains(n * kBN + nb * 8 + 2 * t + e)) s[nb * 4 + 2 * h + e] = -INFINITY;
    }
  }
}

// The S accumulator (after softmax: P) as the register-A operand of O += P V, 16 keys per MMA.
template <class T, int kBN>
__device__ __forceinline__ void m16n8_pack_p(const float (&s)[kBN / 2], uint32_t (&pa)[kBN / 16][4]) {
#pragma unroll
  for (int ks = 0; ks < kBN / 16; ++ks) {
    pa[ks][0] = pack2<T>(s[(2 * ks) * 4 + 0], s[(2 * ks) * 4 + 1]);
    pa[ks][1] = pack2<T>(s[(2 * ks) * 4 + 2], s[(2 * ks) * 4 + 3]);
    pa[ks][2] = pack2<T>(s[(2 * ks + 1) * 4 + 0], s[(2 * ks + 1) * 4 + 1]);
    pa[ks][3] = pack2<T>(s[(2 * ks + 1) * 4 + 2], s[(2 * ks + 1) * 4 + 3]);
  }
}

}  // namespace a4j
