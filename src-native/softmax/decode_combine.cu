// Split-KV decode, second kernel: the exact merge of the split partials (combine_kernel.cuh).
#include "../include/attention4j/attention4j.h"
#include "combine_kernel.cuh"
#include "launch.h"

namespace a4j {

cudaError_t run_combine(const FwdParams& p, int dtype, cudaStream_t stream) {
  const int64_t rows = static_cast<int64_t>(p.B) * p.H * p.Sq;
  const unsigned blocks = static_cast<unsigned>((rows + kCombineWarps - 1) / kCombineWarps);
  switch (dtype) {
    case A4J_F32:
      combine_splits_kernel<float><<<blocks, kCombineWarps * 32, 0, stream>>>(p);
      break;
    case A4J_F16:
      combine_splits_kernel<__half><<<blocks, kCombineWarps * 32, 0, stream>>>(p);
      break;
    default:
      combine_splits_kernel<__nv_bfloat16><<<blocks, kCombineWarps * 32, 0, stream>>>(p);
      break;
  }
  return cudaGetLastError();
}

}  // namespace a4j
