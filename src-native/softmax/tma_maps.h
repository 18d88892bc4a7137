// The tensor maps of the warp-specialized sm90 forward (flash_fwd_sm90_ws_kernel.cuh), encoded on the
// host for each call (softmax_api.cpp) and passed to the kernel as a __grid_constant__ parameter.
#pragma once

#include <cuda.h>  // CUtensorMap: the type only; encoding goes through the runtime's driver entry point

namespace a4j {

// Q [B, Sq, H, D], K [B, Sk, Hkv, D], V [B, Sk, Hkv, Dv] as 4-D tensor maps (innermost first: feature,
// row, head, batch), boxes of 64 features (128 bytes, the swizzle atom) x the tile's rows, 128-byte
// swizzle, zero fill out of bounds.
struct Sm90TmaMaps {
  CUtensorMap q, k, v;
};

}  // namespace a4j
