// a4j_native_bench: timings of the softmax kernels through the C ABI (CUDA events, warm-up, median
// of >= 20), in the FlashAttention FLOP convention (4*B*H*Sq*Sk*D, halved for causal, useful FLOPs
// for windows), and split-KV decode as achieved bandwidth of the K+V bytes against a device-to-
// device copy measured in the same process.
//
// usage: a4j_native_bench [--json FILE] [--quick] [--no-variants] [--iters N]
// Also times alternative tile configurations (instantiated here, not in the library) to pick them.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "../softmax/flash_fwd_launch_template.cuh"
#include "common.h"

using namespace a4jt;

namespace {

int g_iters = 30;
int g_warm = 5;
FILE* g_json = nullptr;

__global__ void fill_random(__nv_bfloat16* p, size_t n, uint32_t seed, float amp) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    p[i] = __float2bfloat16((float(x & 0xFFFFFF) / float(0x1000000) * 2.f - 1.f) * amp);
  }
}
__global__ void fill_random_f32(float* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    p[i] = float(x & 0xFFFFFF) / float(0x1000000) * 2.f - 1.f;
  }
}
void fill(void* p, size_t n, int dtype, uint32_t seed) {
  if (dtype == A4J_F32)
    fill_random_f32<<<1024, 256>>>(static_cast<float*>(p), n, seed);
  else  // bit patterns of bf16 values in [-1, 1) are also fine fp16 values of similar size
    fill_random<<<1024, 256>>>(static_cast<__nv_bfloat16*>(p), n, seed, 1.f);
  CUDA_OK(cudaGetLastError());
}

template <class F>
double median_ms(F&& fn, int iters) {
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  for (int i = 0; i < g_warm; ++i) fn(i);
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> ts;
  for (int i = 0; i < iters; ++i) {
    CUDA_OK(cudaEventRecord(a));
    fn(i);
    CUDA_OK(cudaEventRecord(b));
    CUDA_OK(cudaEventSynchronize(b));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, a, b));
    ts.push_back(ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ts.begin(), ts.end());
  return ts[ts.size() / 2];
}

// Per-call time of `calls` consecutive steps enqueue(i, stream) captured in one CUDA graph, replayed
// (median over `reps` replays): the GPU time of a step without host overhead and with the launch
// gaps a graph leaves (METHOD.md: many small launches are timed as graph replays).
template <class F>
double graph_ms_per_call(F&& enqueue, int calls, int reps) {
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  for (int i = 0; i < calls; ++i) enqueue(i, s);  // warm-up outside the capture
  CUDA_OK(cudaStreamSynchronize(s));
  cudaGraph_t graph;
  CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  for (int i = 0; i < calls; ++i) enqueue(i, s);
  CUDA_OK(cudaStreamEndCapture(s, &graph));
  cudaGraphExec_t exec;
  CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  for (int w = 0; w < 3; ++w) CUDA_OK(cudaGraphLaunch(exec, s));
  std::vector<float> ts;
  for (int r = 0; r < reps; ++r) {
    CUDA_OK(cudaEventRecord(a, s));
    CUDA_OK(cudaGraphLaunch(exec, s));
    CUDA_OK(cudaEventRecord(b, s));
    CUDA_OK(cudaEventSynchronize(b));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, a, b));
    ts.push_back(ms / calls);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(s);
  std::sort(ts.begin(), ts.end());
  return ts[ts.size() / 2];
}

void check(int st) {
  if (st != A4J_SUCCESS) {
    std::fprintf(stderr, "a4j call failed: %s: %s\n", a4j_status_string(st), a4j_last_error_message());
    std::exit(2);
  }
}

