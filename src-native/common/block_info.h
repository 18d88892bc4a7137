// Per-CTA geometry: which batch, head group and split a CTA owns, its batch's key range, and the
// band of key tiles its query rows can see (spec 1.3, 1.6, 2.6).
#pragma once

#include "../softmax/params.h"

namespace a4j {

struct BlockInfo {
  int b, hg, hkv, split;
  int m0;          // first row of the tile
  int row_end;     // min(m0 + Bm, M)
  int Sk_b;        // keys of this batch
  int k_first;     // k_start[b]: first allocated key row of this batch
  int off;         // Sk_b - Sq: query i sits at key position i + off
  int i_lo, i_hi;  // query index range of the tile's valid rows

  __device__ __forceinline__ BlockInfo(const FwdParams& p, int m_block, int kBlockM) {
    const int z = blockIdx.z;
    b = z / p.num_splits;
    split = z - b * p.num_splits;
    hg = blockIdx.y;
    hkv = (hg * p.G) / p.h_per_kv;
    m0 = m_block * kBlockM;
    row_end = min(m0 + kBlockM, p.M);
    int ks = p.k_start ? p.k_start[b] : 0;
    int ke = p.k_end ? p.k_end[b] : p.Sk;
    ks = min(max(ks, 0), p.Sk);
    ke = min(max(ke, ks), p.Sk);
    k_first = ks;
    Sk_b = ke - ks;
    off = Sk_b - p.Sq;
    i_lo = m0 / p.G;
    i_hi = (row_end - 1) / p.G;
  }

  // Key tiles [n_lo, n_hi) that hold at least one key visible to some row of the tile,
  // restricted to this CTA's split (splits own consecutive runs of tiles_per_split tiles).
  __device__ __forceinline__ void tile_range(const FwdParams& p, int kBlockN, int& n_lo, int& n_hi) const {
    const int lo = max(0, i_lo + off - p.wl);
    const int hi = min(Sk_b, i_hi + off + p.wr + 1);
    if (hi <= lo) {
      n_lo = n_hi = 0;
      return;
    }
    n_lo = lo / kBlockN;
    n_hi = (hi + kBlockN - 1) / kBlockN;
    if (p.num_splits > 1) {
      const int n_tiles = (p.Sk + kBlockN - 1) / kBlockN;
      const int per_split = (n_tiles + p.num_splits - 1) / p.num_splits;
      n_lo = max(n_lo, split * per_split);
      n_hi = min(n_hi, (split + 1) * per_split);
      if (n_hi < n_lo) n_hi = n_lo;
    }
  }

  // Element masks are needed only on tiles where some (row, key) is not visible: the tiles
  // n < mask_below (cut by the left window) and n >= mask_from (cut by the right window, the
  // causal diagonal or the end of the keys). Two integers, so the main loop keeps few registers.
  __device__ __forceinline__ void mask_tiles(const FwdParams& p, int kBlockN, int& mask_below, int& mask_from) const {
    const int y = i_hi + off - p.wl;  // tile n needs a mask when n * Bn < y
    mask_below = y > 0 ? (y + kBlockN - 1) / kBlockN : 0;
    const int x = i_lo + off + p.wr + 1;  // ... or when n * Bn + Bn > x
    const int from_right = x > 0 ? x / kBlockN : 0;
    mask_from = min(Sk_b / kBlockN, from_right);
  }

  // This CTA's inputs: the batch's Q rows, and the K / V rows of its kv head from its first key.
  template <class T>
  __device__ __forceinline__ const T* q_base(const FwdParams& p) const {
    return static_cast<const T*>(p.q) + b * p.q_sb;
  }
  template <class T>
  __device__ __forceinline__ const T* k_base(const FwdParams& p) const {
    return static_cast<const T*>(p.k) + b * p.k_sb + hkv * p.k_sh + k_first * p.k_sr;
  }
  template <class T>
  __device__ __forceinline__ const T* v_base(const FwdParams& p) const {
    return static_cast<const T*>(p.v) + b * p.v_sb + hkv * p.v_sh + k_first * p.v_sr;
  }

  // Row r of the tile stands for query i and head h.
  __device__ __forceinline__ int row_query(const FwdParams& p, int r) const { return p.G == 1 ? r : r / p.G; }
  __device__ __forceinline__ int row_head(const FwdParams& p, int r) const { return p.G == 1 ? hg : hg * p.G + r % p.G; }
};

}  // namespace a4j
