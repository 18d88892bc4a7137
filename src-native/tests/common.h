// Helpers shared by the test and benchmark runners: host dtype conversion, strided device
// tensors, a C-ABI call wrapper.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "attention4j/attention4j.h"

#define CUDA_OK(call)                                                                              \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      std::exit(2);                                                                                \
    }                                                                                              \
  } while (0)

namespace a4jt {

inline int elem_bytes(int dtype) { return dtype == A4J_F32 ? 4 : 2; }
inline const char* dtype_name(int dtype) { return dtype == A4J_F32 ? "f32" : dtype == A4J_F16 ? "f16" : "bf16"; }

// Host value of a float after rounding to the dtype (round to nearest even).
inline float round_to(int dtype, float x) {
  if (dtype == A4J_F16) return __half2float(__float2half_rn(x));
  if (dtype == A4J_BF16) return __bfloat162float(__float2bfloat16_rn(x));
  return x;
}
inline void store_elem(int dtype, void* base, int64_t idx, float x) {
  if (dtype == A4J_F32) {
    static_cast<float*>(base)[idx] = x;
  } else if (dtype == A4J_F16) {
    static_cast<__half*>(base)[idx] = __float2half_rn(x);
  } else {
    static_cast<__nv_bfloat16*>(base)[idx] = __float2bfloat16_rn(x);
  }
}
inline float load_elem(int dtype, const void* base, int64_t idx) {
  if (dtype == A4J_F32) return static_cast<const float*>(base)[idx];
  if (dtype == A4J_F16) return __half2float(static_cast<const __half*>(base)[idx]);
  return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[idx]);
}

// Layouts of a logical [B, S, Hh, C] tensor.
enum Layout { kBSHD = 0, kBHSD = 1, kPadded = 2, kPaddedOdd = 3 };
inline const char* layout_name(int l) {
  return l == kBSHD ? "bshd" : l == kBHSD ? "bhsd" : l == kPadded ? "pad8" : "pad1";
}

struct DevTensor {
  void* ptr = nullptr;
  int64_t elems = 0;  // allocation in elements
  int64_t sb = 0, sr = 0, sh = 0;
  int B = 0, S = 0, Hh = 0, C = 0, dtype = 0;
  int64_t offset(int b, int s, int h, int c) const { return b * sb + s * sr + h * sh + c; }
};

// Allocates a strided tensor; bytes that are not logical elements hold NaN (0xFF bytes).
inline DevTensor alloc_tensor(int B, int S, int Hh, int C, int layout, int dtype) {
  DevTensor t;
  t.B = B; t.S = S; t.Hh = Hh; t.C = C; t.dtype = dtype;
  int64_t pitch = C;
  if (layout == kPadded) pitch = C + 8;
  if (layout == kPaddedOdd) pitch = C + 1;
  if (layout == kBHSD) {
    t.sr = pitch; t.sh = int64_t(S) * pitch; t.sb = int64_t(Hh) * S * pitch;
  } else {
    t.sh = pitch; t.sr = int64_t(Hh) * pitch; t.sb = int64_t(S) * Hh * pitch + (layout >= kPadded ? 3 * 8 : 0);
  }
  t.elems = int64_t(B) * t.sb + 64;
  CUDA_OK(cudaMalloc(&t.ptr, t.elems * elem_bytes(dtype)));
  CUDA_OK(cudaMemset(t.ptr, 0xFF, t.elems * elem_bytes(dtype)));
  return t;
}
inline void free_tensor(DevTensor& t) {
  if (t.ptr) cudaFree(t.ptr);
  t.ptr = nullptr;
}

// Uploads logical values ([B][S][Hh][C] row-major) into the strided tensor; gaps stay NaN.
inline void upload(DevTensor& t, const std::vector<float>& v) {
  const int eb = elem_bytes(t.dtype);
  std::vector<unsigned char> host(t.elems * eb, 0xFF);
  for (int b = 0; b < t.B; ++b)
    for (int s = 0; s < t.S; ++s)
      for (int h = 0; h < t.Hh; ++h)
        for (int c = 0; c < t.C; ++c)
          store_elem(t.dtype, host.data(), t.offset(b, s, h, c), v[((int64_t(b) * t.S + s) * t.Hh + h) * t.C + c]);
  CUDA_OK(cudaMemcpy(t.ptr, host.data(), host.size(), cudaMemcpyHostToDevice));
}

// Downloads the whole allocation (logical values and gaps).
inline std::vector<unsigned char> download_raw(const DevTensor& t) {
  std::vector<unsigned char> host(t.elems * elem_bytes(t.dtype));
  CUDA_OK(cudaMemcpy(host.data(), t.ptr, host.size(), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace a4jt