// Params of a plain [B,S,H,D] contiguous call (for the tile variants launched directly).
a4j::FwdParams plain_params(const void* q, const void* k, const void* v, void* o, int B, int S, int H, int D,
                            bool causal) {
  a4j::FwdParams p;
  std::memset(&p, 0, sizeof(p));
  p.q = q; p.k = k; p.v = v; p.o = o;
  p.q_sh = p.k_sh = p.v_sh = p.o_sh = D;
  p.q_sr = p.k_sr = p.v_sr = p.o_sr = int64_t(H) * D;
  p.q_sb = p.k_sb = p.v_sb = p.o_sb = int64_t(S) * H * D;
  p.B = B; p.Sq = S; p.Sk = S; p.H = H; p.Hkv = H; p.D = D; p.Dv = D;
  p.h_per_kv = 1; p.G = 1; p.HG = H; p.M = S;
  p.scale = 1.f / std::sqrt(float(D));
  p.scale_log2 = p.scale * 1.4426950408889634f;
  p.plain_logits = 1;
  p.exp_scale = p.scale_log2;
  p.wl = a4j::kUnbounded;
  p.wr = causal ? 0 : a4j::kUnbounded;
  p.vec_load = 1; p.vec_store = 1; p.vec_store16 = 1; p.num_splits = 1;
  return p;
}

struct FwdShape {
  int dtype, mode, B, S, H, D, causal, wl;
};

void emit_fwd(const char* impl, const FwdShape& s, double ms) {
  const double keys = s.wl >= 0 ? std::min<double>(s.wl + 1, s.S) : (s.causal ? s.S / 2.0 : s.S);
  // Useful FLOPs; for a causal window, rows near the start see fewer keys.
  double flops = 4.0 * s.B * s.H * double(s.S) * keys * s.D;
  if (s.wl >= 0) {
    const double w = s.wl + 1;
    flops = 4.0 * s.B * s.H * s.D * (double(s.S) * w - w * (w - 1) / 2.0);
  }
  const double tflops = flops / (ms * 1e-3) / 1e12;
  const char* mode = s.dtype != A4J_F32 ? dtype_name(s.dtype)
                     : s.mode == A4J_COMPUTE_TF32 ? "f32/tf32" : s.mode == A4J_COMPUTE_BF16 ? "f32/bf16c" : "f32/exact";
  std::printf("%-22s %-10s B=%-3d S=%-6d H=%-3d D=%-4d %-7s %-9s %9.3f ms %8.1f TFLOP/s\n", impl, mode, s.B, s.S, s.H,
              s.D, s.causal ? "causal" : "full", s.wl >= 0 ? ("win" + std::to_string(s.wl)).c_str() : "", ms, tflops);
  if (g_json)
    std::fprintf(g_json,
                 "{\"op\":\"softmax_fwd\",\"impl\":\"%s\",\"dtype\":\"%s\",\"B\":%d,\"S\":%d,\"H\":%d,\"D\":%d,"
                 "\"causal\":%s,\"window_left\":%d,\"ms\":%.5f,\"tflops\":%.2f}\n",
                 impl, mode, s.B, s.S, s.H, s.D, s.causal ? "true" : "false", s.wl, ms, tflops);
  std::fflush(stdout);
}

