/*
 * Attention4J native C ABI (softmax family).
 *
 * Plain C, meant to be bound by JavaCPP. Every function takes DEVICE pointers, shapes and strides
 * counted in ELEMENTS, a dtype code and a CUDA stream passed as void* (NULL = legacy default
 * stream), and returns a status code (A4J_SUCCESS = 0). Nothing here throws or aborts: invalid
 * arguments return A4J_ERROR_INVALID_ARGUMENT, and a4j_last_error_message() says which argument
 * and which value, per calling thread.
 *
 * Layout: q [B, Sq, H, D], k [B, Sk, Hkv, D], v [B, Sk, Hkv, Dv], out [B, Sq, H, Dv] as strided
 * views: for each tensor the caller gives the batch, row (sequence) and head strides; the last
 * dimension must be contiguous (stride 1). lse, when not NULL, is a contiguous fp32 [B, H, Sq].
 * q, k, v and out share one dtype. Computation is in fp32 (softmax statistics, accumulators).
 *
 * Semantics follow docs spec/OPERATORS.md sections 0-2 (FlashAttention >= 2.1):
 *  - logits s_ij = scale * <q_i, k_j>; softcap > 0: s = softcap * tanh(s / softcap); then the ALiBi
 *    bias; masked keys get -inf.
 *  - bottom-right alignment: query i sits at key position i' = i + Sk_b - Sq; key j is visible iff
 *    max(0, i' - window_left) <= j <= min(Sk_b - 1, i' + window_right). A negative window side is
 *    unbounded; causal forces window_right = 0. Sides >= Sk are treated as unbounded.
 *  - GQA/MQA: query head h reads kv head h / (H / Hkv).
 *  - ALiBi (fp32 slopes, [H] or [B, H] with alibi_batch_stride = 0 or H): when the effective mask is
 *    causal (window_left unbounded and window_right == 0) the bias is +slope * j; otherwise it is
 *    -slope * |i' - j|. Both give the same output; the LSE differs by a per-row constant (spec 1.2).
 *  - Per-batch key ranges (both arrays optional, int32 device arrays [B]): batch b uses the keys
 *    k_start[b] <= j < k_end[b] of the Sk allocated rows, re-indexed j - k_start[b], and the
 *    alignment above uses Sk_b = k_end[b] - k_start[b]. Values are clamped into [0, Sk] on the
 *    device (k_end below k_start means an empty range).
 *  - A query row that sees no key gets output 0 and lse = +inf (never NaN).
 *
 * fp32 inputs: compute_mode A4J_COMPUTE_EXACT (fp32 FFMA, ~1e-6 relative), A4J_COMPUTE_TF32 (TF32
 * tensor cores, opt-in, ~1e-3) or A4J_COMPUTE_BF16 (inputs rounded to bf16, tensor cores, opt-in,
 * ~1e-2). For F16 / BF16 inputs compute_mode is ignored (bf16/fp16 tensor cores, fp32 accumulate).
 *
 * Kernels: on an sm_90 device (H100/H200) with a build that contains sm_90a code, bf16/fp16 forward
 * with head dims up to 128 (padded to 64 or 128) runs on Hopper warpgroup MMA (a warp-specialized
 * kernel with TMA loads where no per-batch key ranges are given and every stride is a multiple of 16
 * bytes, else a cp.async kernel); everything else on
 * sm_80-class tensor-core kernels (or FFMA for exact fp32). bf16/fp16 decode with at most 16 query
 * rows per kv head (Sq * H / Hkv) runs on a few-rows split-KV kernel. Diagnostics only (environment
 * variables, read at every call): A4J_DISABLE_WGMMA=1 forces the sm_80 kernels,
 * A4J_SM90_TILE a tile of the sm_90 kernel, A4J_DECODE_KERNEL=general the general decode
 * kernel, A4J_DISABLE_PDL=1 a plain launch of the split merge.
 *
 * Threading: the functions are thread safe; kernels are enqueued on the given stream of the
 * calling thread's current device and are asynchronous (the caller synchronizes).
 */
#ifndef ATTENTION4J_H_
#define ATTENTION4J_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define A4J_VERSION 100 /* 0.1.0 */

/* dtype codes */
#define A4J_F32 0
#define A4J_F16 1
#define A4J_BF16 2

/* compute modes for A4J_F32 inputs */
#define A4J_COMPUTE_EXACT 0
#define A4J_COMPUTE_TF32 1
#define A4J_COMPUTE_BF16 2

/* status codes */
#define A4J_SUCCESS 0
#define A4J_ERROR_INVALID_ARGUMENT 1 /* an argument is out of range (message names it) */
#define A4J_ERROR_UNSUPPORTED 2      /* valid, but not supported by this build or device */
#define A4J_ERROR_CUDA 3             /* a CUDA call failed (message holds the CUDA error string) */
#define A4J_ERROR_WORKSPACE 4        /* decode workspace missing or too small */
#define A4J_ERROR_INTERNAL 5

