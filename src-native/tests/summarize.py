"""Joins a4j_native_bench JSON lines with the same run's baselines (anchors.json) into ratio tables.
usage: summarize.py bench.jsonl anchors.json"""
import json, sys

bench = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
try:
    anchors = json.load(open(sys.argv[2]))
except Exception:
    anchors = []

def anchor(impl, dtype, S, D, causal):
    for a in anchors:
        if (a.get("op") == "softmax" and a.get("impl") == impl and a.get("dtype") == dtype and a.get("S") == S
                and a.get("D") == D and a.get("causal") == causal and "tflops" in a):
            return a["tflops"]
    return None

def own(impl, b):
    for x in bench:
        if (x.get("op") == "softmax_fwd" and x.get("impl") == impl and x["dtype"] == b["dtype"] and x["S"] == b["S"]
                and x["D"] == b["D"] and x["causal"] == b["causal"] and x.get("window_left", -1) < 0):
            return x["tflops"]
    return None

print("\nforward, same run (TFLOP/s; ratio = attention4j / baseline; 'sm80' = the mma.sync kernel forced,")
print(f"{'dtype':10} {'D':>4} {'S':>6} {'causal':>6} {'a4j':>7} {'sm80':>7} {'FA2':>7} {'cuDNN':>7} {'a4j/FA2':>8} {'a4j/cuDNN':>9}")
for b in bench:
    if b.get("op") != "softmax_fwd" or b.get("impl") != "attention4j" or b.get("window_left", -1) >= 0:
        continue
    td = {"bf16": "torch.bfloat16", "f16": "torch.float16"}.get(b["dtype"], "torch.float32")
    fa = anchor("FLASH_ATTENTION", td, b["S"], b["D"], b["causal"])
    cu = anchor("CUDNN_ATTENTION", td, b["S"], b["D"], b["causal"])
    me = anchor("EFFICIENT_ATTENTION", td, b["S"], b["D"], b["causal"])
    fmt = lambda x: f"{x:7.1f}" if x else "    n/a"
    rat = lambda x: f"{b['tflops'] / x:8.2f}" if x else "     n/a"
    extra = f"  (mem-eff {me:.1f})" if (me and td == "torch.float32") else ""
    s80 = own("mma.sync kernel", b)
    print(f"{b['dtype']:10} {b['D']:>4} {b['S']:>6} {str(b['causal']):>6} {b['tflops']:7.1f} {fmt(s80)} {fmt(fa)} {fmt(cu)} "
          f"{rat(fa)} {rat(cu):>9}{extra}")

print("\nvariants (tile choices), bf16 S=4096")
for b in bench:
    if b.get("op") == "softmax_fwd" and b.get("impl", "").startswith("variant"):
        print(f"  {b['impl']:26} D={b['D']:<4} causal={str(b['causal']):5} {b['tflops']:7.1f} TFLOP/s")
for b in bench:
    if b.get("op") == "softmax_fwd" and b.get("window_left", -1) >= 0:
        print(f"window: S={b['S']} left={b['window_left']} causal: {b['ms']:.3f} ms, {b['tflops']:.1f} useful TFLOP/s")

copy = [b for b in bench if b.get("op") == "copy_d2d"]
tcopy = [a for a in anchors if a.get("op") == "copy_d2d"]
print(f"\ndecode (bf16 unless noted), copy bandwidth a4j {copy[0]['GBps']:.0f} GB/s" if copy else "\ndecode",
      f"torch {tcopy[0]['GBps']:.0f} GB/s" if tcopy else "")
print(f"{'impl':14} {'dtype':6} {'B':>3} {'Sk':>6} {'H/Hkv':>6} {'splits':>6} {'ms':>8} {'GB/s':>6} {'%copy':>6} "
      f"{'FA2':>6} {'cuDNN':>6} | graph: {'ms':>8} {'GB/s':>6} {'%copy':>6} {'FA2':>6} {'cuDNN':>6}")
def dec_anchor(impl, b, key="GBps"):
    for a in anchors:
        if (a.get("op") == "decode" and a.get("impl") == impl and a.get("B") == b["B"] and a.get("Sk") == b["Sk"]
                and a.get("H") == b["H"] and a.get("Hkv") == b["Hkv"] and key in a):
            return a[key]
    return None
def f6(x):
    return f"{x:6.0f}" if isinstance(x, (int, float)) and x == x else "   n/a"
for b in bench:
    if b.get("op") != "decode":
        continue
    bf = b["dtype"] == "bf16"
    fa = dec_anchor("FLASH_ATTENTION", b) if bf else None
    cu = dec_anchor("CUDNN_ATTENTION", b) if bf else None
    gfa = dec_anchor("FLASH_ATTENTION", b, "graph_GBps") if bf else None
    gcu = dec_anchor("CUDNN_ATTENTION", b, "graph_GBps") if bf else None
    g = (f"{b['graph_ms']:8.4f} {b['graph_GBps']:6.0f} {100*b['graph_fraction_of_copy']:6.1f}" if "graph_ms" in b
         else "     n/a    n/a    n/a")
    print(f"{b['impl'][:14]:14} {b['dtype']:6} {b['B']:>3} {b['Sk']:>6} {str(b['H'])+'/'+str(b['Hkv']):>6} "
          f"{b['splits']:>6} {b['ms']:8.4f} {b['GBps']:6.0f} {100*b['fraction_of_copy']:6.1f} {f6(fa)} {f6(cu)} | "
          f"graph: {g} {f6(gfa)} {f6(gcu)}")
