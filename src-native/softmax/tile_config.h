// Tile choices per path and padded head dim, in one place: the kernels' traits are built from
// these and the C layer reads them (shared-memory checks, split heuristic). Host and device.
//
// Every configuration fits the 99 KiB (101376 B) opt-in shared memory of sm_86/sm_89, so one
// fat binary serves sm_80..sm_90. Measured effect of the choices: NOTES.md.
#pragma once

namespace a4j {

enum class Path : int {
  kBf16 = 0,     // bf16 in/out, bf16 MMA
  kFp16 = 1,     // fp16 in/out, fp16 MMA
  kTf32 = 2,     // fp32 in/out, TF32 MMA (opt-in)
  kF32Bf16 = 3,  // fp32 in/out, inputs rounded to bf16 in shared memory, bf16 MMA (opt-in)
  kF32Exact = 4  // fp32 in/out, FFMA (default for fp32)
};

struct TileConfig {
  int block_m, block_n, warps;
  int elem_bytes;  // shared-memory element size
  int smem_bytes;
};

// bf16/fp16 forward (also the bf16 mode of fp32 inputs). FlashAttention-2's sm80 tiles as the
// starting point: 128 x 128 for D <= 64, 128 x 64 up to D = 128 (4 warps, 2 row tiles each),
// 128 x 64 on 8 warps for D = 160, 64 x 64 on 4 warps above (smem <= 99 KiB).
constexpr TileConfig fwd16_tile(int hd) {
  const int bm = hd <= 160 ? 128 : 64;
  const int bn = hd <= 64 ? 128 : 64;
  const int w = hd <= 128 ? 4 : (hd <= 160 ? 8 : 4);
  return TileConfig{bm, bn, w, 2, (bm + 2 * bn) * (hd + 8) * 2};
}

// bf16/fp16 split-KV decode: few query rows (the packed heads of one kv head), so a short
// 64-row tile, 4 warps, 64-key tiles.
constexpr TileConfig decode16_tile(int hd) { return TileConfig{64, 64, 4, 2, (64 + 2 * 64) * (hd + 8) * 2}; }

// TF32: fp32 tiles in shared memory (twice the bytes), so smaller K/V tiles as D grows.
constexpr TileConfig tf32_tile(int hd) {
  const int bm = hd <= 64 ? 128 : 64;
  const int bn = hd <= 32 ? 128 : (hd <= 128 ? 64 : (hd <= 192 ? 32 : 16));
  return TileConfig{bm, bn, 4, 4, (bm + 2 * bn) * (hd + 4) * 4};
}

// Exact fp32 FFMA: 256 threads as 16 x 16; rows per thread kRM, keys per thread kRN.
constexpr int ffma_rm(int hd) { return hd <= 128 ? 4 : 2; }
constexpr int ffma_rn(int hd) { return hd <= 128 ? 2 : 1; }
constexpr TileConfig ffma_tile(int hd) {
  const int bm = 16 * ffma_rm(hd), bn = 16 * ffma_rn(hd);
  return TileConfig{bm, bn, 8, 4, (bm * (hd + 4) + 2 * bn * (hd + 4) + bm * (bn + 4)) * 4};
}

constexpr int padded_headdim(int d) { return d <= 32 ? 32 : ((d + 31) / 32) * 32; }

constexpr TileConfig tile_for(Path path, int hd, bool decode) {
  switch (path) {
    case Path::kBf16:
    case Path::kFp16:
      return decode ? decode16_tile(hd) : fwd16_tile(hd);
    case Path::kF32Bf16:
      return fwd16_tile(hd);
    case Path::kTf32:
      return tf32_tile(hd);
    default:
      return ffma_tile(hd);
  }
}

}  // namespace a4j
