// Small named tile helpers: the PTX instructions the kernels are built from (cp.async, ldmatrix,
// mma.sync), element conversions, and the tile loader that moves a [rows x head_dim] slab from
// global memory into a padded shared-memory tile.
//
// Shared-memory tiles are row-major with one 16-byte chunk of padding per row: with a head dim
// that is a multiple of 32 elements the row pitch is then 4 words (mod 32) off a bank multiple,
// so the 8 rows an ldmatrix phase reads (or 8 threads of a 16-byte access) hit distinct banks.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>

namespace a4j {

// ---------------------------------------------------------------------------------------------
// Programmatic dependent launch (sm_90+; no-ops before): a primary grid lets its dependent grid be
// scheduled early, and the dependent waits until the primary's results are visible.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void grid_dependents_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void grid_dependency_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

// ---------------------------------------------------------------------------------------------
// Element conversions
// ---------------------------------------------------------------------------------------------
template <class T> __device__ __forceinline__ float to_float(T x);
template <> __device__ __forceinline__ float to_float<float>(float x) { return x; }
template <> __device__ __forceinline__ float to_float<__half>(__half x) { return __half2float(x); }
template <> __device__ __forceinline__ float to_float<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }

template <class T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Two floats into one 32-bit register of two 16-bit values (lo in the low half), round to nearest.
template <class T> __device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <> __device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}
template <> __device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

__device__ __forceinline__ uint32_t to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
}
__device__ __forceinline__ uint32_t to_tf32_bits(uint32_t x) { return to_tf32(__uint_as_float(x)); }

// Fast base-2 exponential (MUFU.EX2); exp2(-inf) = +0.
__device__ __forceinline__ float fast_exp2(float x) {
  float r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}

// tanh from one exponential: 1 - 2 / (1 + e^{2x}), with e^{2x} = exp2(x2log2e) passed in as the
// argument's exponent. Its ABSOLUTE error is ~1e-7 (what a softcap logit c * tanh needs);
// saturates to +-1 for large |x|, no NaN. (tanh.approx has ~5e-4 relative error.)
__device__ __forceinline__ float tanh_from_exp2(float x_times_2log2e) {
  return 1.f - __fdividef(2.f, 1.f + fast_exp2(x_times_2log2e));
}

