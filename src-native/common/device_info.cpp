#include "device_info.h"

#include <mutex>

namespace a4j {
namespace {
constexpr int kMaxDevices = 64;
DeviceInfo g_info[kMaxDevices];
bool g_known[kMaxDevices] = {false};
std::mutex g_mutex;
}  // namespace

cudaError_t current_device_info(DeviceInfo& info) {
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return e;
  if (dev >= 0 && dev < kMaxDevices) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_known[dev]) {
      info = g_info[dev];
      return cudaSuccess;
    }
  }
  DeviceInfo d{};
  d.device = dev;
  if ((e = cudaDeviceGetAttribute(&d.sm_count, cudaDevAttrMultiProcessorCount, dev)) != cudaSuccess) return e;
  if ((e = cudaDeviceGetAttribute(&d.smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev)) != cudaSuccess) return e;
  if ((e = cudaDeviceGetAttribute(&d.cc_major, cudaDevAttrComputeCapabilityMajor, dev)) != cudaSuccess) return e;
  if ((e = cudaDeviceGetAttribute(&d.cc_minor, cudaDevAttrComputeCapabilityMinor, dev)) != cudaSuccess) return e;
  if ((e = cudaDeviceGetAttribute(&d.mem_pools, cudaDevAttrMemoryPoolsSupported, dev)) != cudaSuccess) return e;
  if (dev >= 0 && dev < kMaxDevices) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_info[dev] = d;
    g_known[dev] = true;
  }
  info = d;
  return cudaSuccess;
}

}  // namespace a4j
