// Compile-time dispatch over the padded head dimension (FlashAttention's HEADDIM_SWITCH idea):
// HD is the smallest multiple of 32 that holds max(D, Dv); the kernels zero-fill and mask the tail.
#pragma once

#define A4J_HEADDIM_SWITCH(HEADDIM, ...)      \
  [&] {                                       \
    if (HEADDIM <= 32) {                      \
      constexpr static int kHD = 32;          \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 64) {               \
      constexpr static int kHD = 64;          \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 96) {               \
      constexpr static int kHD = 96;          \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 128) {              \
      constexpr static int kHD = 128;         \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 160) {              \
      constexpr static int kHD = 160;         \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 192) {              \
      constexpr static int kHD = 192;         \
      return __VA_ARGS__();                   \
    } else if (HEADDIM <= 224) {              \
      constexpr static int kHD = 224;         \
      return __VA_ARGS__();                   \
    } else {                                  \
      constexpr static int kHD = 256;         \
      return __VA_ARGS__();                   \
    }                                         \
  }()