void bench_forward(const FwdShape& s, bool variants, const char* impl = "attention4j") {
  const size_t n = size_t(s.B) * s.S * s.H * s.D;
  const int eb = elem_bytes(s.dtype);
  void *q, *k, *v, *o;
  CUDA_OK(cudaMalloc(&q, n * eb));
  CUDA_OK(cudaMalloc(&k, n * eb));
  CUDA_OK(cudaMalloc(&v, n * eb));
  CUDA_OK(cudaMalloc(&o, n * eb));
  fill(q, n, s.dtype, 1);
  fill(k, n, s.dtype, 2);
  fill(v, n, s.dtype, 3);
  const int64_t sr = int64_t(s.H) * s.D, sb = int64_t(s.S) * sr;
  const float scale = 1.f / std::sqrt(float(s.D));
  auto run = [&](int) {
    check(a4j_softmax_forward(s.dtype, s.mode, q, sb, sr, s.D, k, sb, sr, s.D, v, sb, sr, s.D, o, sb, sr, s.D, nullptr,
                              s.B, s.S, s.S, s.H, s.H, s.D, s.D, scale, 0.f, s.causal, s.wl, -1, nullptr, 0, nullptr,
                              nullptr, nullptr));
  };
  emit_fwd(impl, s, median_ms(run, g_iters));
  if (variants && s.dtype == A4J_BF16 && s.wl < 0) {
    using bf = __nv_bfloat16;
    a4j::FwdParams p = plain_params(q, k, v, o, s.B, s.S, s.H, s.D, s.causal);
    auto time_variant = [&](const char* name, auto launcher) {
      emit_fwd(name, s, median_ms([&](int) { CUDA_OK(launcher(p, nullptr)); }, g_iters));
    };
    int cc_major = 0, cc_minor = 0;
    cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&cc_minor, cudaDevAttrComputeCapabilityMinor, 0);
    const char* off = std::getenv("A4J_DISABLE_WGMMA");
    if (cc_major == 9 && cc_minor == 0 && !(off && off[0] && std::strcmp(off, "0") != 0)) {
      if (s.D == 128) time_variant("variant sm90 pipe bn64", a4j::launch_flash_sm90_pipe<a4j::FlashFwdSm90Traits<bf, 128, 64>>);
      if (s.D == 64) time_variant("variant sm90 pipe bn192", a4j::launch_flash_sm90_pipe<a4j::FlashFwdSm90Traits<bf, 64, 192>>);
      if (s.D == 64) time_variant("variant sm90 pipe bn64", a4j::launch_flash_sm90_pipe<a4j::FlashFwdSm90Traits<bf, 64, 64>>);
    }
    if (s.D == 128) {
      time_variant("variant unrolled-qk", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 128, 128, 64, 4, 8>>);
      time_variant("variant bm128 bn32 w4", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 128, 128, 32, 4>>);
      time_variant("variant bm64 bn64 w4", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 128, 64, 64, 4>>);
      time_variant("variant bm128 bn64 w8", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 128, 128, 64, 8>>);
    } else if (s.D == 64) {
      time_variant("variant unrolled-qk", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 64, 128, 128, 4, 4>>);
      time_variant("variant bm128 bn64 w4", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 64, 128, 64, 4>>);
      time_variant("variant bm64 bn128 w4", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 64, 64, 128, 4>>);
      time_variant("variant bm128 bn128 w8", a4j::launch_flash<a4j::FlashFwdTraits<bf, bf, 64, 128, 128, 8>>);
    }
  }
  cudaFree(q);
  cudaFree(k);
  cudaFree(v);
  cudaFree(o);
}

double copy_bandwidth_gbps() {
  const size_t bytes = size_t(2) << 30;
  void *a, *b;
  CUDA_OK(cudaMalloc(&a, bytes));
  CUDA_OK(cudaMalloc(&b, bytes));
  CUDA_OK(cudaMemset(a, 1, bytes));
  const double ms = median_ms([&](int) { CUDA_OK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); }, 20);
  cudaFree(a);
  cudaFree(b);
  const double gbps = 2.0 * bytes / (ms * 1e-3) / 1e9;  // bytes read + written
  std::printf("device-to-device copy: %.0f GB/s (read + write, 2 GiB, median of 20)\n", gbps);
  if (g_json) std::fprintf(g_json, "{\"op\":\"copy_d2d\",\"bytes\":%zu,\"ms\":%.5f,\"GBps\":%.1f}\n", bytes, ms, gbps);
  return gbps;
}

// The floor of a decode step: a kernel that only reads `bytes` (16-byte loads, 4 in flight per thread,
// one CTA of 512 threads per SM x 4), and an empty kernel, each captured one per call in a CUDA graph
// over enough buffer copies to defeat the L2, like bench_decode. What no decode kernel of that many
// bytes can beat on this device, launch included.
__global__ void read_floor_kernel(const uint4* __restrict__ src, size_t n, unsigned* sink) {
  unsigned x = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
    const uint4 a = __ldcs(src + i), b = __ldcs(src + i + stride), c = __ldcs(src + i + 2 * stride),
                d = __ldcs(src + i + 3 * stride);
    x ^= a.x ^ a.w ^ b.y ^ b.z ^ c.x ^ c.w ^ d.y ^ d.z;
  }
  for (; i < n; i += stride) x ^= __ldcs(src + i).x;
  if (x == 0x9e3779b9u) *sink = x;  // (keeps the loads)
}
__global__ void empty_kernel() {}

