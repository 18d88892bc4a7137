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
// (Deeper rings for grids of at most one CTA per SM, 6 stages at D = 128, were measured and lost:
// B = 1, 32/8 heads, graph replay, 4k 15.5 vs 14.7 us, 16k 34.9 vs 32.9 us; NOTES.md, third session.)
constexpr int decode_rows16_smem_bytes(int hd) {
  return 16 * (hd + 8) * 2 + (4 * decode_rows16_stages(hd) * 2 * 16 * (hd + 8) * 2 > 4 * 16 * hd * 4 + 2 * 4 * 16 * 4
                                  ? 4 * decode_rows16_stages(hd) * 2 * 16 * (hd + 8) * 2
                                  : 4 * 16 * hd * 4 + 2 * 4 * 16 * 4);
}
constexpr int kDecodeRows16MaxRows = 16;
// The TMA variant on sm_90 (flash_decode_tma_kernel.cuh): a ring of slots of 16 keys of K and V shared
// by the CTA's 4 consumer warps, 128B-swizzled: 16 slots (64 KiB) at D = 64, 12 (96 KiB) at D = 128 so
// that two CTAs still share an SM; + Q (padded rows, rounded to 1 KiB), barriers, 1 KiB alignment slack.
// Measured against the cp.async kernel in the same call (run r, bf16, 32/8 heads, D = 128, graph replay,
// % of copy bandwidth): B = 1: 4k 39.2 vs 37.7, 16k 70.6 vs 68.9, 64k 91.5 vs 89.2; B = 8: 84-101 vs
// 81-98; B = 64: 100-104 vs 97-99; 16/16 heads B = 1: 4k 54.6 vs 53.7, 16k 76.5 vs 72.1.
constexpr int decode_tma_slots(int hd) { return hd <= 64 ? 16 : 12; }
constexpr int decode_tma_smem_bytes(int hd) {
  return 1024 + (16 * (hd + 8) * 2 + 1023) / 1024 * 1024 +
         (decode_tma_slots(hd) * 2 * 16 * hd * 2 > 4 * 16 * hd * 4 + 2 * 4 * 16 * 4
              ? decode_tma_slots(hd) * 2 * 16 * hd * 2
              : 4 * 16 * hd * 4 + 2 * 4 * 16 * 4) +
         2 * decode_tma_slots(hd) * 8;
}

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
// Measured on H100 (bf16, S = 4096, TFLOP/s full / causal): D = 64: 128 keys 275 / 248 (chosen),
// 192 keys 263 / 239 (spills), 64 keys 241 / 211; D = 128: 128 keys 356 / 329 (chosen), 64 keys
// 333 / 298. (An unpipelined variant, 2-5% slower everywhere, was removed in the second session.)
constexpr bool sm90_supports(int hd) { return hd == 64 || hd == 128; }
constexpr int sm90_pipe_block_n(int hd) { return hd > 0 ? 128 : 128; }
constexpr int sm90_pipe_smem_bytes(int hd, int block_m = 128) {
  return block_m * hd * 2 + 4 * sm90_pipe_block_n(hd) * hd * 2 + 1024;
}
// Other tiles of the pipelined kernel (BM x BN [x CTAs per SM]); A4J_SM90_TILE forces one of its
// head dim (benchmarks, tests). Measured (bf16, H = 16, B*S = 32k, TFLOP/s non-causal / causal, two
// device calls of 2026-11-24, NOTES.md), D = 64:
//               S = 1k      S = 4k      S = 16k
//   128 x 128   237 / 179   275 / 244   283 / 287   (2 warpgroups, 1 CTA per SM)
//   192 x 96    224 / 161   276 / 242   308 / 292   (3 warpgroups: a K/V tile feeds 1.5x the MMA work)
//   128 x 96 x2 284 / 211   300 / 274   326 / 310
//   128 x 64 x2 292 / 220   319 / 288   332 / 320   (chosen until the warp-specialized kernel; FA2 in
//                                                    the same call: 267 / 197, 301 / 269, 308 / 300)
//   (64 x 128 and 192 x 128, measured earlier: never ahead, removed.)
// "x2": registers capped at 128 (launch bounds) so that two CTAs share an SM and one CTA's
// prologue, epilogue and barriers overlap the other's MMAs; at D = 64 that costs 32-56 bytes of
// spills and wins 7-24%. D = 128: 128 x 64 x2 spills 152 bytes (measured in NOTES.md).
// The warp-specialized kernel (flash_fwd_sm90_ws_kernel.cuh): 128 x 128 tiles, a ring of K and V
// stages filled by TMA; Q 128 rows + 2 x stages tiles + barriers + 1 KiB alignment slack. The default
// for both head dims (where its tensor maps can be encoded). Measured (bf16, H = 16, B*S = 32k,
// TFLOP/s non-causal / causal, run q of 2026-11-24, same call as the tiles above and PyTorch):
//               S = 1k      S = 4k      S = 16k
//   D = 64:     365 / 249   441 / 360   462 / 468   (best cp.async tile 290 / 220, 324 / 287, 340 / 328;
//                                                    FA2 270 / 193, 290 / 265, 305 / 296)
//   D = 128:    508 / 351   604 / 517   623 / 616   (128 x 128 cp.async 305 / 245, 342 / 319, 360 / 360;
//                                                    FA2 319 / 251, 341 / 314, 353 / 291;
//                                                    cuDNN 546 / 290, 635 / 549, 625 / 625)
constexpr int sm90_ws_block_n(int hd) { return hd > 0 ? 128 : 128; }
constexpr int sm90_ws_stages(int hd) { return hd > 0 ? 2 : 2; }
constexpr int sm90_ws_smem_bytes(int hd) {
  return 128 * hd * 2 + 2 * sm90_ws_stages(hd) * sm90_ws_block_n(hd) * hd * 2 + (1 + 4 * sm90_ws_stages(hd)) * 8 + 1024;
}
// "ws": the warp-specialized kernel (named "128x128ws"), used where its tensor maps can be encoded
// (else the head dim's best cp.async tile serves: 128 x 64 x2 at D = 64, 128 x 128 at D = 128).
struct Sm90Tile {
  int head_dim, block_m, block_n, min_blocks;
  bool ws;
};
constexpr Sm90Tile kSm90Tiles[] = {{64, 128, 128, 1, false},  {64, 192, 96, 1, false},  {64, 128, 96, 2, false},
                                   {64, 128, 64, 2, false},   {64, 128, 128, 1, true},  {128, 128, 128, 1, false},
                                   {128, 128, 64, 2, false},  {128, 128, 128, 1, true}};
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