/* Version of this library (A4J_VERSION of the build). */
int a4j_version(void);

/* Short fixed description of a status code ("success", "invalid argument", ...). */
const char* a4j_status_string(int status);

/* Detailed message of the last failing call on this thread ("" after a success). */
const char* a4j_last_error_message(void);

/*
 * Pointer checks (default on): before a launch, every device pointer is checked with
 * cudaPointerGetAttributes (host or unknown pointers are rejected) and, where the driver reports
 * the allocation's range, the whole strided extent of each tensor must lie inside it. Costs a few
 * microseconds per call; a caller that validates on its own side may turn it off.
 */
void a4j_set_pointer_checks(int enabled);

/*
 * Softmax attention forward (spec 1, 2).
 *   q,k,v,out: device pointers; lse: NULL or fp32 [B, H, Sq] contiguous.
 *   *_batch_stride, *_row_stride, *_head_stride: strides in elements (last dim contiguous).
 *   scale: logit scale (spec default D^-1/2 is the caller's choice); softcap: 0 = off.
 *   causal: 0/1; window_left/window_right: negative = unbounded.
 *   alibi_slopes: NULL or fp32 device [H] (alibi_batch_stride 0) or [B, H] (stride H or more).
 *   k_start, k_end: NULL or int32 device [B] per-batch key ranges (see above).
 *   compute_mode: for A4J_F32 only.
 */
int a4j_softmax_forward(int dtype, int compute_mode,
                        const void* q, int64_t q_batch_stride, int64_t q_row_stride, int64_t q_head_stride,
                        const void* k, int64_t k_batch_stride, int64_t k_row_stride, int64_t k_head_stride,
                        const void* v, int64_t v_batch_stride, int64_t v_row_stride, int64_t v_head_stride,
                        void* out, int64_t out_batch_stride, int64_t out_row_stride, int64_t out_head_stride,
                        float* lse,
                        int batch, int seqlen_q, int seqlen_k, int num_heads, int num_heads_kv,
                        int head_dim, int head_dim_v,
                        float scale, float softcap, int causal, int window_left, int window_right,
                        const float* alibi_slopes, int64_t alibi_batch_stride,
                        const int32_t* k_start, const int32_t* k_end,
                        void* stream);

/*
 * Split-KV decode (spec 1.5): the same semantics as a4j_softmax_forward, for few query rows
 * against a long KV cache (k/v are the cache [B, Smax, Hkv, D] with Sk = Smax; k_start = left
 * padding, k_end = cache_seqlens). Each split computes (o_s, lse_s) over a slice of the keys into
 * an fp32 workspace; a second kernel merges them exactly (spec 0.4; all-empty rows: out 0, lse +inf).
 * Query heads that share a kv head are processed together, so the cache is read once per kv head.
 *   num_splits: 0 = automatic (from B * Hkv and the SM count, so that one row fills the GPU),
 *               otherwise the number of splits (clamped to [1, 256] and to the number of key tiles).
 *   workspace:  device memory of at least a4j_softmax_decode_workspace_size(...) bytes, or NULL:
 *               then the library allocates it with cudaMallocAsync on `stream` and frees it with
 *               cudaFreeAsync after the merge (stream-ordered, no synchronization).
 */
int a4j_softmax_decode(int dtype, int compute_mode,
                       const void* q, int64_t q_batch_stride, int64_t q_row_stride, int64_t q_head_stride,
                       const void* k, int64_t k_batch_stride, int64_t k_row_stride, int64_t k_head_stride,
                       const void* v, int64_t v_batch_stride, int64_t v_row_stride, int64_t v_head_stride,
                       void* out, int64_t out_batch_stride, int64_t out_row_stride, int64_t out_head_stride,
                       float* lse,
                       int batch, int seqlen_q, int seqlen_k, int num_heads, int num_heads_kv,
                       int head_dim, int head_dim_v,
                       float scale, float softcap, int causal, int window_left, int window_right,
                       const float* alibi_slopes, int64_t alibi_batch_stride,
                       const int32_t* k_start, const int32_t* k_end,
                       int num_splits, void* workspace, size_t workspace_bytes,
                       void* stream);

/*
 * Workspace bytes that a4j_softmax_decode needs for these sizes on the current device
 * (0 when one split suffices), and the number of splits it will use (splits_out may be NULL).
 */
int a4j_softmax_decode_workspace_size(int dtype, int compute_mode,
                                      int batch, int seqlen_q, int seqlen_k, int num_heads,
                                      int num_heads_kv, int head_dim, int head_dim_v, int num_splits,
                                      size_t* bytes_out, int* splits_out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTENTION4J_H_ */
