// Hopper (sm_90) asynchronous-transaction primitives, small and named: mbarriers (a phase completes
// when its arrivals and its expected bytes are in), TMA tile loads that complete on an mbarrier,
// named barriers for a subset of the CTA's warps, and warpgroup register reallocation. Device-side
// only; the tensor maps are encoded on the host (softmax_api.cpp). Every body is empty below
// sm_90, where no kernel calls them.
#pragma once

#include <cstdint>

namespace a4j {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define A4J_SM90_ASM(...) asm volatile(__VA_ARGS__)
#else
#define A4J_SM90_ASM(...) (void)0
#endif

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t arrivals) {
  A4J_SM90_ASM("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(arrivals) : "memory");
}
// Makes the initialized barriers visible to the async proxy (TMA) before any use.
__device__ __forceinline__ void mbar_fence_init() { A4J_SM90_ASM("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }

// One arrival that also announces `bytes` of TMA data this phase waits for.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  A4J_SM90_ASM("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  A4J_SM90_ASM("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Waits until the phase of the given parity has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  uint32_t done;
  do {
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
#else
  (void)bar;
  (void)parity;
#endif
}

// A box of a 4-D tensor map (coordinates innermost first) into shared memory; completes on `bar`.
__device__ __forceinline__ void tma_load_4d(uint32_t dst, const void* map, uint32_t bar, int c0, int c1, int c2,
                                            int c3) {
  A4J_SM90_ASM(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], "
      "[%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
}
__device__ __forceinline__ void tma_prefetch_map(const void* map) {
  A4J_SM90_ASM("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

// Orders this thread's generic-proxy shared-memory accesses before later async-proxy ones (TMA, wgmma).
__device__ __forceinline__ void fence_proxy_async() { A4J_SM90_ASM("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// Named barriers 1..15 over `threads` threads (a multiple of 32); id 0 is __syncthreads.
__device__ __forceinline__ void named_bar_sync(int id, int threads) {
  A4J_SM90_ASM("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_bar_arrive(int id, int threads) {
  A4J_SM90_ASM("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Register reallocation between warpgroups (every warp of the warpgroup executes it).
template <int kRegs>
__device__ __forceinline__ void warpgroup_regs_dec() {
  A4J_SM90_ASM("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
template <int kRegs>
__device__ __forceinline__ void warpgroup_regs_inc() {
  A4J_SM90_ASM("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}

}  // namespace a4j
