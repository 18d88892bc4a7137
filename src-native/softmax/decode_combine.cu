// Split-KV decode, second kernel: the exact merge of the split partials (combine_kernel.cuh).
#include "../include/attention4j/attention4j.h"
#include "combine_kernel.cuh"
#include "launch.h"

namespace a4j {

namespace {
// With programmatic dependent launch (cc >= 9.0) the merge grid is scheduled while the split grid
// still runs and waits in griddepcontrol.wait for its results: the launch gap between the two
// kernels (a few microseconds, most of a short decode step) leaves the critical path.
template <class Tout>
cudaError_t launch_combine(const FwdParams& p, unsigned blocks, bool pdl, cudaStream_t stream) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(blocks);
  cfg.blockDim = dim3(kCombineWarps * 32);
  cfg.dynamicSmemBytes = 0;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = pdl ? 1 : 0;
  return cudaLaunchKernelEx(&cfg, combine_splits_kernel<Tout>, p);
}
}  // namespace

cudaError_t run_combine(const FwdParams& p, int dtype, bool pdl, cudaStream_t stream) {
  const int64_t rows = static_cast<int64_t>(p.B) * p.H * p.Sq;
  const unsigned blocks = static_cast<unsigned>(rows);  // one CTA per row
  cudaError_t e;
  switch (dtype) {
    case A4J_F32:
      e = launch_combine<float>(p, blocks, pdl, stream);
      break;
    case A4J_F16:
      e = launch_combine<__half>(p, blocks, pdl, stream);
      break;
    default:
      e = launch_combine<__nv_bfloat16>(p, blocks, pdl, stream);
      break;
  }
  return e != cudaSuccess ? e : cudaGetLastError();
}

}  // namespace a4j
