// Properties of the current CUDA device, read once per device and cached.
#pragma once

#include <cuda_runtime_api.h>

namespace a4j {

struct DeviceInfo {
  int device;
  int sm_count;
  int smem_optin;  // max dynamic shared memory per block after opt-in (bytes)
  int cc_major, cc_minor;
  int mem_pools;   // cudaMallocAsync supported
};

// Fills `info` for the calling thread's current device; returns the CUDA error if any.
cudaError_t current_device_info(DeviceInfo& info);

}  // namespace a4j
