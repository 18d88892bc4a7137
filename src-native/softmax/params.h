// The one parameter block of a softmax-family launch. Filled (and checked) by softmax_api.cpp
// before any kernel is launched; kernels read it by value.
#pragma once

#include <cstdint>

namespace a4j {

// Window sides that are unbounded are stored as this value, so that the band arithmetic
// (i' - wl, i' + wr + 1) needs no flags and cannot overflow for lengths below 2^28.
constexpr int kUnbounded = 1 << 29;
constexpr int kMaxSeqLen = 1 << 28;

struct FwdParams {
  // Tensors (element pointers; the dtype is a template parameter of the kernel).
  const void* q;
  const void* k;
  const void* v;
  void* o;
  float* lse;  // [B, H, Sq] or nullptr

  // Strides in elements: batch, row (sequence), head. Last dim contiguous.
  int64_t q_sb, q_sr, q_sh;
  int64_t k_sb, k_sr, k_sh;
  int64_t v_sb, v_sr, v_sh;
  int64_t o_sb, o_sr, o_sh;

  int B, Sq, Sk, H, Hkv, D, Dv;
  int h_per_kv;  // H / Hkv
  // Row packing: a CTA works on head group hg (HG groups) and its rows r in [0, M) stand for
  // query i = r / G of head h = hg * G + r % G. G = 1 (plain) or H / Hkv (decode packs the
  // query heads that share one kv head, so the cache is read once per kv head).
  int G, HG, M;

  // Logit transform, log2 domain (tensor-core kernels) and natural (exact fp32 kernel).
  float scale;             // natural scale
  float scale_log2;        // scale * log2(e)
  int has_softcap;
  float softcap;           // c
  float softcap_prescale;  // scale / c
  float softcap_log2;      // c * log2(e)
  float softcap_prescale2; // 2 * log2(e) * scale / c (tanh through exp2)

  int plain_logits;  // no softcap, no ALiBi, scale > 0: exponent exp2(scale_log2 * (s - m))
  float exp_scale;   // scale_log2 when plain_logits, else 1 (scores are log2 logits)

  int wl, wr;  // window sides, kUnbounded when unbounded; causal has wr = 0

  const float* alibi;  // nullptr or slopes, slope(b, h) = alibi[b * alibi_sb + h]
  int64_t alibi_sb;
  int alibi_causal;  // bias +slope*j (1) or -slope*|i'-j| (0)

  const int* k_start;  // per-batch key ranges, nullptr = 0
  const int* k_end;    // nullptr = Sk

  int vec_load;   // all of q, k, v rows allow whole 16-byte chunks
  int vec_store;    // out rows allow 2-element stores
  int vec_store16;  // out rows allow whole 16-byte chunks (Dv a multiple of the chunk)

  // Split-KV: num_splits > 1 writes partials (o_s normalized, lse_s natural, -inf when empty)
  // to ws_o [S, B, H, Sq, Dv] and ws_lse [S, B, H, Sq]; the combine kernel merges them.
  int num_splits;
  float* ws_o;
  float* ws_lse;
};

}  // namespace a4j
