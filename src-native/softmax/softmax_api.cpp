// C ABI of the softmax family: validates every argument, fills one FwdParams, picks the kernel
// (dtype / compute mode / padded head dim, forward or split-KV decode) and launches it.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

#include "../common/device_info.h"
#include "../common/status.h"
#include "../include/attention4j/attention4j.h"
#include "launch.h"
#include "params.h"
#include "static_switch.h"
#include "tile_config.h"

namespace a4j {
namespace {

std::atomic<int> g_pointer_checks{1};

// ---------------------------------------------------------------------------------------------
// Pointer checks
// ---------------------------------------------------------------------------------------------
typedef int (*AddressRangeFn)(unsigned long long* base, size_t* size, unsigned long long ptr);

AddressRangeFn address_range_fn() {
  static AddressRangeFn fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult q{};
    if (cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", &f, 12000, cudaEnableDefault, &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess) {
      cudaGetLastError();
      f = nullptr;
    }
    return reinterpret_cast<AddressRangeFn>(f);
  }();
  return fn;
}

// The bytes [ptr + lo, ptr + hi) must be device-accessible memory of the current device and,
// where the driver reports the allocation's range, lie inside it.
int check_pointer(const char* fn, const char* name, const void* ptr, int64_t lo, int64_t hi, int device) {
  if (!g_pointer_checks.load(std::memory_order_relaxed)) return A4J_SUCCESS;
  cudaPointerAttributes attr{};
  cudaError_t e = cudaPointerGetAttributes(&attr, ptr);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "%s = %p is not a CUDA pointer (%s)", name, ptr, cudaGetErrorString(e));
  }
  if (attr.type == cudaMemoryTypeUnregistered) {
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "%s = %p is host memory unknown to CUDA; a device pointer is required",
                name, ptr);
  }
  if (attr.type == cudaMemoryTypeHost && attr.devicePointer != ptr) {
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "%s = %p is pinned host memory without a device mapping", name, ptr);
  }
  if (attr.type == cudaMemoryTypeDevice && attr.device != device) {
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "%s = %p lives on device %d but the current device is %d", name, ptr,
                attr.device, device);
  }
  if (attr.type == cudaMemoryTypeDevice) {
    if (AddressRangeFn range = address_range_fn()) {
      unsigned long long base = 0;
      size_t size = 0;
      if (range(&base, &size, reinterpret_cast<unsigned long long>(ptr)) == 0) {
        const long double first = static_cast<long double>(reinterpret_cast<uintptr_t>(ptr)) + lo;
        const long double last = static_cast<long double>(reinterpret_cast<uintptr_t>(ptr)) + hi;
        if (first < static_cast<long double>(base) || last > static_cast<long double>(base) + size) {
          return fail(A4J_ERROR_INVALID_ARGUMENT, fn,
                      "%s = %p: the tensor's extent [%lld, %lld) bytes from it leaves its allocation of %zu bytes at "
                      "0x%llx (check sizes and strides)",
                      name, ptr, static_cast<long long>(lo), static_cast<long long>(hi), size, base);
        }
      }
    }
  }
  return A4J_SUCCESS;
}

// Byte extent [lo, hi) of a [n0, n1, n2, cols] strided tensor (last dim contiguous).
void extent(int64_t n0, int64_t s0, int64_t n1, int64_t s1, int64_t n2, int64_t s2, int64_t cols, int64_t elem,
            int64_t& lo, int64_t& hi) {
  int64_t mn = 0, mx = 0;
  const int64_t n[3] = {n0, n1, n2}, s[3] = {s0, s1, s2};
  for (int d = 0; d < 3; ++d) {
    const int64_t span = (n[d] - 1) * s[d];
    if (span < 0) mn += span; else mx += span;
  }
  lo = mn * elem;
  hi = (mx + cols) * elem;
}

bool aligned(const void* p, int64_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }
bool stride_multiple(int64_t s, int64_t elems) { return s % elems == 0; }

// ---------------------------------------------------------------------------------------------
// Arguments common to forward and decode
// ---------------------------------------------------------------------------------------------
struct Args {
  int dtype, compute_mode;
  const void *q, *k, *v;
  void* out;
  float* lse;
  int64_t q_sb, q_sr, q_sh, k_sb, k_sr, k_sh, v_sb, v_sr, v_sh, o_sb, o_sr, o_sh;
  int B, Sq, Sk, H, Hkv, D, Dv;
  float scale, softcap;
  int causal, window_left, window_right;
  const float* alibi;
  int64_t alibi_sb;
  const int32_t *k_start, *k_end;
};

Path path_of(int dtype, int compute_mode) {
  if (dtype == A4J_BF16) return Path::kBf16;
  if (dtype == A4J_F16) return Path::kFp16;
  if (compute_mode == A4J_COMPUTE_TF32) return Path::kTf32;
  if (compute_mode == A4J_COMPUTE_BF16) return Path::kF32Bf16;
  return Path::kF32Exact;
}

