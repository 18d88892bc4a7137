// Host-side entry points of the compiled kernel instantiations (one .cu file each, see
// instantiations/). Declared here so the C layer needs no kernel code.
#pragma once

#include <cuda_runtime_api.h>

#include "params.h"
#include "tile_config.h"
#include "tma_maps.h"

namespace a4j {

// Forward (and, for the fp32 paths, split-KV decode too: num_splits > 1 in the params).
template <Path P, int HD>
cudaError_t run_fwd(const FwdParams& p, cudaStream_t stream);

// bf16 / fp16 split-KV decode with the decode tiles.
template <Path P, int HD>
cudaError_t run_decode(const FwdParams& p, cudaStream_t stream);

// bf16 / fp16 split-KV decode of at most 16 query rows per kv head (flash_decode_kernel.cuh).
template <Path P, int HD>
cudaError_t run_decode_rows16(const FwdParams& p, cudaStream_t stream);

// ... its TMA variant on sm_90a (HD 64 or 128; tensor maps k and v).
template <Path P, int HD>
cudaError_t run_decode_tma(const FwdParams& p, const Sm90TmaMaps& maps, cudaStream_t stream);

// sm_90a warpgroup-MMA forward (bf16 / fp16, HD 64 or 128; forward only, no splits): the softmax of
// tile i overlaps P V of tile i-1.
template <Path P, int HD>
cudaError_t run_fwd_sm90_pipe(const FwdParams& p, cudaStream_t stream);
// ... with other tiles: BM Q rows (one warpgroup per 64), BN keys, MB CTAs per SM (tile_config.h).
template <Path P, int HD, int BM, int BN, int MB>
cudaError_t run_fwd_sm90_tile(const FwdParams& p, cudaStream_t stream);
// ... warp-specialized (TMA producer warpgroup, two ping-ponged consumer warpgroups; 128 x 128 tiles).
template <Path P, int HD>
cudaError_t run_fwd_sm90_ws(const FwdParams& p, const Sm90TmaMaps& maps, cudaStream_t stream);

// Merge of split partials into the output (dtype: A4J_F32 / A4J_F16 / A4J_BF16); pdl: launch it as a
// programmatic dependent of the split kernel (cc >= 9.0 only).
cudaError_t run_combine(const FwdParams& p, int dtype, bool pdl, cudaStream_t stream);

}  // namespace a4j
