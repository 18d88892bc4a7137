// a4j_native_test: every softmax path of the C ABI against an fp64 CPU reference written here,
// independently of the kernels, from spec/OPERATORS.md sections 0-2.
//
// usage: a4j_native_test [--seed N] [--filter SUBSTRING] [--quick]
// Fresh random inputs each run (seed from the clock unless given; printed). Outputs and LSE are
// poisoned with NaN before every launch; padding bytes of strided tensors must stay untouched.
// Prints one line per case and closes with "N passed, M failed"; exit code 1 on any failure.
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "common.h"

using namespace a4jt;

namespace {

struct Case {
  int dtype = A4J_BF16, mode = A4J_COMPUTE_EXACT;
  int B = 1, Sq = 64, Sk = 64, H = 2, Hkv = 2, D = 64, Dv = 64;
  int causal = 0, wl = -1, wr = -1;
  float softcap = 0.f;
  float scale = NAN;  // NaN: D^-1/2
  int alibi = 0;      // 0 none, 1 [H], 2 [B, H]
  int ranges = 0;     // 0 none, 1 k_start + k_end, 2 k_end only, 3 ranges with an empty batch
  int layout = kBSHD;
  bool lse = true;
  bool decode = false;
  int splits = 0;       // decode: 0 = auto
  bool user_ws = false;  // decode: caller-allocated workspace
  bool mma_sync = false;  // A4J_DISABLE_WGMMA=1: the sm_80 tensor-core kernel even on sm_90
  const char* sm90_tile = nullptr;  // A4J_SM90_TILE: a forced tile of the wgmma kernel (D = 64 or 128)
  bool no_pdl = false;
  bool general_decode = false;  // decode: A4J_DECODE_KERNEL=general, the general kernel even for <= 16 rows
  bool cpasync_decode = false;  // decode: A4J_DECODE_KERNEL=cpasync, the few-rows cp.async kernel even on sm_90
};

// Sets an environment variable for one scope (the library reads them at every call); nullptr: untouched.
struct ScopedEnv {
  const char* name;
  bool set;
  ScopedEnv(const char* n, const char* value) : name(n), set(value != nullptr) {
    if (set) setenv(n, value, 1);
  }
  ~ScopedEnv() {
    if (set) unsetenv(name);
  }
};

// Every tile of the wgmma kernel (tile_config.h kSm90Tiles), each forced in turn.
const std::vector<const char*>& sm90_tiles(int D) {
  static const std::vector<const char*> d64 = {"128x128", "192x96", "128x96x2", "128x64x2", "128x128ws"};
  static const std::vector<const char*> d128 = {"128x128", "128x64x2", "128x128ws"};
  static const std::vector<const char*> none;
  return D == 64 ? d64 : D == 128 ? d128 : none;
}

double tolerance(const Case& c) {
  if (c.dtype == A4J_BF16) return 2e-2;
  if (c.dtype == A4J_F16) return 5e-3;
  if (c.mode == A4J_COMPUTE_TF32) return 2e-3;
  if (c.mode == A4J_COMPUTE_BF16) return 2e-2;
  return 1e-5;
}

std::string describe(const Case& c) {
  char buf[320];
  const char* mode = c.dtype != A4J_F32 ? "" : c.mode == A4J_COMPUTE_TF32 ? "/tf32" : c.mode == A4J_COMPUTE_BF16 ? "/bf16c" : "/exact";
  std::snprintf(buf, sizeof(buf), "%s%s %s%s B%d Sq%d Sk%d H%d/%d D%d/%d%s win(%d,%d)%s%s%s%s %s%s", c.decode ? "decode" : "fwd",
                c.mma_sync ? "(mma.sync)" : c.sm90_tile ? c.sm90_tile : "", dtype_name(c.dtype), mode, c.B, c.Sq, c.Sk, c.H, c.Hkv, c.D, c.Dv, c.causal ? " causal" : "", c.wl, c.wr,
                c.softcap > 0 ? " softcap" : "", c.alibi == 1 ? " alibi[H]" : c.alibi == 2 ? " alibi[B,H]" : "",
                c.ranges == 1 ? " ranges" : c.ranges == 2 ? " seqlens" : c.ranges == 3 ? " ranges+empty" : "",
                c.lse ? "" : " nolse", layout_name(c.layout),
                c.decode ? (std::string(" splits=") + std::to_string(c.splits) + (c.user_ws ? " userws" : "") + (c.no_pdl ? " nopdl" : "") + (c.general_decode ? " general" : "") + (c.cpasync_decode ? " cpasync" : "")).c_str() : "");
  return buf;
}

// ---------------------------------------------------------------------------------------------
// fp64 reference (spec 1.1, 1.3, 2.1, 0.5)
// ---------------------------------------------------------------------------------------------
struct Inputs {
  std::vector<float> q, k, v;  // logical [B,S,H,D], values already rounded to the dtype
  std::vector<float> slopes;   // [H] or [B*H]
  std::vector<int> ks, ke;     // per-batch key ranges
};

void reference(const Case& c, const Inputs& in, std::vector<double>& out, std::vector<double>& lse) {
  const double scale = std::isnan(c.scale) ? 1.0 / std::sqrt(double(c.D)) : double(c.scale);
  int wl = c.wl, wr = c.wr;
  if (wl >= c.Sk) wl = -1;  // spec 1.2 / 2.3: sides >= Sk are unbounded
  if (wr >= c.Sk) wr = -1;
  if (c.causal) wr = 0;
  const bool alibi_causal = wl < 0 && wr == 0;
  out.assign(size_t(c.B) * c.Sq * c.H * c.Dv, 0.0);
  lse.assign(size_t(c.B) * c.H * c.Sq, 0.0);
  const int group = c.H / c.Hkv;
  auto work = [&](int bh) {
    const int b = bh / c.H, h = bh % c.H, hk = h / group;
    int ks = 0, ke = c.Sk;
    if (!in.ks.empty()) ks = in.ks[b];
    if (!in.ke.empty()) ke = in.ke[b];
    ks = std::min(std::max(ks, 0), c.Sk);
    ke = std::min(std::max(ke, ks), c.Sk);
    const int Skb = ke - ks;
    double slope = 0;
    if (c.alibi == 1) slope = in.slopes[h];
    if (c.alibi == 2) slope = in.slopes[b * c.H + h];
    std::vector<double> s(std::max(Skb, 1));
    std::vector<char> vis(std::max(Skb, 1));
    for (int i = 0; i < c.Sq; ++i) {
      const int ip = i + Skb - c.Sq;
      double mx = -INFINITY;
      for (int j = 0; j < Skb; ++j) {
        vis[j] = (wl < 0 || j >= ip - wl) && (wr < 0 || j <= ip + wr);
        if (!vis[j]) continue;
        const float* qr = &in.q[((size_t(b) * c.Sq + i) * c.H + h) * c.D];
        const float* kr = &in.k[((size_t(b) * c.Sk + ks + j) * c.Hkv + hk) * c.D];
        double dot = 0;
        for (int d = 0; d < c.D; ++d) dot += double(qr[d]) * double(kr[d]);
        double x = scale * dot;
        if (c.softcap > 0) x = c.softcap * std::tanh(x / c.softcap);
        if (c.alibi) x += slope * (alibi_causal ? double(j) : -std::fabs(double(ip - j)));
        s[j] = x;
        mx = std::max(mx, x);
      }
      double* o = &out[((size_t(b) * c.Sq + i) * c.H + h) * c.Dv];
      double& l = lse[(size_t(b) * c.H + h) * c.Sq + i];
      if (mx == -INFINITY) {
        l = INFINITY;  // fully masked row: output 0, lse +inf
        continue;
      }
      double sum = 0;
      for (int j = 0; j < Skb; ++j)
        if (vis[j]) sum += std::exp(s[j] - mx);
      for (int j = 0; j < Skb; ++j) {
        if (!vis[j]) continue;
        const double pj = std::exp(s[j] - mx) / sum;
        const float* vr = &in.v[((size_t(b) * c.Sk + ks + j) * c.Hkv + hk) * c.Dv];
        for (int d = 0; d < c.Dv; ++d) o[d] += pj * double(vr[d]);
      }
      l = mx + std::log(sum);
    }
  };
  const int nbh = c.B * c.H;
  const int nthreads = std::max(1, std::min<int>(nbh, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 0; t < nthreads; ++t)
    pool.emplace_back([&, t] {
      for (int bh = t; bh < nbh; bh += nthreads) work(bh);
    });
  for (auto& th : pool) th.join();
}

// ---------------------------------------------------------------------------------------------
// One case on the device
// ---------------------------------------------------------------------------------------------
std::mt19937_64 g_rng;

std::vector<float> random_values(size_t n, int dtype, double stddev) {
  std::normal_distribution<float> dist(0.f, float(stddev));
  std::vector<float> v(n);
  for (auto& x : v) x = round_to(dtype, dist(g_rng));
  return v;
}

struct Result {
  bool pass;
  std::string detail;
};

Result run_case(const Case& c) {
  Inputs in;
  in.q = random_values(size_t(c.B) * c.Sq * c.H * c.D, c.dtype, 1.0);
  in.k = random_values(size_t(c.B) * c.Sk * c.Hkv * c.D, c.dtype, 1.0);
  in.v = random_values(size_t(c.B) * c.Sk * c.Hkv * c.Dv, c.dtype, 1.0);
  std::uniform_real_distribution<float> unif(0.f, 1.f);
  if (c.alibi == 1) {
    for (int h = 0; h < c.H; ++h) in.slopes.push_back(std::exp2(-8.f * (h + 1) / c.H) * (0.5f + unif(g_rng)));
  } else if (c.alibi == 2) {
    for (int i = 0; i < c.B * c.H; ++i) in.slopes.push_back(0.05f + 0.5f * unif(g_rng));
  }
  if (c.ranges) {
    std::uniform_int_distribution<int> pick(0, c.Sk);
    for (int b = 0; b < c.B; ++b) {
      int a = pick(g_rng), e = pick(g_rng);
      if (a > e) std::swap(a, e);
      if (c.ranges == 2) a = 0;
      if (b == 1 % c.B && c.B > 1) {  // one batch keeps (almost) everything
        a = c.ranges == 2 ? 0 : 1;
        e = c.Sk;
      }
      if (c.ranges == 3 && b == 0) e = a;  // empty key range
      in.ks.push_back(a);
      in.ke.push_back(e);
    }
  }

  DevTensor q = alloc_tensor(c.B, c.Sq, c.H, c.D, c.layout, c.dtype);
  DevTensor k = alloc_tensor(c.B, c.Sk, c.Hkv, c.D, c.layout, c.dtype);
  DevTensor v = alloc_tensor(c.B, c.Sk, c.Hkv, c.Dv, c.layout == kBHSD ? kPadded : c.layout, c.dtype);
  DevTensor o = alloc_tensor(c.B, c.Sq, c.H, c.Dv, c.layout, c.dtype);
  upload(q, in.q);
  upload(k, in.k);
  upload(v, in.v);
  float* lse = nullptr;
  const size_t nlse = size_t(c.B) * c.H * c.Sq;
  if (c.lse) {
    CUDA_OK(cudaMalloc(&lse, nlse * 4));
    CUDA_OK(cudaMemset(lse, 0xFF, nlse * 4));
  }
  float* slopes = nullptr;
  if (c.alibi) {
    CUDA_OK(cudaMalloc(&slopes, in.slopes.size() * 4));
    CUDA_OK(cudaMemcpy(slopes, in.slopes.data(), in.slopes.size() * 4, cudaMemcpyHostToDevice));
  }
  int *ks = nullptr, *ke = nullptr;
  if (c.ranges) {
    if (c.ranges != 2) {
      CUDA_OK(cudaMalloc(&ks, c.B * 4));
      CUDA_OK(cudaMemcpy(ks, in.ks.data(), c.B * 4, cudaMemcpyHostToDevice));
    } else {
      in.ks.clear();
    }
    CUDA_OK(cudaMalloc(&ke, c.B * 4));
    CUDA_OK(cudaMemcpy(ke, in.ke.data(), c.B * 4, cudaMemcpyHostToDevice));
  }
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreate(&stream));
  const float scale = std::isnan(c.scale) ? 1.f / std::sqrt(float(c.D)) : c.scale;
  int st;
  int used_splits = 1;
  void* ws = nullptr;
  {  // the environment of the case, for the call only
  const ScopedEnv env[] = {{"A4J_DISABLE_WGMMA", c.mma_sync ? "1" : nullptr},
                           {"A4J_DISABLE_PDL", c.no_pdl ? "1" : nullptr},
                           {"A4J_DECODE_KERNEL", c.general_decode ? "general" : c.cpasync_decode ? "cpasync" : nullptr},
                           {"A4J_SM90_TILE", c.sm90_tile}};
  if (!c.decode) {
    st = a4j_softmax_forward(c.dtype, c.mode, q.ptr, q.sb, q.sr, q.sh, k.ptr, k.sb, k.sr, k.sh, v.ptr, v.sb, v.sr, v.sh,
                             o.ptr, o.sb, o.sr, o.sh, lse, c.B, c.Sq, c.Sk, c.H, c.Hkv, c.D, c.Dv, scale, c.softcap,
                             c.causal, c.wl, c.wr, slopes, c.alibi == 2 ? c.H : 0, ks, ke, stream);
  } else {
    size_t bytes = 0;
    st = a4j_softmax_decode_workspace_size(c.dtype, c.mode, c.B, c.Sq, c.Sk, c.H, c.Hkv, c.D, c.Dv, c.splits, &bytes,
                                           &used_splits);
    if (st == A4J_SUCCESS && c.user_ws && bytes > 0) CUDA_OK(cudaMalloc(&ws, bytes));
    if (st == A4J_SUCCESS)
      st = a4j_softmax_decode(c.dtype, c.mode, q.ptr, q.sb, q.sr, q.sh, k.ptr, k.sb, k.sr, k.sh, v.ptr, v.sb, v.sr,
                              v.sh, o.ptr, o.sb, o.sr, o.sh, lse, c.B, c.Sq, c.Sk, c.H, c.Hkv, c.D, c.Dv, scale,
                              c.softcap, c.causal, c.wl, c.wr, slopes, c.alibi == 2 ? c.H : 0, ks, ke, c.splits, ws,
                              bytes, stream);
  }
  }
  Result res{true, ""};
  char buf[256];
  if (st != A4J_SUCCESS) {
    res = {false, std::string("status ") + a4j_status_string(st) + ": " + a4j_last_error_message()};
  } else {
    cudaError_t e = cudaStreamSynchronize(stream);
    if (e != cudaSuccess) {
      std::fprintf(stderr, "FATAL: %s: %s\n", describe(c).c_str(), cudaGetErrorString(e));
      std::exit(3);  // a device fault leaves the context unusable
    }
    std::vector<double> ref_o, ref_lse;
    reference(c, in, ref_o, ref_lse);
    // Output: logical elements vs reference; gaps must still hold the poison.
    std::vector<unsigned char> raw = download_raw(o);
    std::vector<char> logical(o.elems, 0);
    double num = 0, den = 0;
    int64_t nan_count = 0;
    for (int b = 0; b < c.B; ++b)
      for (int i = 0; i < c.Sq; ++i)
        for (int h = 0; h < c.H; ++h)
          for (int d = 0; d < c.Dv; ++d) {
            const int64_t off = o.offset(b, i, h, d);
            logical[off] = 1;
            const double x = load_elem(c.dtype, raw.data(), off);
            const double r = ref_o[((size_t(b) * c.Sq + i) * c.H + h) * c.Dv + d];
            if (!std::isfinite(x)) ++nan_count;
            num += (x - r) * (x - r);
            den += r * r;
          }
    int64_t touched = 0;
    const int eb = elem_bytes(c.dtype);
    for (int64_t idx = 0; idx < o.elems; ++idx) {
      if (logical[idx]) continue;
      for (int bb = 0; bb < eb; ++bb)
        if (raw[idx * eb + bb] != 0xFF) {
          ++touched;
          break;
        }
    }
    const double err = std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
    double lse_err = 0;
    int64_t lse_bad = 0;
    if (c.lse) {
      std::vector<float> dl(nlse);
      CUDA_OK(cudaMemcpy(dl.data(), lse, nlse * 4, cudaMemcpyDeviceToHost));
      for (size_t idx = 0; idx < nlse; ++idx) {
        const double r = ref_lse[idx], x = dl[idx];
        if (std::isinf(r)) {
          if (!(std::isinf(x) && x > 0)) ++lse_bad;
        } else if (!std::isfinite(x)) {
          ++lse_bad;
        } else {
          lse_err = std::max(lse_err, std::fabs(x - r) / std::max(1.0, std::fabs(r)));
        }
      }
    }
    const double tol = tolerance(c);
    res.pass = nan_count == 0 && touched == 0 && err <= tol && lse_bad == 0 && lse_err <= tol;
    std::snprintf(buf, sizeof(buf), "err=%.2e lse_err=%.2e tol=%.0e%s", err, lse_err, tol,
                  c.decode ? (" used_splits=" + std::to_string(used_splits)).c_str() : "");
    res.detail = buf;
    if (nan_count) res.detail += " NONFINITE=" + std::to_string(nan_count);
    if (touched) res.detail += " GAP_WRITES=" + std::to_string(touched);
    if (lse_bad) res.detail += " LSE_BAD=" + std::to_string(lse_bad);
  }
  cudaStreamDestroy(stream);
  free_tensor(q);
  free_tensor(k);
  free_tensor(v);
  free_tensor(o);
  if (lse) cudaFree(lse);
  if (slopes) cudaFree(slopes);
  if (ks) cudaFree(ks);
  if (ke) cudaFree(ke);
  if (ws) cudaFree(ws);
  return res;
}

// ---------------------------------------------------------------------------------------------
// The shape matrix
// ---------------------------------------------------------------------------------------------
struct PathSel {
  int dtype, mode;
};
const PathSel kAllPaths[] = {{A4J_BF16, 0},
                             {A4J_F16, 0},
                             {A4J_F32, A4J_COMPUTE_EXACT},
                             {A4J_F32, A4J_COMPUTE_TF32},
                             {A4J_F32, A4J_COMPUTE_BF16}};

std::vector<Case> build_cases(bool quick) {
  std::vector<Case> cs;
  auto with = [](Case c, PathSel p) {
    c.dtype = p.dtype;
    c.mode = p.mode;
    return c;
  };
  // 1. every padded head dim on every path, causal and not
  for (PathSel p : kAllPaths)
    for (int D : {32, 64, 96, 128, 160, 192, 224, 256})
      for (int causal : {0, 1}) {
        Case c;
        c.Sq = c.Sk = 130;
        c.D = c.Dv = D;
        c.causal = causal;
        cs.push_back(with(c, p));
      }
  // 1b. the same for the sm_80 kernel where sm_90 would take the wgmma kernel
  for (PathSel p : {kAllPaths[0], kAllPaths[1]})
    for (int D : {64, 128})
      for (int causal : {0, 1}) {
        Case c;
        c.Sq = 130;
        c.Sk = 257;
        c.D = c.Dv = D;
        c.causal = causal;
        c.mma_sync = true;
        cs.push_back(with(c, p));
        c.mma_sync = false;
        cs.push_back(with(c, p));
        for (const char* tile : sm90_tiles(D)) {
          c.sm90_tile = tile;
          cs.push_back(with(c, p));
        }
        c.sm90_tile = nullptr;
        c.Sq = 1;  // one tile, and tiles fully masked by the causal diagonal
        cs.push_back(with(c, p));
        c.Sq = 300;
        c.Sk = 128;
        cs.push_back(with(c, p));
      }
  // 2. odd head dims, D != Dv
  for (PathSel p : kAllPaths)
    for (auto dd : std::vector<std::pair<int, int>>{{8, 8}, {40, 24}, {17, 33}, {100, 100}, {192, 128}, {64, 256},
                                                   {256, 8}, {1, 1}, {3, 200}}) {
      Case c;
      c.Sq = 65;
      c.Sk = 130;
      c.D = dd.first;
      c.Dv = dd.second;
      c.causal = (dd.first % 2);
      cs.push_back(with(c, p));
    }
  // 3. sequence lengths, Sq != Sk both ways, GQA 6:2 and MQA
  const std::vector<std::pair<int, int>> lens = {{1, 1},    {1, 257},  {17, 17},  {63, 65},  {65, 63},
                                                 {257, 130}, {130, 257}, {1, 130}, {257, 1}, {64, 64}};
  for (PathSel p : {kAllPaths[0], kAllPaths[2], kAllPaths[3]})
    for (auto sl : lens)
      for (int causal : {0, 1}) {
        Case c;
        c.Sq = sl.first;
        c.Sk = sl.second;
        c.H = 6;
        c.Hkv = 2;
        c.causal = causal;
        cs.push_back(with(c, p));
      }
  for (auto sl : lens) {
    Case c;
    c.Sq = sl.first;
    c.Sk = sl.second;
    c.H = 4;
    c.Hkv = 1;
    c.causal = sl.first % 2;
    c.D = c.Dv = 128;
    cs.push_back(with(c, kAllPaths[1]));
  }
  // 4. windows
  const std::vector<std::pair<int, int>> wins = {{16, 0}, {16, 16}, {0, 0}, {-1, 8}, {5, -1}, {100, 3}, {1, 1}};
  for (PathSel p : {kAllPaths[0], kAllPaths[2]})
    for (auto w : wins)
      for (auto sl : std::vector<std::pair<int, int>>{{130, 130}, {65, 257}, {257, 65}, {300, 300}}) {
        Case c;
        c.Sq = sl.first;
        c.Sk = sl.second;
        c.wl = w.first;
        c.wr = w.second;
        c.H = 4;
        c.Hkv = 2;
        cs.push_back(with(c, p));
      }
  for (PathSel p : kAllPaths) {
    Case c;  // causal + left window
    c.Sq = c.Sk = 257;
    c.causal = 1;
    c.wl = 31;
    cs.push_back(with(c, p));
    c.Sq = 100;  // window >= Sk is unbounded (FA canonicalization), Sq > Sk
    c.Sk = 10;
    c.causal = 0;
    c.wl = 3;
    c.wr = 20;
    cs.push_back(with(c, p));
  }
  // 5. softcap (large logits so tanh saturates)
  for (PathSel p : kAllPaths)
    for (int causal : {0, 1}) {
      Case c;
      c.Sq = 100;
      c.Sk = 130;
      c.softcap = 5.f;
      c.scale = 1.f;
      c.causal = causal;
      cs.push_back(with(c, p));
    }
  // 6. ALiBi, [H] and [B,H], causal and not, with a window
  for (PathSel p : kAllPaths)
    for (int mode : {1, 2})
      for (int causal : {0, 1}) {
        Case c;
        c.B = 2;
        c.H = 4;
        c.Hkv = 2;
        c.Sq = 70;
        c.Sk = 130;
        c.alibi = mode;
        c.causal = causal;
        cs.push_back(with(c, p));
        if (mode == 2) {
          c.wl = 20;
          c.wr = causal ? 0 : 7;
          cs.push_back(with(c, p));
        }
      }
  // 7. fully masked rows
  for (PathSel p : kAllPaths) {
    Case c;
    c.Sq = 65;
    c.Sk = 17;
    c.causal = 1;
    cs.push_back(with(c, p));
    c.Sq = 130;
    c.Sk = 40;
    c.causal = 0;
    c.wl = 2;
    c.wr = 0;
    cs.push_back(with(c, p));
    c.Sq = c.Sk = 64;
    c.wl = c.wr = -1;
    c.B = 3;
    c.ranges = 3;
    cs.push_back(with(c, p));
  }
  // 8. per-batch key ranges with left padding
  for (PathSel p : kAllPaths)
    for (int variant = 0; variant < 3; ++variant) {
      Case c;
      c.B = 3;
      c.H = 4;
      c.Hkv = 2;
      c.Sq = 50;
      c.Sk = 200;
      c.ranges = variant == 2 ? 2 : 1;
      c.causal = variant == 1;
      if (variant == 2) {
        c.wl = 30;
        c.wr = 0;
        c.alibi = 1;
      }
      cs.push_back(with(c, p));
    }
  // 9. layouts (strided, padded, unaligned)
  for (PathSel p : kAllPaths)
    for (int layout : {kBHSD, kPadded, kPaddedOdd}) {
      Case c;
      c.B = 2;
      c.H = 6;
      c.Hkv = 3;
      c.Sq = 90;
      c.Sk = 150;
      c.D = c.Dv = 64;
      c.layout = layout;
      c.causal = layout == kPadded;
      c.lse = layout != kBHSD;
      cs.push_back(with(c, p));
    }
  // 9b. masks, softcap, ALiBi and ranges on the sm_80 kernel too (D = 64 goes to wgmma on sm_90)
  for (int variant = 0; variant < 6; ++variant) {
    Case c;
    c.B = 2;
    c.H = 4;
    c.Hkv = 2;
    c.Sq = 150;
    c.Sk = 300;
    c.mma_sync = true;
    if (variant == 0) c.causal = 1;
    if (variant == 1) { c.wl = 40; c.wr = 3; }
    if (variant == 2) { c.softcap = 5.f; c.scale = 1.f; }
    if (variant == 3) { c.alibi = 2; c.causal = 1; }
    if (variant == 4) { c.ranges = 1; c.causal = 1; }
    if (variant == 5) { c.Sq = 400; c.Sk = 100; c.causal = 1; c.D = c.Dv = 128; }
    cs.push_back(with(c, kAllPaths[variant % 2]));
    c.mma_sync = false;
    for (const char* tile : sm90_tiles(c.D)) {
      c.sm90_tile = tile;
      cs.push_back(with(c, kAllPaths[variant % 2]));
    }
    c.sm90_tile = nullptr;
  }
  // 10. larger shapes (many tiles, many query blocks)
  if (!quick) {
    Case c;
    c.B = 2;
    c.H = 4;
    c.Hkv = 4;
    c.Sq = c.Sk = 1024;
    c.D = c.Dv = 128;
    for (int causal : {0, 1}) {
      c.causal = causal;
      cs.push_back(with(c, kAllPaths[0]));
    }
    c.D = c.Dv = 64;
    c.Sq = c.Sk = 777;
    c.causal = 1;
    cs.push_back(with(c, kAllPaths[1]));
    c.D = c.Dv = 128;
    c.Sq = 300;
    c.Sk = 1500;
    cs.push_back(with(c, kAllPaths[2]));
    c.Sq = 1000;
    c.Sk = 3000;
    c.H = 8;
    c.Hkv = 2;
    c.wl = 500;
    c.wr = 100;
    cs.push_back(with(c, kAllPaths[0]));
  }
  // 11. split-KV decode
  for (PathSel p : kAllPaths)
    for (int Sq : {1, 3})
      for (auto hh : std::vector<std::pair<int, int>>{{8, 8}, {8, 2}, {8, 1}})
        for (int splits : {0, 1, 3, 7}) {
          Case c;
          c.decode = true;
          c.B = 3;
          c.Sq = Sq;
          c.Sk = 1000;
          c.H = hh.first;
          c.Hkv = hh.second;
          c.D = c.Dv = 128;
          c.ranges = 1;
          c.splits = splits;
          c.causal = Sq > 1;
          c.user_ws = splits == 3;
          c.no_pdl = splits == 7;
          cs.push_back(with(c, p));
          if (splits == 0 || splits == 3) {  // the general and the cp.async few-rows kernels on the same case
            c.general_decode = true;
            cs.push_back(with(c, p));
            c.general_decode = false;
            c.cpasync_decode = true;
            cs.push_back(with(c, p));
            c.cpasync_decode = false;
          }
        }
  for (PathSel p : kAllPaths) {
    Case c;
    c.decode = true;
    c.B = 2;
    c.Sq = 1;
    c.Sk = 4100;
    c.H = 16;
    c.Hkv = 4;
    c.D = c.Dv = 64;
    cs.push_back(with(c, p));  // auto splits, long cache
    c.ranges = 2;
    c.wl = 300;
    c.causal = 1;
    c.alibi = 2;
    cs.push_back(with(c, p));  // seqlens + sliding window + ALiBi
    c.wl = -1;
    c.alibi = 0;
    c.ranges = 3;
    c.splits = 5;
    c.D = 96;
    c.Dv = 40;
    c.softcap = 10.f;
    cs.push_back(with(c, p));  // an empty batch, odd head dims, softcap
  }
  return cs;
}

// ---------------------------------------------------------------------------------------------
// Error codes of the C layer
// ---------------------------------------------------------------------------------------------
int check_errors(int& passed, int& failed) {
  DevTensor q = alloc_tensor(1, 8, 4, 64, kBSHD, A4J_BF16);
  DevTensor o = alloc_tensor(1, 8, 4, 64, kBSHD, A4J_BF16);
  std::vector<float> hostbuf(8 * 4 * 64);
  auto fwd = [&](int dtype, const void* qp, int H, int Hkv, int D, float softcap, int B, void* out) {
    return a4j_softmax_forward(dtype, 0, qp, q.sb, q.sr, q.sh, q.ptr, q.sb, q.sr, q.sh, q.ptr, q.sb, q.sr, q.sh, out,
                               o.sb, o.sr, o.sh, nullptr, B, 8, 8, H, Hkv, D, D, 0.125f, softcap, 0, -1, -1, nullptr, 0,
                               nullptr, nullptr, nullptr);
  };
  struct E {
    const char* name;
    int got, want;
    const char* needle;
  };
  std::vector<E> es;
  es.push_back({"null q", fwd(A4J_BF16, nullptr, 4, 4, 64, 0, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "q is NULL"});
  es.push_back({"null out", fwd(A4J_BF16, q.ptr, 4, 4, 64, 0, 1, nullptr), A4J_ERROR_INVALID_ARGUMENT, "out"});
  es.push_back({"H % Hkv", fwd(A4J_BF16, q.ptr, 4, 3, 64, 0, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "num_heads"});
  es.push_back({"D > 256", fwd(A4J_BF16, q.ptr, 4, 4, 300, 0, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "head_dim"});
  es.push_back({"dtype", fwd(7, q.ptr, 4, 4, 64, 0, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "dtype"});
  es.push_back({"softcap < 0", fwd(A4J_BF16, q.ptr, 4, 4, 64, -1.f, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "softcap"});
  es.push_back({"host pointer", fwd(A4J_BF16, hostbuf.data(), 4, 4, 64, 0, 1, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "host"});
  es.push_back({"extent", fwd(A4J_BF16, q.ptr, 4, 4, 64, 0, 3, o.ptr), A4J_ERROR_INVALID_ARGUMENT, "extent"});
  {
    size_t bytes = 0;
    int splits = 0;
    int st = a4j_softmax_decode_workspace_size(A4J_BF16, 0, 1, 1, 8, 4, 4, 64, 64, 2, &bytes, &splits);
    void* ws = nullptr;
    CUDA_OK(cudaMalloc(&ws, 256));
    if (st == A4J_SUCCESS)
      st = a4j_softmax_decode(A4J_BF16, 0, q.ptr, q.sb, q.sr, q.sh, q.ptr, q.sb, q.sr, q.sh, q.ptr, q.sb, q.sr, q.sh,
                              o.ptr, o.sb, o.sr, o.sh, nullptr, 1, 1, 8, 4, 4, 64, 64, 0.125f, 0.f, 0, -1, -1, nullptr, 0,
                              nullptr, nullptr, 64 /* at most one tile: 1 split */, ws, 16, nullptr);
    // 8 keys make one tile, so the request is clamped to 1 split and needs no workspace.
    es.push_back({"decode splits clamp", st, A4J_SUCCESS, ""});
    st = a4j_softmax_decode_workspace_size(A4J_BF16, 0, 1, 1, 4096, 4, 4, 64, 64, 8, &bytes, &splits);
    if (st == A4J_SUCCESS)
      st = a4j_softmax_decode(A4J_BF16, 0, q.ptr, q.sb, q.sr, q.sh, q.ptr, 0, 0, 0, q.ptr, 0, 0, 0, o.ptr, o.sb, o.sr,
                              o.sh, nullptr, 1, 1, 4096, 4, 4, 64, 64, 0.125f, 0.f, 0, -1, -1, nullptr, 0, nullptr,
                              nullptr, 8, ws, 16, nullptr);
    es.push_back({"decode workspace too small", st, A4J_ERROR_WORKSPACE, "workspace"});
    CUDA_OK(cudaDeviceSynchronize());
    cudaFree(ws);
  }
  for (const E& e : es) {
    const std::string msg = a4j_last_error_message();
    bool ok = e.got == e.want;
    // The message of the last call only (each call clears it); re-run to read it per case.
    std::printf("%s  error-code %-28s status=%d (%s) want=%d\n", ok ? "PASS" : "FAIL", e.name, e.got,
                a4j_status_string(e.got), e.want);
    (ok ? passed : failed)++;
  }
  // Messages name the argument.
  fwd(A4J_BF16, q.ptr, 4, 4, 300, 0, 1, o.ptr);
  const std::string m1 = a4j_last_error_message();
  fwd(A4J_BF16, hostbuf.data(), 4, 4, 64, 0, 1, o.ptr);
  const std::string m2 = a4j_last_error_message();
  const bool msg_ok = m1.find("head_dim = 300") != std::string::npos && m2.find("q = ") != std::string::npos;
  std::printf("%s  error-messages: \"%s\" | \"%s\"\n", msg_ok ? "PASS" : "FAIL", m1.c_str(), m2.c_str());
  (msg_ok ? passed : failed)++;
  // A success clears the message.
  free_tensor(q);
  free_tensor(o);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = uint64_t(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  std::string filter;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--quick") quick = true;
  }
  g_rng.seed(seed);
  int dev = 0;
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDevice(&dev));
  CUDA_OK(cudaGetDeviceProperties(&prop, dev));
  std::printf("a4j_native_test: seed %llu, device %s (sm_%d%d, %d SMs), library version %d\n",
              static_cast<unsigned long long>(seed), prop.name, prop.major, prop.minor, prop.multiProcessorCount,
              a4j_version());
  int passed = 0, failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Case& c : build_cases(quick)) {
    const std::string name = describe(c);
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    const Result r = run_case(c);
    std::printf("%s  %s  %s\n", r.pass ? "PASS" : "FAIL", name.c_str(), r.detail.c_str());
    std::fflush(stdout);
    (r.pass ? passed : failed)++;
  }
  if (filter.empty()) check_errors(passed, failed);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("elapsed %.1f s, seed %llu\n", secs, static_cast<unsigned long long>(seed));
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