int elem_size(int dtype) { return dtype == A4J_F32 ? 4 : 2; }

int check_sizes(const char* fn, int dtype, int compute_mode, int B, int Sq, int Sk, int H, int Hkv, int D, int Dv) {
  if (dtype != A4J_F32 && dtype != A4J_F16 && dtype != A4J_BF16)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "dtype = %d is not one of A4J_F32 (0), A4J_F16 (1), A4J_BF16 (2)",
                dtype);
  if (dtype == A4J_F32 && (compute_mode < 0 || compute_mode > 2))
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn,
                "compute_mode = %d is not one of EXACT (0), TF32 (1), BF16 (2)", compute_mode);
  if (B < 1 || B > 65535) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "batch = %d is out of range [1, 65535]", B);
  if (Sq < 1 || Sq > kMaxSeqLen)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "seqlen_q = %d is out of range [1, %d]", Sq, kMaxSeqLen);
  if (Sk < 1 || Sk > kMaxSeqLen)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "seqlen_k = %d is out of range [1, %d]", Sk, kMaxSeqLen);
  if (H < 1 || H > 65535) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "num_heads = %d is out of range [1, 65535]", H);
  if (Hkv < 1 || Hkv > H)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "num_heads_kv = %d is out of range [1, num_heads = %d]", Hkv, H);
  if (H % Hkv != 0)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "num_heads = %d is not a multiple of num_heads_kv = %d", H, Hkv);
  if (D < 1 || D > 256) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "head_dim = %d is out of range [1, 256]", D);
  if (Dv < 1 || Dv > 256) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "head_dim_v = %d is out of range [1, 256]", Dv);
  return A4J_SUCCESS;
}

int check_args(const char* fn, const Args& a) {
  int st = check_sizes(fn, a.dtype, a.compute_mode, a.B, a.Sq, a.Sk, a.H, a.Hkv, a.D, a.Dv);
  if (st != A4J_SUCCESS) return st;
  if (!a.q) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "q is NULL");
  if (!a.k) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "k is NULL");
  if (!a.v) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "v is NULL");
  if (!a.out) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "out is NULL");
  if (!std::isfinite(a.scale)) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "scale = %g is not finite", a.scale);
  if (!std::isfinite(a.softcap) || a.softcap < 0.f)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "softcap = %g must be finite and >= 0 (0 = off)", a.softcap);
  if (a.causal != 0 && a.causal != 1) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "causal = %d is not 0 or 1", a.causal);
  if (a.alibi && a.alibi_sb < 0)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "alibi_batch_stride = %lld is negative",
                static_cast<long long>(a.alibi_sb));
  if (a.alibi && a.alibi_sb > 0 && a.alibi_sb < a.H)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "alibi_batch_stride = %lld is smaller than num_heads = %d (use 0 for [H])",
                static_cast<long long>(a.alibi_sb), a.H);
  const int64_t lim = int64_t(1) << 46;
  const int64_t strides[12] = {a.q_sb, a.q_sr, a.q_sh, a.k_sb, a.k_sr, a.k_sh,
                               a.v_sb, a.v_sr, a.v_sh, a.o_sb, a.o_sr, a.o_sh};
  for (int s = 0; s < 12; ++s)
    if (strides[s] > lim || strides[s] < -lim)
      return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "stride %lld is out of range", static_cast<long long>(strides[s]));
  return A4J_SUCCESS;
}

int check_pointers(const char* fn, const Args& a, int device) {
  const int64_t e = elem_size(a.dtype);
  int64_t lo, hi;
  int st;
  extent(a.B, a.q_sb, a.Sq, a.q_sr, a.H, a.q_sh, a.D, e, lo, hi);
  if ((st = check_pointer(fn, "q", a.q, lo, hi, device)) != A4J_SUCCESS) return st;
  extent(a.B, a.k_sb, a.Sk, a.k_sr, a.Hkv, a.k_sh, a.D, e, lo, hi);
  if ((st = check_pointer(fn, "k", a.k, lo, hi, device)) != A4J_SUCCESS) return st;
  extent(a.B, a.v_sb, a.Sk, a.v_sr, a.Hkv, a.v_sh, a.Dv, e, lo, hi);
  if ((st = check_pointer(fn, "v", a.v, lo, hi, device)) != A4J_SUCCESS) return st;
  extent(a.B, a.o_sb, a.Sq, a.o_sr, a.H, a.o_sh, a.Dv, e, lo, hi);
  if ((st = check_pointer(fn, "out", a.out, lo, hi, device)) != A4J_SUCCESS) return st;
  if (a.lse && (st = check_pointer(fn, "lse", a.lse, 0, int64_t(a.B) * a.H * a.Sq * 4, device)) != A4J_SUCCESS)
    return st;
  if (a.alibi &&
      (st = check_pointer(fn, "alibi_slopes", a.alibi, 0, (int64_t(a.B - 1) * a.alibi_sb + a.H) * 4, device)) !=
          A4J_SUCCESS)
    return st;
  if (a.k_start && (st = check_pointer(fn, "k_start", a.k_start, 0, int64_t(a.B) * 4, device)) != A4J_SUCCESS)
    return st;
  if (a.k_end && (st = check_pointer(fn, "k_end", a.k_end, 0, int64_t(a.B) * 4, device)) != A4J_SUCCESS) return st;
  return A4J_SUCCESS;
}

