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
// Measured on H100 (bf16, S = 4096, H = 16, TFLOP/s full / causal; NOTES.md has all variants):
//   D = 64:  128x128 w4 267 / 240 (chosen); 128x64 w4 238 / 214; 64x128 w4 241 / 221;
//            128x128 w8 178 / 170.
//   D = 128: 128x64 w4 309 / 266 (chosen); 128x32 w4 271 / 253; 64x64 w4 257 / 243;
//            128x64 w8 211 / 191.
constexpr TileConfig fwd16_tile(int hd) {
  const int bm = hd <= 160 ? 128 : 64;
  const int bn = hd <= 64 ? 128 : 64;
  const int w = hd <= 128 ? 4 : (hd <= 160 ? 8 : 4);
  return TileConfig{bm, bn, w, 2, (bm + 2 * bn) * (hd + 8) * 2};
}

// bf16/fp16 split-KV decode: few query rows (the packed heads of one kv head), so a short
// 64-row tile, 4 warps, 64-key tiles.
constexpr TileConfig decode16_tile(int hd) { return TileConfig{64, 64, 4, 2, (64 + 2 * 64) * (hd + 8) * 2}; }

// bf16/fp16 decode of at most 16 rows (flash_decode_kernel.cuh): Q 16 rows + per warp (4) a ring of
// stages of 16 keys of K and V, or the merge buffer. A warp keeps stages - 1 chunks in flight while
// it computes one: 4 stages up to D = 64 (74 KiB), 3 up to 128 (109 KiB: 2 CTAs per H100 SM; above
// the 99 KiB of sm_86/89, where the general kernel serves), 2 up to 160, then 1.
constexpr int decode_rows16_stages(int hd) { return hd <= 64 ? 4 : (hd <= 128 ? 3 : (hd <= 160 ? 2 : 1)); }
constexpr int decode_rows16_smem_bytes(int hd) {
  return 16 * (hd + 8) * 2 + (4 * decode_rows16_stages(hd) * 2 * 16 * (hd + 8) * 2 > 4 * 16 * hd * 4 + 2 * 4 * 16 * 4
                                  ? 4 * decode_rows16_stages(hd) * 2 * 16 * (hd + 8) * 2
                                  : 4 * 16 * hd * 4 + 2 * 4 * 16 * 4);
}
constexpr int kDecodeRows16MaxRows = 16;

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

// sm_90a wgmma forward (bf16/fp16, padded head dim 64 or 128): Q tile 128 rows (2 warpgroups),
// K/V tiles of 128 keys, double-buffered, 128B-swizzled (no padding) + 1 KiB alignment slack.
// Measured on H100 (bf16, S = 4096, TFLOP/s full / causal), plain kernel: D = 64: 128 keys 259 /
// 237, 192 keys 273 / 246; D = 128: 128 keys 343 / 317, 64 keys 317 / 294.
constexpr int sm90_block_n(int hd) { return hd <= 128 ? 128 : 64; }
constexpr int sm90_smem_bytes(int hd) { return 128 * hd * 2 + 4 * sm90_block_n(hd) * hd * 2 + 1024; }
constexpr bool sm90_supports(int hd) { return hd == 64 || hd == 128; }
// The pipelined sm90 kernel (the default): 128-key tiles. Measured (as above): D = 64: 128 keys
// 275 / 248 (chosen), 192 keys 263 / 239 (spills), 64 keys 241 / 211; D = 128: 128 keys
// 356 / 329 (chosen), 64 keys 333 / 298.
constexpr int sm90_pipe_block_n(int hd) { return hd > 0 ? 128 : 128; }
constexpr int sm90_pipe_smem_bytes(int hd, int block_m = 128) {
  return block_m * hd * 2 + 4 * sm90_pipe_block_n(hd) * hd * 2 + 1024;
}
// Other tiles of the pipelined kernel at D = 64 (BM x BN): 64 x 128 (one warpgroup, 2 CTAs per
// SM: one CTA's prologue and epilogue overlap the other's loop), 192 x 96 and 192 x 128 (three
// warpgroups: a K/V tile feeds 1.5x the MMA work; 192 x 128 spills ~200 bytes at the 168-register
// cap of a 384-thread CTA, 192 x 96 does not). At D = 128 the 192-row accumulators do not fit.
// A4J_SM90_D64_TILE=64x128|128x128|192x96|192x128 forces one (benchmarks, tests). Measured (bf16,
// H = 16, B*S = 32k, TFLOP/s, non-causal / causal): S = 1k: 218/136, 237/180, 226/162, 236/157;
// S = 4k: 261/234, 275/244, 277/245, 285/241; S = 16k: 273/272, 287/288, 310/294, 306/289 (the
// tiles in the order above). Chosen: 192 x 96 from 4k rows, else 128 x 128 (softmax_api.cpp).
struct Sm90Tile {
  int block_m, block_n;
};
constexpr Sm90Tile kSm90D64Tiles[] = {{64, 128}, {128, 128}, {192, 96}, {192, 128}};
constexpr int kSm90MaxBlockM = 192;

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
