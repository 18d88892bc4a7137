"""Same-run baselines for a4j_native_bench, on the GPU machine.

Section 1 of /work/shared/perf/anchors_h100.py unchanged in method (PyTorch SDPA backends on
[B, H, S, D], B*S = 32k tokens, H = 16, median of 20 timed calls after 5 warm-ups, CUDA events,
FLOPs 4*B*H*S*S*D halved for causal), plus a decode section (one query against a KV cache through
SDPA, achieved GB/s of the K+V bytes) and a device-to-device copy. Writes $ANCHORS_OUT/anchors.json.
env: A4J_BASELINE_FP32=0 skips the fp32 rows; A4J_BASELINE_DECODE=0 skips decode.
"""
import json, os, traceback
import torch
import torch.nn.functional as F
from torch.nn.attention import sdpa_kernel, SDPBackend

OUT = os.environ.get("ANCHORS_OUT", ".")
results = []


def rec(**kw):
    results.append(kw)
    print(json.dumps(kw), flush=True)


def bench(fn, warm=5, iters=20):
    for _ in range(warm):
        fn(0)
    torch.cuda.synchronize()
    ts = []
    for it in range(iters):
        s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
        s.record(); fn(it); e.record(); torch.cuda.synchronize()
        ts.append(s.elapsed_time(e))
    ts.sort()
    return ts[len(ts) // 2]


def bench_graph(fn, calls, reps=20):
    """Per-call time of `calls` steps fn(i) captured in one CUDA graph, replayed (median of replays):
    the decode step as a serving loop that captures it runs it, as a4j_native_bench's graph column."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for i in range(calls):
            fn(i)
    torch.cuda.current_stream().wait_stream(s)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for i in range(calls):
            fn(i)
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True); b = torch.cuda.Event(enable_timing=True)
        a.record(); g.replay(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b) / calls)
    ts.sort()
    del g
    return ts[len(ts) // 2]


dev = "cuda"
print(torch.__version__, torch.cuda.get_device_name(), flush=True)
BACKENDS = (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION)

# copy bandwidth (read + write)
x = torch.empty(1 << 30, dtype=torch.uint8, device=dev); y = torch.empty_like(x)
ms = bench(lambda it: y.copy_(x))
rec(op="copy_d2d", impl="torch", bytes=x.numel(), ms=ms, GBps=2 * x.numel() / ms / 1e6)
del x, y

dtypes = [torch.bfloat16] + ([torch.float32] if os.environ.get("A4J_BASELINE_FP32", "1") != "0" else [])
for dtype in dtypes:
    for D in (64, 128):
        for S in (1024, 4096, 16384):
            if dtype == torch.float32 and S != 4096:
                continue
            B, H = (16384 // S) * 2, 16
            for causal in (False, True):
                q = torch.randn(B, H, S, D, device=dev, dtype=dtype)
                k = torch.randn_like(q); v = torch.randn_like(q)
                flops = 4 * B * H * S * S * D / (2 if causal else 1)
                for be in BACKENDS:
                    try:
                        with sdpa_kernel([be]):
                            ms = bench(lambda it: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
                        rec(op="softmax", impl=str(be).split(".")[-1], dtype=str(dtype), B=B, H=H, S=S, D=D,
                            causal=causal, ms=ms, tflops=flops / ms / 1e9)
                    except Exception as ex:
                        rec(op="softmax", impl=str(be).split(".")[-1], dtype=str(dtype), S=S, D=D, causal=causal,
                            error=str(ex)[:160])
                del q, k, v
torch.cuda.empty_cache()

if os.environ.get("A4J_BASELINE_DECODE", "1") != "0":
    D = 128
    for H, Hkv in ((32, 8), (16, 16)):
        for B in (1, 8, 64):
            for Sk in (4096, 16384, 65536):
                kv_bytes = 2 * B * Hkv * Sk * D * 2
                if kv_bytes > 20e9:
                    continue
                copies = max(1, int(400e6 // kv_bytes) + (1 if 400e6 % kv_bytes else 0))
                try:
                    ks = [torch.randn(B, Hkv, Sk, D, device=dev, dtype=torch.bfloat16) for _ in range(copies)]
                    vs = [torch.randn_like(ks[0]) for _ in range(copies)]
                    q = torch.randn(B, H, 1, D, device=dev, dtype=torch.bfloat16)
                    for be in BACKENDS[:2]:
                        try:
                            step = lambda it: F.scaled_dot_product_attention(
                                q, ks[it % copies], vs[it % copies], enable_gqa=(H != Hkv))
                            with sdpa_kernel([be]):
                                ms = bench(step)
                                try:
                                    gms = bench_graph(step, max(copies, 8))
                                except Exception:
                                    gms = float("nan")
                            rec(op="decode", impl=str(be).split(".")[-1], dtype="bf16", B=B, Sk=Sk, H=H, Hkv=Hkv, D=D,
                                ms=ms, GBps=kv_bytes / ms / 1e6, graph_ms=gms, graph_GBps=kv_bytes / gms / 1e6)
                        except Exception as ex:
                            rec(op="decode", impl=str(be).split(".")[-1], B=B, Sk=Sk, H=H, Hkv=Hkv, error=str(ex)[:160])
                    del ks, vs, q
                except Exception:
                    rec(op="decode", error=traceback.format_exc()[-300:])
                torch.cuda.empty_cache()

with open(os.path.join(OUT, "anchors.json"), "w") as f:
    json.dump(results, f, indent=1)