// Fills everything but the split fields.
void fill_params(const Args& a, bool pack_heads, FwdParams& p) {
  std::memset(&p, 0, sizeof(p));
  p.q = a.q;
  p.k = a.k;
  p.v = a.v;
  p.o = a.out;
  p.lse = a.lse;
  p.q_sb = a.q_sb; p.q_sr = a.q_sr; p.q_sh = a.q_sh;
  p.k_sb = a.k_sb; p.k_sr = a.k_sr; p.k_sh = a.k_sh;
  p.v_sb = a.v_sb; p.v_sr = a.v_sr; p.v_sh = a.v_sh;
  p.o_sb = a.o_sb; p.o_sr = a.o_sr; p.o_sh = a.o_sh;
  p.B = a.B; p.Sq = a.Sq; p.Sk = a.Sk; p.H = a.H; p.Hkv = a.Hkv; p.D = a.D; p.Dv = a.Dv;
  p.h_per_kv = a.H / a.Hkv;
  p.G = pack_heads ? p.h_per_kv : 1;
  p.HG = a.H / p.G;
  p.M = a.Sq * p.G;

  const float log2e = 1.4426950408889634f;
  p.scale = a.scale;
  p.scale_log2 = a.scale * log2e;
  p.has_softcap = a.softcap > 0.f ? 1 : 0;
  p.softcap = a.softcap;
  p.softcap_prescale = p.has_softcap ? a.scale / a.softcap : 0.f;
  p.softcap_log2 = a.softcap * log2e;
  p.softcap_prescale2 = 2.f * log2e * p.softcap_prescale;
  p.plain_logits = (!p.has_softcap && a.alibi == nullptr && p.scale_log2 > 0.f) ? 1 : 0;
  p.exp_scale = p.plain_logits ? p.scale_log2 : 1.f;

  // Window canonicalization (FA2): negative or >= Sk means unbounded; causal forces right = 0.
  p.wl = (a.window_left < 0 || a.window_left >= a.Sk) ? kUnbounded : a.window_left;
  p.wr = a.causal ? 0 : ((a.window_right < 0 || a.window_right >= a.Sk) ? kUnbounded : a.window_right);
  p.alibi = a.alibi;
  p.alibi_sb = a.alibi_sb;
  p.alibi_causal = (p.wl == kUnbounded && p.wr == 0) ? 1 : 0;
  p.k_start = a.k_start;
  p.k_end = a.k_end;

  // 16-byte chunks: element count per chunk of the shared type, rows aligned in global bytes.
  const Path path = path_of(a.dtype, a.compute_mode);
  const int64_t e = elem_size(a.dtype);
  const int64_t epc = (path == Path::kBf16 || path == Path::kFp16 || path == Path::kF32Bf16) ? 8 : 4;
  const int64_t se = 16 / e;  // stride multiple for 16-byte alignment
  bool vec = a.D % epc == 0 && a.Dv % epc == 0;
  vec = vec && aligned(a.q, 16) && aligned(a.k, 16) && aligned(a.v, 16);
  const int64_t ls[9] = {a.q_sb, a.q_sr, a.q_sh, a.k_sb, a.k_sr, a.k_sh, a.v_sb, a.v_sr, a.v_sh};
  for (int s = 0; s < 9; ++s) vec = vec && stride_multiple(ls[s], se);
  p.vec_load = vec ? 1 : 0;
  p.vec_store = (a.Dv % 2 == 0 && aligned(a.out, 2 * e) && a.o_sb % 2 == 0 && a.o_sr % 2 == 0 && a.o_sh % 2 == 0) ? 1 : 0;
  p.vec_store16 = (a.Dv % (16 / e) == 0 && aligned(a.out, 16) && stride_multiple(a.o_sb, se) &&
                   stride_multiple(a.o_sr, se) && stride_multiple(a.o_sh, se)) ? 1 : 0;
  p.num_splits = 1;
}