void bench_read_floor(double bytes, double copy_gbps) {
  const int copies = std::max(1, int(std::ceil(400e6 / bytes)));
  const size_t n = size_t(bytes) / 16;
  std::vector<uint4*> bufs(copies);
  for (auto& b : bufs) {
    CUDA_OK(cudaMalloc(&b, n * 16));
    CUDA_OK(cudaMemset(b, 1, n * 16));
  }
  unsigned* sink;
  CUDA_OK(cudaMalloc(&sink, 4));
  int sms = 0;
  CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const double ms = graph_ms_per_call([&](int it, cudaStream_t st) {
    read_floor_kernel<<<sms * 4, 512, 0, st>>>(bufs[it % copies], n, sink);
  }, std::max(copies, 8), std::max(g_iters, 20));
  const double empty_ms = graph_ms_per_call([&](int, cudaStream_t st) { empty_kernel<<<1, 32, 0, st>>>(); }, 8,
                                            std::max(g_iters, 20));
  const double gbps = bytes / (ms * 1e-3) / 1e9;
  std::printf("read floor             %9.1f MB: graph %8.4f ms %7.0f GB/s %5.1f%% of copy; empty kernel %.4f ms\n",
              bytes / 1e6, ms, gbps, 100.0 * gbps / copy_gbps, empty_ms);
  if (g_json)
    std::fprintf(g_json, "{\"op\":\"read_floor\",\"bytes\":%.0f,\"graph_ms\":%.5f,\"graph_GBps\":%.1f,"
                 "\"graph_fraction_of_copy\":%.3f,\"empty_kernel_graph_ms\":%.5f}\n", bytes, ms, gbps, gbps / copy_gbps,
                 empty_ms);
  for (auto b : bufs) cudaFree(b);
  cudaFree(sink);
}

void bench_decode(int dtype, int mode, int B, int Sk, int H, int Hkv, int D, double copy_gbps, const char* impl,
                  int splits_req, bool pointer_checks = true) {
  const int eb = elem_bytes(dtype);
  const size_t kv_elems = size_t(B) * Sk * Hkv * D;
  const double kv_bytes = 2.0 * kv_elems * eb;
  if (kv_bytes > 20e9) return;
  // Enough copies of the cache that one call's bytes are not served from the 50 MB L2.
  const int copies = std::max(1, int(std::ceil(400e6 / kv_bytes)));
  std::vector<void*> ks(copies), vs(copies);
  for (int c = 0; c < copies; ++c) {
    CUDA_OK(cudaMalloc(&ks[c], kv_elems * eb));
    CUDA_OK(cudaMalloc(&vs[c], kv_elems * eb));
    fill(ks[c], kv_elems, dtype, 10 + c);
    fill(vs[c], kv_elems, dtype, 1000 + c);
  }
  void *q, *o;
  CUDA_OK(cudaMalloc(&q, size_t(B) * H * D * eb));
  CUDA_OK(cudaMalloc(&o, size_t(B) * H * D * eb));
  fill(q, size_t(B) * H * D, dtype, 7);
  int* seqlens;
  CUDA_OK(cudaMalloc(&seqlens, B * 4));
  std::vector<int> sl(B, Sk);
  CUDA_OK(cudaMemcpy(seqlens, sl.data(), B * 4, cudaMemcpyHostToDevice));
  size_t ws_bytes = 0;
  int splits = 1;
  check(a4j_softmax_decode_workspace_size(dtype, mode, B, 1, Sk, H, Hkv, D, D, splits_req, &ws_bytes, &splits));
  void* ws = nullptr;
  if (ws_bytes) CUDA_OK(cudaMalloc(&ws, ws_bytes));
  const int64_t kr = int64_t(Hkv) * D, kb = int64_t(Sk) * kr;
  const float scale = 1.f / std::sqrt(float(D));
  auto enqueue = [&](int it, cudaStream_t stream) {
    const int c = it % copies;
    check(a4j_softmax_decode(dtype, mode, q, int64_t(H) * D, int64_t(H) * D, D, ks[c], kb, kr, D, vs[c], kb, kr, D, o,
                             int64_t(H) * D, int64_t(H) * D, D, nullptr, B, 1, Sk, H, Hkv, D, D, scale, 0.f, 0, -1, -1,
                             nullptr, 0, nullptr, seqlens, splits_req, ws, ws_bytes, stream));
  };
  a4j_set_pointer_checks(pointer_checks ? 1 : 0);
  const double ms = median_ms([&](int it) { enqueue(it, nullptr); }, std::max(g_iters, 20));
  // The same steps as a serving loop runs them: captured in a CUDA graph (pointer checks off, as a
  // caller that validated its buffers once would run), one step per cache copy, replayed.
  a4j_set_pointer_checks(0);
  const double gms = graph_ms_per_call(enqueue, std::max(copies, 8), std::max(g_iters, 20));
  a4j_set_pointer_checks(1);
  const double gbps = kv_bytes / (ms * 1e-3) / 1e9, ggbps = kv_bytes / (gms * 1e-3) / 1e9;
  std::printf("%-22s %-6s B=%-3d Sk=%-6d H=%d/%-3d D=%d splits=%-3d %8.4f ms %7.0f GB/s %5.1f%% | graph %8.4f ms %7.0f GB/s %5.1f%% of copy\n",
              impl, dtype_name(dtype), B, Sk, H, Hkv, D, splits, ms, gbps, 100.0 * gbps / copy_gbps, gms, ggbps,
              100.0 * ggbps / copy_gbps);
  if (g_json)
    std::fprintf(g_json,
                 "{\"op\":\"decode\",\"impl\":\"%s\",\"dtype\":\"%s\",\"B\":%d,\"Sk\":%d,\"H\":%d,\"Hkv\":%d,\"D\":%d,"
                 "\"splits\":%d,\"ms\":%.5f,\"GBps\":%.1f,\"copy_GBps\":%.1f,\"fraction_of_copy\":%.3f,"
                 "\"graph_ms\":%.5f,\"graph_GBps\":%.1f,\"graph_fraction_of_copy\":%.3f}\n",
                 impl, dtype_name(dtype), B, Sk, H, Hkv, D, splits, ms, gbps, copy_gbps, gbps / copy_gbps, gms, ggbps,
                 ggbps / copy_gbps);
  std::fflush(stdout);
  for (int c = 0; c < copies; ++c) {
    cudaFree(ks[c]);
    cudaFree(vs[c]);
  }
  cudaFree(q);
  cudaFree(o);
  cudaFree(seqlens);
  if (ws) cudaFree(ws);
}

}  // namespace

