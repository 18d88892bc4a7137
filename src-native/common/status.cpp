#include "status.h"

#include <cstdarg>
#include <cstdio>

#include "../include/attention4j/attention4j.h"

namespace a4j {
namespace {
thread_local char g_message[1024] = {0};
}

int fail(int status, const char* fn, const char* fmt, ...) {
  int n = std::snprintf(g_message, sizeof(g_message), "%s: ", fn);
  if (n < 0 || n >= static_cast<int>(sizeof(g_message))) n = 0;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(g_message + n, sizeof(g_message) - n, fmt, ap);
  va_end(ap);
  return status;
}

int fail_cuda(const char* fn, const char* what, cudaError_t err) {
  return fail(A4J_ERROR_CUDA, fn, "%s failed: %s (%s, code %d)", what, cudaGetErrorString(err), cudaGetErrorName(err),
              static_cast<int>(err));
}

void clear_error() { g_message[0] = '\0'; }

}  // namespace a4j

extern "C" {

int a4j_version(void) { return A4J_VERSION; }

const char* a4j_status_string(int status) {
  switch (status) {
    case A4J_SUCCESS:
      return "success";
    case A4J_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case A4J_ERROR_UNSUPPORTED:
      return "unsupported";
    case A4J_ERROR_CUDA:
      return "CUDA error";
    case A4J_ERROR_WORKSPACE:
      return "workspace missing or too small";
    case A4J_ERROR_INTERNAL:
      return "internal error";
    default:
      return "unknown status";
  }
}

const char* a4j_last_error_message(void) { return a4j::g_message; }

}  // extern "C"