int check_smem(const char* fn, Path path, int hd, bool decode16, const DeviceInfo& dev) {
  const TileConfig cfg = tile_for(path, hd, decode16);
  if (cfg.smem_bytes > dev.smem_optin)
    return fail(A4J_ERROR_UNSUPPORTED, fn,
                "this kernel needs %d bytes of shared memory per block, device %d allows %d (head dim %d)",
                cfg.smem_bytes, dev.device, dev.smem_optin, hd);
  if (dev.cc_major < 8)
    return fail(A4J_ERROR_UNSUPPORTED, fn, "device %d has compute capability %d.%d; sm_80 or newer is required",
                dev.device, dev.cc_major, dev.cc_minor);
  return A4J_SUCCESS;
}

// The sm_90a warpgroup-MMA kernels: bf16/fp16 forward, padded head dim 64 or 128, on a cc 9.0
// device, when this build holds sm_90a machine code (CMake defines A4J_HAS_SM90A) and the
// environment variable A4J_DISABLE_WGMMA is unset or "0" (variables are read at every call).
bool env_flag_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
}

bool use_sm90(Path path, int hd, const DeviceInfo& dev) {
#if defined(A4J_HAS_SM90A)
  if (path != Path::kBf16 && path != Path::kFp16) return false;
  if (!sm90_supports(hd) || dev.cc_major != 9 || dev.cc_minor != 0) return false;
  if (std::max({sm90_pipe_smem_bytes(hd), sm90_pipe_smem_bytes(hd, kSm90MaxBlockM), sm90_ws_smem_bytes(hd)}) >
      dev.smem_optin)
    return false;
  return !env_flag_set("A4J_DISABLE_WGMMA");
#else
  (void)path;
  (void)hd;
  (void)dev;
  return false;
#endif
}

// The tile of the wgmma kernels (tile_config.h): forced by A4J_SM90_TILE (one of this head dim's
// tiles, "BMxBN", "BMxBNx2" or "BMxBNws"), else the measured choice.
Sm90Tile sm90_tile(int hd) {
  if (const char* v = std::getenv("A4J_SM90_TILE")) {
    for (const Sm90Tile& t : kSm90Tiles) {
      char name[24];
      std::snprintf(name, sizeof(name), "%dx%d%s%s", t.block_m, t.block_n, t.min_blocks > 1 ? "x2" : "",
                    t.ws ? "ws" : "");
      if (t.head_dim == hd && std::strcmp(v, name) == 0) return t;
    }
  }
  return Sm90Tile{hd, 128, 128, 1, true};
}

// cuTensorMapEncodeTiled through the runtime (no link against the driver library), looked up once.
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      cudaGetLastError();
      return static_cast<PFN_cuTensorMapEncodeTiled_v12000>(nullptr);
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