// Host cost of one C-ABI call (argument checks, pointer checks, launch), wall clock.
void host_overhead() {
  const int B = 1, S = 128, H = 8, D = 64;
  const size_t n = size_t(B) * S * H * D;
  void *q, *o;
  CUDA_OK(cudaMalloc(&q, n * 2));
  CUDA_OK(cudaMalloc(&o, n * 2));
  fill(q, n, A4J_BF16, 5);
  for (int checks : {1, 0}) {
    a4j_set_pointer_checks(checks);
    auto call = [&] {
      check(a4j_softmax_forward(A4J_BF16, 0, q, S * H * D, H * D, D, q, S * H * D, H * D, D, q, S * H * D, H * D, D, o,
                                S * H * D, H * D, D, nullptr, B, S, S, H, H, D, D, 0.125f, 0.f, 0, -1, -1, nullptr, 0,
                                nullptr, nullptr, nullptr));
    };
    for (int i = 0; i < 50; ++i) call();
    CUDA_OK(cudaDeviceSynchronize());
    const int reps = 2000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) call();
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
    CUDA_OK(cudaDeviceSynchronize());
    std::printf("host time per a4j_softmax_forward call (tiny shape, pointer checks %s): %.2f us\n", checks ? "on" : "off",
                us);
    if (g_json) std::fprintf(g_json, "{\"op\":\"host_overhead\",\"pointer_checks\":%d,\"us\":%.3f}\n", checks, us);
  }
  a4j_set_pointer_checks(1);
  cudaFree(q);
  cudaFree(o);
}

