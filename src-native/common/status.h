// Status codes and the per-thread error message of the C ABI.
#pragma once

#include <cuda_runtime_api.h>

namespace a4j {

// Sets this thread's message (printf format, prefixed by `fn: `) and returns `status`.
int fail(int status, const char* fn, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
// A failed CUDA call: the message names the call and holds cudaGetErrorName / cudaGetErrorString.
int fail_cuda(const char* fn, const char* what, cudaError_t err);
void clear_error();

}  // namespace a4j