// One [B, rows, heads, features] tensor (strides in elements) as a 4-D map with boxes of 64 features x
// box_rows rows, 128-byte swizzle. False where TMA cannot address it (strides not multiples of 16
// bytes, misaligned base, sizes out of range): the caller falls back to the cp.async kernel.
bool encode_map(CUtensorMap& map, const void* base, CUtensorMapDataType type, int features, int rows, int heads,
                int batch, int64_t s_row, int64_t s_head, int64_t s_batch, int box_rows) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (encode == nullptr || (reinterpret_cast<uintptr_t>(base) & 15) != 0) return false;
  const int64_t strides[3] = {s_row, s_head, s_batch};
  const int sizes[3] = {rows, heads, batch};
  cuuint64_t dims[4] = {cuuint64_t(features), cuuint64_t(rows), cuuint64_t(heads), cuuint64_t(batch)};
  cuuint64_t byte_strides[3];
  for (int i = 0; i < 3; ++i) {
    int64_t b = strides[i] * 2;
    if (sizes[i] == 1 && (b <= 0 || b % 16 != 0)) b = 16;  // an extent of one: the stride is never used
    if (b <= 0 || b % 16 != 0 || b >= (int64_t(1) << 40)) return false;
    byte_strides[i] = cuuint64_t(b);
  }
  cuuint32_t box[4] = {64, cuuint32_t(box_rows), 1, 1};
  cuuint32_t elem_strides[4] = {1, 1, 1, 1};
  return encode(&map, type, 4, const_cast<void*>(base), dims, byte_strides, box, elem_strides,
                CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

CUtensorMapDataType tensor_map_type(Path path) {
  return path == Path::kBf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
}

// The K and V maps of both TMA kernels, boxes of kv_rows keys.
bool encode_kv_maps(const FwdParams& p, Path path, int kv_rows, Sm90TmaMaps& maps) {
  return encode_map(maps.k, p.k, tensor_map_type(path), p.D, p.Sk, p.Hkv, p.B, p.k_sr, p.k_sh, p.k_sb, kv_rows) &&
         encode_map(maps.v, p.v, tensor_map_type(path), p.Dv, p.Sk, p.Hkv, p.B, p.v_sr, p.v_sh, p.v_sb, kv_rows);
}

// The warp-specialized kernel needs whole-tensor addressing: no per-batch key ranges, one query per
// tile row, no splits, and maps for q, k and v.
bool encode_ws_maps(const FwdParams& p, Path path, int hd, Sm90TmaMaps& maps) {
  if (p.k_start != nullptr || p.k_end != nullptr || p.G != 1 || p.num_splits != 1 || !p.vec_load) return false;
  return encode_map(maps.q, p.q, tensor_map_type(path), p.D, p.Sq, p.H, p.B, p.q_sr, p.q_sh, p.q_sb, 128) &&
         encode_kv_maps(p, path, sm90_ws_block_n(hd), maps);
}

template <Path P>
cudaError_t launch_sm90_path(int hd, const FwdParams& p, cudaStream_t s) {
  const Sm90Tile t = sm90_tile(hd);
  if (t.ws) {
    Sm90TmaMaps maps;
    if (encode_ws_maps(p, P, hd, maps)) return hd == 64 ? run_fwd_sm90_ws<P, 64>(p, maps, s) : run_fwd_sm90_ws<P, 128>(p, maps, s);
    // The best cp.async tile of the head dim (tile_config.h).
    return hd == 64 ? run_fwd_sm90_tile<P, 64, 128, 64, 2>(p, s) : run_fwd_sm90_pipe<P, 128>(p, s);
  }
  if (hd == 64) {
    if (t.block_m == 192) return run_fwd_sm90_tile<P, 64, 192, 96, 1>(p, s);
    if (t.min_blocks == 2) return t.block_n == 64 ? run_fwd_sm90_tile<P, 64, 128, 64, 2>(p, s)
                                                  : run_fwd_sm90_tile<P, 64, 128, 96, 2>(p, s);
    return run_fwd_sm90_pipe<P, 64>(p, s);
  }
  if (t.min_blocks == 2) return run_fwd_sm90_tile<P, 128, 128, 64, 2>(p, s);
  return run_fwd_sm90_pipe<P, 128>(p, s);
}

cudaError_t launch_sm90(Path path, int hd, const FwdParams& p, cudaStream_t s) {
  return path == Path::kBf16 ? launch_sm90_path<Path::kBf16>(hd, p, s) : launch_sm90_path<Path::kFp16>(hd, p, s);
}

cudaError_t launch(Path path, int hd, bool decode16, const FwdParams& p, cudaStream_t s) {
  return A4J_HEADDIM_SWITCH(hd, [&] {
    switch (path) {
      case Path::kBf16:
        return decode16 ? run_decode<Path::kBf16, kHD>(p, s) : run_fwd<Path::kBf16, kHD>(p, s);
      case Path::kFp16:
        return decode16 ? run_decode<Path::kFp16, kHD>(p, s) : run_fwd<Path::kFp16, kHD>(p, s);
      case Path::kTf32:
        return run_fwd<Path::kTf32, kHD>(p, s);
      case Path::kF32Bf16:
        return run_fwd<Path::kF32Bf16, kHD>(p, s);
      default:
        return run_fwd<Path::kF32Exact, kHD>(p, s);
    }
  });
}

// The decode kernel of few rows (flash_decode_kernel.cuh) serves 16-bit decode when the packed rows
// of a kv head fit its 16-row tile and its shared memory fits the device, unless
// A4J_DECODE_KERNEL=general (diagnosis, tests: the general kernel with the decode tiles).
bool use_decode_rows16(Path path, int hd, int Sq, int G, const DeviceInfo& dev) {
  if (path != Path::kBf16 && path != Path::kFp16) return false;
  if (int64_t(Sq) * G > kDecodeRows16MaxRows || decode_rows16_smem_bytes(hd) > dev.smem_optin) return false;
  const char* v = std::getenv("A4J_DECODE_KERNEL");
  return v == nullptr || std::strcmp(v, "general") != 0;
}

// Its TMA variant (flash_decode_tma_kernel.cuh): on a cc 9.0 device with sm_90a code, padded head dim
// 64 or 128, K and V addressable by tensor maps, unless A4J_DECODE_KERNEL=cpasync (diagnosis, tests).
bool encode_decode_tma_maps(Path path, int hd, const FwdParams& p, const DeviceInfo& dev, Sm90TmaMaps& maps) {
#if defined(A4J_HAS_SM90A)
  if ((hd != 64 && hd != 128) || dev.cc_major != 9 || dev.cc_minor != 0 || decode_tma_smem_bytes(hd) > dev.smem_optin)
    return false;
  const char* v = std::getenv("A4J_DECODE_KERNEL");
  if (v != nullptr && std::strcmp(v, "cpasync") == 0) return false;
  return encode_kv_maps(p, path, 16, maps);
#else
  (void)path;
  (void)hd;
  (void)p;
  (void)dev;
  (void)maps;
  return false;
#endif
}

cudaError_t launch_decode_rows16(Path path, int hd, const FwdParams& p, const DeviceInfo& dev, cudaStream_t s) {
  Sm90TmaMaps maps;
  if (encode_decode_tma_maps(path, hd, p, dev, maps)) {
    if (path == Path::kBf16)
      return hd == 64 ? run_decode_tma<Path::kBf16, 64>(p, maps, s) : run_decode_tma<Path::kBf16, 128>(p, maps, s);
    return hd == 64 ? run_decode_tma<Path::kFp16, 64>(p, maps, s) : run_decode_tma<Path::kFp16, 128>(p, maps, s);
  }
  return A4J_HEADDIM_SWITCH(hd, [&] {
    return path == Path::kBf16 ? run_decode_rows16<Path::kBf16, kHD>(p, s) : run_decode_rows16<Path::kFp16, kHD>(p, s);
  });
}

// ---------------------------------------------------------------------------------------------
// Split-KV plan
// ---------------------------------------------------------------------------------------------
struct SplitPlan {
  bool rows16;  // the few-rows decode kernel serves the call (the split rule depends on it)
  int splits;
  size_t ws_o_bytes, ws_bytes;
};

// FlashAttention-2's idea: with few CTAs, split the keys so that the grid fills the GPU, choosing
// the smallest split count whose wave efficiency is within 85% (95% for the few-rows kernel) of the best. `per_sm`: the CTAs per
// SM a wave counts. The few-rows decode kernel is best at one per SM (measured at B = 1, 4k / 64k
// cache, 32/8 heads, graph replay: 16 splits 14.8 / 101 us, 32 splits 16.4 / 104 us, 8 splits
// 15.8 / 114 us; B = 8, 16k: 2 splits 191 us, 4 splits 194 us; NOTES.md); the general kernel two.
int choose_splits(int64_t ctas, int n_tiles, int sm_count, int B, int requested, int per_sm) {
  const int max_splits = std::max(1, std::min({n_tiles, 256, 65535 / B}));
  if (requested > 0) return std::min(requested, max_splits);
  const double slots = double(per_sm) * sm_count;
  if (ctas >= 0.8 * slots) return 1;
  double eff[257] = {0};
  double best = 0;
  for (int s = 1; s <= max_splits; ++s) {
    const int per = (n_tiles + s - 1) / s;
    if (s > 1 && (n_tiles + per - 1) / per != s) continue;  // some split would own no tile
    const double waves = double(ctas) * s / slots;
    eff[s] = waves / std::ceil(waves);
    best = std::max(best, eff[s]);
  }
  // The few-rows kernel asks for 95%: at B = 1, 64k, 14 splits (85% of a wave) took 104-107 us against
  // 101 us for 16 (97%); the general kernel keeps FlashAttention-2's 85%.
  const double tol = per_sm == 1 ? 0.95 : 0.85;
  for (int s = 1; s <= max_splits; ++s)
    if (eff[s] >= tol * best) return s;
  return 1;
}

SplitPlan plan_splits(Path path, int hd, int B, int Sq, int Sk, int H, int Hkv, int Dv, int requested,
                      const DeviceInfo& dev) {
  const bool decode16 = path == Path::kBf16 || path == Path::kFp16;
  const TileConfig cfg = tile_for(path, hd, decode16);
  const int G = H / Hkv;
  const int64_t m_blocks = (int64_t(Sq) * G + cfg.block_m - 1) / cfg.block_m;
  const int n_tiles = (Sk + cfg.block_n - 1) / cfg.block_n;
  SplitPlan plan{};
  plan.rows16 = use_decode_rows16(path, hd, Sq, G, dev);
  plan.splits = choose_splits(int64_t(B) * Hkv * m_blocks, n_tiles, dev.sm_count, B, requested, plan.rows16 ? 1 : 2);
  if (plan.splits > 1) {
    const size_t rows = size_t(B) * H * Sq * plan.splits;
    plan.ws_o_bytes = (rows * Dv * 4 + 255) / 256 * 256;
    plan.ws_bytes = plan.ws_o_bytes + rows * 4;
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------
int forward(const Args& a, cudaStream_t stream) {
  const char* fn = "a4j_softmax_forward";
  int st = check_args(fn, a);
  if (st != A4J_SUCCESS) return st;
  DeviceInfo dev;
  cudaError_t e = current_device_info(dev);
  if (e != cudaSuccess) return fail_cuda(fn, "cudaGetDevice/cudaDeviceGetAttribute", e);
  const Path path = path_of(a.dtype, a.compute_mode);
  const int hd = padded_headdim(std::max(a.D, a.Dv));
  if ((st = check_smem(fn, path, hd, false, dev)) != A4J_SUCCESS) return st;
  if ((st = check_pointers(fn, a, dev.device)) != A4J_SUCCESS) return st;
  FwdParams p;
  fill_params(a, false, p);
  cudaGetLastError();  // a stale error of an earlier call must not be reported as ours
  e = use_sm90(path, hd, dev) ? launch_sm90(path, hd, p, stream) : launch(path, hd, false, p, stream);
  if (e != cudaSuccess) return fail_cuda(fn, "kernel launch", e);
  return A4J_SUCCESS;
}

int decode(const Args& a, int num_splits, void* workspace, size_t workspace_bytes, cudaStream_t stream) {
  const char* fn = "a4j_softmax_decode";
  int st = check_args(fn, a);
  if (st != A4J_SUCCESS) return st;
  if (num_splits < 0) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "num_splits = %d is negative", num_splits);
  if (int64_t(a.Sq) * (a.H / a.Hkv) > kMaxSeqLen)
    return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "seqlen_q = %d is too long for decode", a.Sq);
  DeviceInfo dev;
  cudaError_t e = current_device_info(dev);
  if (e != cudaSuccess) return fail_cuda(fn, "cudaGetDevice/cudaDeviceGetAttribute", e);
  const Path path = path_of(a.dtype, a.compute_mode);
  const bool decode16 = path == Path::kBf16 || path == Path::kFp16;
  const int hd = padded_headdim(std::max(a.D, a.Dv));
  if ((st = check_smem(fn, path, hd, decode16, dev)) != A4J_SUCCESS) return st;
  if ((st = check_pointers(fn, a, dev.device)) != A4J_SUCCESS) return st;

  const SplitPlan plan = plan_splits(path, hd, a.B, a.Sq, a.Sk, a.H, a.Hkv, a.Dv, num_splits, dev);
  FwdParams p;
  fill_params(a, true, p);
  p.num_splits = plan.splits;
  cudaGetLastError();
  if (plan.splits == 1) {
    e = plan.rows16 ? launch_decode_rows16(path, hd, p, dev, stream) : launch(path, hd, decode16, p, stream);
    if (e != cudaSuccess) return fail_cuda(fn, "kernel launch", e);
    return A4J_SUCCESS;
  }
  void* ws = workspace;
  bool owned = false;
  if (ws == nullptr) {
    if (!dev.mem_pools)
      return fail(A4J_ERROR_WORKSPACE, fn,
                  "no workspace given and device %d has no stream-ordered allocator; pass %zu bytes of workspace",
                  dev.device, plan.ws_bytes);
    e = cudaMallocAsync(&ws, plan.ws_bytes, stream);
    if (e != cudaSuccess) return fail_cuda(fn, "cudaMallocAsync (decode workspace)", e);
    owned = true;
  } else {
    if (workspace_bytes < plan.ws_bytes)
      return fail(A4J_ERROR_WORKSPACE, fn, "workspace_bytes = %zu, but %d splits need %zu bytes", workspace_bytes,
                  plan.splits, plan.ws_bytes);
    if (!aligned(ws, 16)) return fail(A4J_ERROR_INVALID_ARGUMENT, fn, "workspace %p is not 16-byte aligned", ws);
    if ((st = check_pointer(fn, "workspace", ws, 0, int64_t(plan.ws_bytes), dev.device)) != A4J_SUCCESS) return st;
  }
  p.ws_o = static_cast<float*>(ws);
  p.ws_lse = reinterpret_cast<float*>(static_cast<char*>(ws) + plan.ws_o_bytes);
  e = plan.rows16 ? launch_decode_rows16(path, hd, p, dev, stream) : launch(path, hd, decode16, p, stream);
  // PDL on cc >= 9.0 unless A4J_DISABLE_PDL is set (diagnosis; both paths are tested).
  if (e == cudaSuccess) e = run_combine(p, a.dtype, dev.cc_major >= 9 && !env_flag_set("A4J_DISABLE_PDL"), stream);
  int result = A4J_SUCCESS;
  if (e != cudaSuccess) result = fail_cuda(fn, "kernel launch", e);
  if (owned) {
    cudaError_t ef = cudaFreeAsync(ws, stream);
    if (ef != cudaSuccess && result == A4J_SUCCESS) result = fail_cuda(fn, "cudaFreeAsync (decode workspace)", ef);
  }
  return result;
}

}  // namespace
}  // namespace a4j