int main(int argc, char** argv) {
  bool quick = false, variants = true, profile = false, profile_decode = false;
  std::string json;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) json = argv[++i];
    else if (a == "--quick") quick = true;
    else if (a == "--no-variants") variants = false;
    else if (a == "--profile") profile = true;
    else if (a == "--profile-decode") profile_decode = true;
    else if (a == "--iters" && i + 1 < argc) g_iters = std::max(20, std::atoi(argv[++i]));
  }
  if (!json.empty()) g_json = std::fopen(json.c_str(), "w");
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("a4j_native_bench: device %s (sm_%d%d, %d SMs, L2 %d MB), median of %d after 5 warm-ups\n", prop.name,
              prop.major, prop.minor, prop.multiProcessorCount, prop.l2CacheSize >> 20, g_iters);
  if (g_json)
    std::fprintf(g_json, "{\"op\":\"device\",\"name\":\"%s\",\"sm\":%d,\"sms\":%d}\n", prop.name,
                 prop.major * 10 + prop.minor, prop.multiProcessorCount);

  if (profile_decode) {  // decode steps for a profiler: B = 1, 4k cache, 32/8 heads; 2 calls per split count
    const int B = 1, Sk = 4096, H = 32, Hkv = 8, D = 128;
    const size_t kv = size_t(B) * Sk * Hkv * D;
    void *q, *k, *v, *o, *ws;
    CUDA_OK(cudaMalloc(&q, size_t(B) * H * D * 2));
    CUDA_OK(cudaMalloc(&o, size_t(B) * H * D * 2));
    CUDA_OK(cudaMalloc(&k, kv * 2));
    CUDA_OK(cudaMalloc(&v, kv * 2));
    CUDA_OK(cudaMalloc(&ws, 64 << 20));
    fill(q, size_t(B) * H * D, A4J_BF16, 1);
    fill(k, kv, A4J_BF16, 2);
    fill(v, kv, A4J_BF16, 3);
    const int64_t kr = int64_t(Hkv) * D, kb = int64_t(Sk) * kr;
    for (int s : {8, 16, 32, 64})
      for (int rep = 0; rep < 2; ++rep)
        check(a4j_softmax_decode(A4J_BF16, 0, q, int64_t(H) * D, int64_t(H) * D, D, k, kb, kr, D, v, kb, kr, D, o,
                                 int64_t(H) * D, int64_t(H) * D, D, nullptr, B, 1, Sk, H, Hkv, D, D,
                                 1.f / std::sqrt(float(D)), 0.f, 0, -1, -1, nullptr, 0, nullptr, nullptr, s, ws,
                                 size_t(64) << 20, nullptr));
    CUDA_OK(cudaDeviceSynchronize());
    return 0;
  }
  if (profile) {  // a few launches for a profiler (ncu -c N): one call each
    g_iters = 1;
    g_warm = 0;
    bench_forward({A4J_BF16, 0, 32, 1024, 16, 128, 0, -1}, false);
    bench_forward({A4J_BF16, 0, 32, 1024, 16, 64, 1, -1}, false);
    bench_forward({A4J_BF16, 0, 2, 16384, 16, 128, 0, -1}, false);
    return 0;
  }
  host_overhead();
  // Forward: bf16, H = 16, B*S = 32k tokens (the anchors' shapes).
  for (int D : {64, 128})
    for (int S : {1024, 4096, 16384})
      for (int causal : {0, 1}) {
        if (quick && S == 16384) continue;
        bench_forward({A4J_BF16, 0, 32768 / S, S, 16, D, causal, -1}, variants && S == 4096);
      }
  // Every tile of the wgmma kernel (tile_config.h), for the tile rule.
  for (auto dt : std::vector<std::pair<int, const char*>>{{64, "128x128"}, {64, "192x96"}, {64, "128x96x2"},
                                                         {64, "128x64x2"}, {64, "128x128ws"}, {128, "128x128"}, {128, "128x64x2"},
                                                         {128, "128x128ws"}}) {
    setenv("A4J_SM90_TILE", dt.second, 1);
    const std::string name = std::string("sm90 tile ") + dt.second;
    for (int S : {1024, 4096, 16384})
      for (int causal : {0, 1}) {
        if (quick && S == 16384) continue;
        bench_forward({A4J_BF16, 0, 32768 / S, S, 16, dt.first, causal, -1}, false, name.c_str());
      }
  }
  unsetenv("A4J_SM90_TILE");
  // The sm_80 tensor-core kernel on the same shapes (the library takes wgmma on sm_90).
  const char* prev = std::getenv("A4J_DISABLE_WGMMA");
  const std::string saved = prev ? prev : "";
  setenv("A4J_DISABLE_WGMMA", "1", 1);
  for (int D : {64, 128})
    for (int S : {1024, 4096, 16384})
      for (int causal : {0, 1}) {
        if (quick && S != 4096) continue;
        bench_forward({A4J_BF16, 0, 32768 / S, S, 16, D, causal, -1}, false, "mma.sync kernel");
      }
  if (prev) setenv("A4J_DISABLE_WGMMA", saved.c_str(), 1); else unsetenv("A4J_DISABLE_WGMMA");
  // Other dtypes and fp32 modes at one shape.
  for (int D : {64, 128}) {
    bench_forward({A4J_F16, 0, 8, 4096, 16, D, 0, -1}, false);
    bench_forward({A4J_F32, A4J_COMPUTE_EXACT, 8, 4096, 16, D, 0, -1}, false);
    bench_forward({A4J_F32, A4J_COMPUTE_TF32, 8, 4096, 16, D, 0, -1}, false);
    bench_forward({A4J_F32, A4J_COMPUTE_BF16, 8, 4096, 16, D, 0, -1}, false);
  }
  // Causal sliding window (the FlexAttention anchor: B=1, H=16, D=128, S=16384, W=1024).
  bench_forward({A4J_BF16, 0, 1, 16384, 16, 128, 1, 1023}, false);
  if (!quick) bench_forward({A4J_BF16, 0, 1, 65536, 16, 128, 1, 4095}, false);

  // Decode: one query against a cache.
  const double copy = copy_bandwidth_gbps();
  // B = 1, 32/8 heads, D = 128, bf16: K and V bytes of a 4k, 16k and 64k cache.
  for (int Sk : {4096, 16384, 65536}) bench_read_floor(2.0 * Sk * 8 * 128 * 2, copy);
  for (auto hh : std::vector<std::pair<int, int>>{{32, 8}, {16, 16}})
    for (int B : {1, 8, 64})
      for (int Sk : {4096, 16384, 65536}) {
        if (quick && Sk == 65536) continue;
        bench_decode(A4J_BF16, 0, B, Sk, hh.first, hh.second, 128, copy, "attention4j", 0);
      }
  bench_decode(A4J_F16, 0, 8, 16384, 32, 8, 128, copy, "attention4j", 0);
  bench_decode(A4J_F32, A4J_COMPUTE_EXACT, 8, 16384, 32, 8, 128, copy, "attention4j", 0);
  if (variants) {
    // Split counts around the heuristic's, for its calibration (2 * 132 SMs / 8 kv heads = 33).
    for (int Sk : {4096, 16384, 65536})
      for (int s : {8, 16, 24, 32, 33, 48, 64}) bench_decode(A4J_BF16, 0, 1, Sk, 32, 8, 128, copy, "splits forced", s);

    for (int s : {2, 3, 4, 5, 8}) bench_decode(A4J_BF16, 0, 8, 16384, 32, 8, 128, copy, "splits forced", s);
    for (int s : {1, 2, 3, 4}) bench_decode(A4J_BF16, 0, 16, 4096, 32, 8, 128, copy, "splits forced", s);
    setenv("A4J_DECODE_KERNEL", "general", 1);  // the general kernel with the decode tiles
    for (int B : {1, 8})
      for (int Sk : {4096, 65536}) bench_decode(A4J_BF16, 0, B, Sk, 32, 8, 128, copy, "general kernel", 0);
    setenv("A4J_DECODE_KERNEL", "cpasync", 1);  // the few-rows kernel without TMA
    for (int B : {1, 8, 64})
      for (int Sk : {4096, 16384, 65536}) bench_decode(A4J_BF16, 0, B, Sk, 32, 8, 128, copy, "cp.async decode", 0);
    for (int Sk : {4096, 16384}) bench_decode(A4J_BF16, 0, 1, Sk, 16, 16, 128, copy, "cp.async decode", 0);
    unsetenv("A4J_DECODE_KERNEL");
    if (std::getenv("A4J_DISABLE_PDL") == nullptr) {
      setenv("A4J_DISABLE_PDL", "1", 1);
      for (int Sk : {4096, 65536}) bench_decode(A4J_BF16, 0, 1, Sk, 32, 8, 128, copy, "no pdl", 0);
      unsetenv("A4J_DISABLE_PDL");
    }
    for (int B : {1, 8})
      for (int Sk : {4096, 65536}) bench_decode(A4J_BF16, 0, B, Sk, 32, 8, 128, copy, "no ptr checks", 0, false);
  }
  if (g_json) std::fclose(g_json);
  return 0;
}
