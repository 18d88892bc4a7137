// Traits per (path, head dim) from tile_config.h, and the launches. Included by the one-line
// instantiation files in instantiations/.
#pragma once

#include <cuda_runtime.h>

#include "combine_kernel.cuh"
#include "ffma_fwd_kernel.cuh"
#include "flash_decode_kernel.cuh"
#include "flash_decode_tma_kernel.cuh"
#include "flash_fwd_kernel.cuh"
#include "flash_fwd_sm90_kernel.cuh"
#include "flash_fwd_sm90_ws_kernel.cuh"
#include "launch.h"
#include "tile_config.h"

namespace a4j {

template <Path P> struct PathTypes;
template <> struct PathTypes<Path::kBf16> { using Tin = __nv_bfloat16; using Tc = __nv_bfloat16; };
template <> struct PathTypes<Path::kFp16> { using Tin = __half; using Tc = __half; };
template <> struct PathTypes<Path::kTf32> { using Tin = float; using Tc = float; };
template <> struct PathTypes<Path::kF32Bf16> { using Tin = float; using Tc = __nv_bfloat16; };

template <Path P, int HD, bool kDecode>
struct FlashTraitsFor {
  static constexpr TileConfig kCfg = tile_for(P, HD, kDecode);
  using type = FlashFwdTraits<typename PathTypes<P>::Tin, typename PathTypes<P>::Tc, HD, kCfg.block_m, kCfg.block_n,
                              kCfg.warps>;
  static_assert(type::kSmem == kCfg.smem_bytes, "tile_config.h and kernel_traits.h disagree");
};

template <class Kernel>
inline cudaError_t set_smem(Kernel kernel, int smem) {
  if (smem <= 48 * 1024) return cudaSuccess;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
}

// Every softmax kernel's launch: one CTA per (row tile, head group, batch x split), the traits'
// threads and dynamic shared memory (opted into above 48 KiB); `extra` follows the params (the TMA
// kernels' tensor maps).
template <class KT, class Kernel, class... Extra>
cudaError_t launch_tiled(Kernel kernel, const FwdParams& p, cudaStream_t stream, const Extra&... extra) {
  cudaError_t e = set_smem(kernel, KT::kSmem);
  if (e != cudaSuccess) return e;
  const dim3 grid((p.M + KT::kBlockM - 1) / KT::kBlockM, p.HG, p.B * p.num_splits);
  kernel<<<grid, KT::kNThreads, KT::kSmem, stream>>>(p, extra...);
  return cudaGetLastError();
}

template <class KT>
cudaError_t launch_flash(const FwdParams& p, cudaStream_t stream) {
  return launch_tiled<KT>(&flash_fwd_kernel<KT>, p, stream);
}

template <Path P, int HD>
cudaError_t run_fwd_impl(const FwdParams& p, cudaStream_t stream) {
  if constexpr (P == Path::kF32Exact) {
    using KT = FfmaFwdTraits<HD, ffma_rm(HD), ffma_rn(HD)>;
    static_assert(KT::kSmem == ffma_tile(HD).smem_bytes, "tile_config.h and kernel_traits.h disagree");
    return launch_tiled<KT>(&ffma_fwd_kernel<KT>, p, stream);
  } else {
    return launch_flash<typename FlashTraitsFor<P, HD, false>::type>(p, stream);
  }
}

template <Path P, int HD>
cudaError_t run_decode_impl(const FwdParams& p, cudaStream_t stream) {
  return launch_flash<typename FlashTraitsFor<P, HD, true>::type>(p, stream);
}

template <Path P, int HD>
cudaError_t run_decode_rows16_impl(const FwdParams& p, cudaStream_t stream) {
  static_assert(P == Path::kBf16 || P == Path::kFp16, "16-bit decode kernel");
  using KT = FlashDecodeTraits<typename PathTypes<P>::Tin, HD>;
  static_assert(KT::kSmem == decode_rows16_smem_bytes(HD), "tile_config.h and the decode traits disagree");
  return launch_tiled<KT>(&flash_decode_kernel<KT>, p, stream);  // (M <= kBlockM: one row tile)
}

template <Path P, int HD>
cudaError_t run_decode_tma_impl(const FwdParams& p, const Sm90TmaMaps& maps, cudaStream_t stream) {
  static_assert(P == Path::kBf16 || P == Path::kFp16, "16-bit decode kernel");
  using KT = FlashDecodeTmaTraits<typename PathTypes<P>::Tin, HD>;
  static_assert(KT::kSmem == decode_tma_smem_bytes(HD), "tile_config.h and the TMA decode traits disagree");
  return launch_tiled<KT>(&flash_decode_tma_kernel<KT>, p, stream, maps);  // (one row tile)
}

// sm_90a wgmma forward (bf16 / fp16, head dim 64 or 128); see flash_fwd_sm90_kernel.cuh.
template <class KT>
cudaError_t launch_flash_sm90_pipe(const FwdParams& p, cudaStream_t stream) {
  return launch_tiled<KT>(&flash_fwd_sm90_pipe_kernel<KT>, p, stream);  // (forward only: num_splits = 1)
}

template <Path P, int HD>
cudaError_t run_fwd_sm90_pipe_impl(const FwdParams& p, cudaStream_t stream) {
  static_assert(P == Path::kBf16 || P == Path::kFp16, "sm90 path is 16-bit only");
  using KT = FlashFwdSm90Traits<typename PathTypes<P>::Tin, HD, sm90_pipe_block_n(HD)>;
  static_assert(KT::kSmem == sm90_pipe_smem_bytes(HD), "tile_config.h and the sm90 traits disagree");
  return launch_flash_sm90_pipe<KT>(p, stream);
}

template <Path P, int HD, int BM, int BN, int MB>
cudaError_t run_fwd_sm90_tile_impl(const FwdParams& p, cudaStream_t stream) {
  static_assert(P == Path::kBf16 || P == Path::kFp16, "sm90 path is 16-bit only");
  static_assert(HD == 64 || HD == 128, "sm90 tiles: D = 64 or 128");
  using KT = FlashFwdSm90Traits<typename PathTypes<P>::Tin, HD, BN, BM, MB>;
  return launch_flash_sm90_pipe<KT>(p, stream);
}

template <Path P, int HD>
cudaError_t run_fwd_sm90_ws_impl(const FwdParams& p, const Sm90TmaMaps& maps, cudaStream_t stream) {
  static_assert(P == Path::kBf16 || P == Path::kFp16, "sm90 path is 16-bit only");
  using KT = FlashFwdSm90WsTraits<typename PathTypes<P>::Tin, HD, sm90_ws_block_n(HD), sm90_ws_stages(HD)>;
  static_assert(KT::kSmem == sm90_ws_smem_bytes(HD), "tile_config.h and the sm90 ws traits disagree");
  return launch_tiled<KT>(&flash_fwd_sm90_ws_kernel<KT>, p, stream, maps);  // (forward only: num_splits = 1)
}

}  // namespace a4j