// ---------------------------------------------------------------------------------------------
// extern "C"
// ---------------------------------------------------------------------------------------------
#define A4J_FILL_ARGS                                                                                           \
  a4j::Args a;                                                                                                  \
  a.dtype = dtype; a.compute_mode = compute_mode;                                                               \
  a.q = q; a.k = k; a.v = v; a.out = out; a.lse = lse;                                                          \
  a.q_sb = q_batch_stride; a.q_sr = q_row_stride; a.q_sh = q_head_stride;                                       \
  a.k_sb = k_batch_stride; a.k_sr = k_row_stride; a.k_sh = k_head_stride;                                       \
  a.v_sb = v_batch_stride; a.v_sr = v_row_stride; a.v_sh = v_head_stride;                                       \
  a.o_sb = out_batch_stride; a.o_sr = out_row_stride; a.o_sh = out_head_stride;                                 \
  a.B = batch; a.Sq = seqlen_q; a.Sk = seqlen_k; a.H = num_heads; a.Hkv = num_heads_kv;                         \
  a.D = head_dim; a.Dv = head_dim_v;                                                                            \
  a.scale = scale; a.softcap = softcap; a.causal = causal;                                                      \
  a.window_left = window_left; a.window_right = window_right;                                                   \
  a.alibi = alibi_slopes; a.alibi_sb = alibi_batch_stride;                                                      \
  a.k_start = k_start; a.k_end = k_end;

