"""Side-by-side ratios: Attention4J's GPU bench (JSON lines) against anchors_h100.py's anchors.json, same run."""
import json, sys

ours = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
anchors = json.load(open(sys.argv[2]))
copy = next((r["GBps"] for r in ours if r["op"] == "copy"), None)
print(f"{'D':>4} {'S':>6} {'causal':>6} {'a4j TF/s':>9} {'FA2 TF/s':>9} {'cuDNN TF/s':>10} {'a4j/FA2':>8} {'a4j/cuDNN':>9}")
for r in ours:
    if r["op"] != "softmax":
        continue
    def anchor(impl):
        for a in anchors:
            if (a.get("op") == "softmax" and a.get("impl") == impl and a.get("dtype") == "torch.bfloat16"
                    and a.get("S") == r["S"] and a.get("D") == r["D"] and a.get("causal") == r["causal"] and "tflops" in a):
                return a["tflops"]
        return float("nan")
    fa2, cudnn = anchor("FLASH_ATTENTION"), anchor("CUDNN_ATTENTION")
    print(f"{r['D']:>4} {r['S']:>6} {str(r['causal']):>6} {r['tflops']:>9.1f} {fa2:>9.1f} {cudnn:>10.1f} {r['tflops']/fa2:>8.2f} {r['tflops']/cudnn:>9.2f}")
print()
for r in ours:
    if r["op"] == "decode":
        loop = (f"; back-to-back steps {r['loop_GBps']:6.0f} GB/s = {100*r['loop_fraction_of_copy']:.0f}%"
                if "loop_GBps" in r else "")
        print(f"decode B={r['B']:<3} cache={r['cache']:<6} one call {r['GBps']:6.0f} GB/s = {100*r['fraction_of_copy']:.0f}%{loop}"
              f" of the measured copy bandwidth ({copy:.0f} GB/s)")
