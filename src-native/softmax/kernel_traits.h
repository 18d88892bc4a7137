// Tile sizes, warps and shared-memory layout of each softmax kernel, as types.
#pragma once

#include "../common/tile.h"

namespace a4j {

// Tensor-core forward (FlashAttention-2 scheme). Each warp owns kMW m16 row tiles of the Q tile
// and all kBlockN keys of the current K/V tile. Shared memory: Q [kBlockM], K [kBlockN],
// V [kBlockN], rows of kHeadDim + one chunk of padding; K and V are single-buffered, the V load
// overlaps Q K^T and the next K load overlaps softmax and P V.
//   Tin: element type in global memory (half, bf16, or float for the bf16/tf32 modes)
//   Tc:  element type in shared memory and in the MMA (half, bf16, float = tf32)
template <class Tin_, class Tc_, int kHeadDim_, int kBlockM_, int kBlockN_, int kNWarps_, int kQKUnroll_ = 0>
struct FlashFwdTraits {
  using Tin = Tin_;
  using Tc = Tc_;
  using Mma = MmaPolicy<Tc>;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kBlockM = kBlockM_;
  static constexpr int kBlockN = kBlockN_;
  static constexpr int kNWarps = kNWarps_;
  static constexpr int kNThreads = kNWarps * 32;
  static constexpr int kMW = kBlockM / (16 * kNWarps);  // m16 tiles per warp
  static constexpr int kNB = kBlockN / 8;                // n8 blocks of S per row tile
  static constexpr int kDB = kHeadDim / 8;               // n8 blocks of O per row tile
  static constexpr int kEpc = 16 / sizeof(Tc);           // elements per 16-byte chunk
  static constexpr int kPitch = kHeadDim + kEpc;         // shared row pitch (elements)
  static constexpr int kPitchBytes = kPitch * sizeof(Tc);
  static constexpr int kSmemQ = kBlockM * kPitchBytes;
  static constexpr int kSmemKV = kBlockN * kPitchBytes;
  static constexpr int kSmem = kSmemQ + 2 * kSmemKV;
  // Unroll of the k loop of Q K^T (0 = rule): rolled when a warp holds 16 or more S blocks,
  // where full unrolling made ptxas hoist fragment loads and spill (ptxas -v, sm_90a).
  static constexpr int kQKUnroll = kQKUnroll_ > 0 ? kQKUnroll_ : (kNB * kMW >= 16 ? 1 : kHeadDim / Mma::kK);
  static_assert(kMW >= 1 && kBlockM == kMW * 16 * kNWarps, "rows must split evenly over warps");
  static_assert(kBlockN % 16 == 0 && kHeadDim % 32 == 0, "tile shape");
};

// Exact fp32 forward on FFMA. 256 threads as 16 x 16 (ty, tx): a thread owns kRM rows
// (ty * kRM + r) and, of each key tile, kRN keys (tx + 16 c); for P V it owns output columns
// 64 cc + 4 tx + e. Shared memory: Q, K, V (fp32, pitch kHeadDim + 4) and P [kBlockM][kBlockN + 4].
template <int kHeadDim_, int kRM_, int kRN_>
struct FfmaFwdTraits {
  using Tin = float;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kRM = kRM_;
  static constexpr int kRN = kRN_;
  static constexpr int kBlockM = 16 * kRM;
  static constexpr int kBlockN = 16 * kRN;
  static constexpr int kNThreads = 256;
  static constexpr int kPitch = kHeadDim + 4;
  static constexpr int kPPitch = kBlockN + 4;
  static constexpr int kNC = (kHeadDim + 63) / 64;  // 64-column groups of O per thread
  static constexpr int kSmemQ = kBlockM * kPitch * 4;
  static constexpr int kSmemKV = kBlockN * kPitch * 4;
  static constexpr int kSmemP = kBlockM * kPPitch * 4;
  static constexpr int kSmem = kSmemQ + 2 * kSmemKV + kSmemP;
};

}  // namespace a4j