extern "C" {

void a4j_set_pointer_checks(int enabled) { a4j::g_pointer_checks.store(enabled ? 1 : 0); }

int a4j_softmax_forward(int dtype, int compute_mode, const void* q, int64_t q_batch_stride, int64_t q_row_stride,
                        int64_t q_head_stride, const void* k, int64_t k_batch_stride, int64_t k_row_stride,
                        int64_t k_head_stride, const void* v, int64_t v_batch_stride, int64_t v_row_stride,
                        int64_t v_head_stride, void* out, int64_t out_batch_stride, int64_t out_row_stride,
                        int64_t out_head_stride, float* lse, int batch, int seqlen_q, int seqlen_k, int num_heads,
                        int num_heads_kv, int head_dim, int head_dim_v, float scale, float softcap, int causal,
                        int window_left, int window_right, const float* alibi_slopes, int64_t alibi_batch_stride,
                        const int32_t* k_start, const int32_t* k_end, void* stream) {
  try {
    a4j::clear_error();
    A4J_FILL_ARGS
    return a4j::forward(a, static_cast<cudaStream_t>(stream));
  } catch (...) {
    return a4j::fail(A4J_ERROR_INTERNAL, "a4j_softmax_forward", "unexpected C++ exception");
  }
}

int a4j_softmax_decode(int dtype, int compute_mode, const void* q, int64_t q_batch_stride, int64_t q_row_stride,
                       int64_t q_head_stride, const void* k, int64_t k_batch_stride, int64_t k_row_stride,
                       int64_t k_head_stride, const void* v, int64_t v_batch_stride, int64_t v_row_stride,
                       int64_t v_head_stride, void* out, int64_t out_batch_stride, int64_t out_row_stride,
                       int64_t out_head_stride, float* lse, int batch, int seqlen_q, int seqlen_k, int num_heads,
                       int num_heads_kv, int head_dim, int head_dim_v, float scale, float softcap, int causal,
                       int window_left, int window_right, const float* alibi_slopes, int64_t alibi_batch_stride,
                       const int32_t* k_start, const int32_t* k_end, int num_splits, void* workspace,
                       size_t workspace_bytes, void* stream) {
  try {
    a4j::clear_error();
    A4J_FILL_ARGS
    return a4j::decode(a, num_splits, workspace, workspace_bytes, static_cast<cudaStream_t>(stream));
  } catch (...) {
    return a4j::fail(A4J_ERROR_INTERNAL, "a4j_softmax_decode", "unexpected C++ exception");
  }
}

int a4j_softmax_decode_workspace_size(int dtype, int compute_mode, int batch, int seqlen_q, int seqlen_k,
                                      int num_heads, int num_heads_kv, int head_dim, int head_dim_v, int num_splits,
                                      size_t* bytes_out, int* splits_out) {
  const char* fn = "a4j_softmax_decode_workspace_size";
  try {
    a4j::clear_error();
    int st = a4j::check_sizes(fn, dtype, compute_mode, batch, seqlen_q, seqlen_k, num_heads, num_heads_kv, head_dim,
                              head_dim_v);
    if (st != A4J_SUCCESS) return st;
    if (!bytes_out) return a4j::fail(A4J_ERROR_INVALID_ARGUMENT, fn, "bytes_out is NULL");
    if (num_splits < 0) return a4j::fail(A4J_ERROR_INVALID_ARGUMENT, fn, "num_splits = %d is negative", num_splits);
    a4j::DeviceInfo dev;
    cudaError_t e = a4j::current_device_info(dev);
    if (e != cudaSuccess) return a4j::fail_cuda(fn, "cudaGetDevice/cudaDeviceGetAttribute", e);
    const a4j::Path path = a4j::path_of(dtype, compute_mode);
    const int hd = a4j::padded_headdim(std::max(head_dim, head_dim_v));
    const a4j::SplitPlan plan =
        a4j::plan_splits(path, hd, batch, seqlen_q, seqlen_k, num_heads, num_heads_kv, head_dim_v, num_splits, dev);
    *bytes_out = plan.ws_bytes;
    if (splits_out) *splits_out = plan.splits;
    return A4J_SUCCESS;
  } catch (...) {
    return a4j::fail(A4J_ERROR_INTERNAL, fn, "unexpected C++ exception");
  }
}

}  // extern "C"