// ---------------------------------------------------------------------------------------------
// cp.async (16 bytes, L2 only), with zero fill when src_bytes == 0
// ---------------------------------------------------------------------------------------------
// The cp.async of every kernel, with an L2 prefetch hint of A4J_L2_PREFETCH bytes (256 by default;
// 128, or 0 for none: e.g. CUDAFLAGS=-DA4J_L2_PREFETCH=0 when configuring).
#ifndef A4J_L2_PREFETCH
#define A4J_L2_PREFETCH 256
#endif
#if A4J_L2_PREFETCH == 256
#define A4J_CP_ASYNC_16 "cp.async.cg.shared.global.L2::256B [%0], [%1], 16, %2;\n"
#elif A4J_L2_PREFETCH == 128
#define A4J_CP_ASYNC_16 "cp.async.cg.shared.global.L2::128B [%0], [%1], 16, %2;\n"
#else
#define A4J_CP_ASYNC_16 "cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
#endif

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
__device__ __forceinline__ void cp_async_16(void* smem_dst, const void* gmem_src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile(A4J_CP_ASYNC_16 ::"r"(smem_addr(smem_dst)), "l"(gmem_src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }

// ---------------------------------------------------------------------------------------------
// ldmatrix: four 8x8 matrices of 16-bit elements (or 8 rows x 4 fp32), one row address per lane
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// ---------------------------------------------------------------------------------------------
// Tensor-core MMA policies. A fragment: 4 regs, B fragment: 2 regs, C/D: 4 fp32 (m16n8).
// C layout (all policies): c0,c1 -> row g, cols 2t,2t+1; c2,c3 -> row g+8 (g = lane/4, t = lane%4).
// ---------------------------------------------------------------------------------------------
template <class Tc> struct MmaPolicy;

template <> struct MmaPolicy<__nv_bfloat16> {
  static constexpr int kK = 16;  // k extent of one mma
  static constexpr bool kIsTf32 = false;
  __device__ __forceinline__ static void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};
template <> struct MmaPolicy<__half> {
  static constexpr int kK = 16;
  static constexpr bool kIsTf32 = false;
  __device__ __forceinline__ static void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};
// TF32: m16n8k8. A: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4); B: b0 (k=t, n=g), b1 (k=t+4, n=g).
template <> struct MmaPolicy<float> {
  static constexpr int kK = 8;
  static constexpr bool kIsTf32 = true;
  __device__ __forceinline__ static void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
};

// ---------------------------------------------------------------------------------------------
// Tile loader: rows [0, ROWS) x cols [0, HD) of a shared tile (element type Tc, row pitch PITCH
// elements) from global memory (element type Tin). Row r reads from `base + row_off(r)`, or is
// zero-filled when row_off(r) < 0; columns >= ncols are zero-filled.
//   vec: 16-byte aligned rows, ncols a multiple of the chunk (16 bytes of Tin), so every chunk
//        is whole: cp.async when Tin == Tc, vector loads + conversion otherwise.
//   !vec: element by element (any alignment, any ncols).
// The NTHREADS threads that share the copy are numbered by `tid` (load_tile: the CTA's threads;
// a warp copying a tile of its own passes its lane).
// ---------------------------------------------------------------------------------------------
template <class Tin, class Tc, int ROWS, int HD, int PITCH, int NTHREADS, class RowOff>
__device__ __forceinline__ void load_tile_by(int tid, Tc* __restrict__ smem, const Tin* __restrict__ base, int ncols,
                                             bool vec, const RowOff& row_off) {
  constexpr int kEpc = 16 / sizeof(Tc);     // Tc elements per 16-byte shared chunk
  constexpr int kCpr = HD / kEpc;           // chunks per row
  constexpr int kChunks = ROWS * kCpr;
  static_assert(HD % kEpc == 0, "head dim must be a multiple of the chunk");
  if (vec) {
    // Chunk c = tid + k * NTHREADS. When NTHREADS is a multiple of the chunks per row, a thread
    // keeps one column and steps down the rows by a constant, so its addresses are a base plus
    // compile-time offsets (few registers live across the main loop).
    constexpr bool kFixedCol = NTHREADS % kCpr == 0;
    constexpr int kRowStep = kFixedCol ? NTHREADS / kCpr : 1;
    constexpr int kIters = kFixedCol ? (ROWS + kRowStep - 1) / kRowStep : (kChunks + NTHREADS - 1) / NTHREADS;
    // (The fp32 -> 16-bit path loads into registers: one chunk at a time.)
#pragma unroll(sizeof(Tin) == sizeof(Tc) ? kIters : 1)
    for (int it = 0; it < kIters; ++it) {
      int r, col;
      bool in_tile;
      if constexpr (kFixedCol) {
        r = tid / kCpr + it * kRowStep;
        col = (tid % kCpr) * kEpc;
        in_tile = ROWS % kRowStep == 0 || r < ROWS;
      } else {
        const int c = tid + it * NTHREADS;
        r = c / kCpr;
        col = (c % kCpr) * kEpc;
        in_tile = kChunks % NTHREADS == 0 || c < kChunks;
      }
      if (in_tile) {
        const int64_t off = row_off(r);
        const bool ok = off >= 0 && col < ncols;
        Tc* dst = smem + r * PITCH + col;
        if constexpr (sizeof(Tin) == sizeof(Tc)) {
          cp_async_16(dst, ok ? static_cast<const void*>(base + off + col) : static_cast<const void*>(base), ok);
        } else {
          // fp32 global -> 16-bit shared (bf16 compute mode): 8 floats per chunk.
          static_assert(sizeof(Tin) == 4 && sizeof(Tc) == 2, "conversion path is fp32 -> 16-bit");
          float4 x0 = make_float4(0.f, 0.f, 0.f, 0.f), x1 = x0;
          if (ok) {
            const float4* src = reinterpret_cast<const float4*>(base + off + col);
            x0 = src[0];
            x1 = src[1];
          }
          uint4 packed;
          packed.x = pack2<Tc>(x0.x, x0.y);
          packed.y = pack2<Tc>(x0.z, x0.w);
          packed.z = pack2<Tc>(x1.x, x1.y);
          packed.w = pack2<Tc>(x1.z, x1.w);
          *reinterpret_cast<uint4*>(dst) = packed;
        }
      }
    }
  } else {
    constexpr int kElems = ROWS * HD;
    for (int e = tid; e < kElems; e += NTHREADS) {
      const int r = e / HD, col = e % HD;
      const int64_t off = row_off(r);
      float x = 0.f;
      if (off >= 0 && col < ncols) x = to_float(base[off + col]);
      smem[r * PITCH + col] = from_float<Tc>(x);
    }
  }
}

template <class Tin, class Tc, int ROWS, int HD, int PITCH, int NTHREADS, class RowOff>
__device__ __forceinline__ void load_tile(Tc* __restrict__ smem, const Tin* __restrict__ base, int ncols, bool vec,
                                          const RowOff& row_off) {
  load_tile_by<Tin, Tc, ROWS, HD, PITCH, NTHREADS>(threadIdx.x, smem, base, ncols, vec, row_off);
}

}  // namespace a4j
