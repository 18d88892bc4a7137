#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root (or from anywhere: paths are resolved from this
# file). One call: correctness (a4j_native_test), then the benchmark (a4j_native_bench) and the
# PyTorch baselines in the same process lifetime of the machine, so the ratios are side by side.
#
# usage: run_on_gpu.sh [--prebuilt DIR] [--out DIR] [--skip-test] [--skip-bench] [--skip-baseline]
#                      [--quick] [--full-anchors FILE]
#   --prebuilt DIR  libattention4j_native.so + runners built elsewhere (sm_90a); used when they load,
#                   otherwise this script builds src-native here with build.sh (A4J_CUDA_ARCHS=90a).
#   --out DIR       logs and JSON (default: $OUT if set, else ./a4j-gpu-out)
#   --full-anchors FILE  also run the full anchors_h100.py (FlexAttention, fla; slow)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prebuilt="" ; out="${OUT:-$PWD/a4j-gpu-out}" ; do_test=1 ; do_bench=1 ; do_base=1 ; quick="" ; full="" ; do_ncu=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prebuilt) prebuilt="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --skip-test) do_test=0; shift ;;
    --skip-bench) do_bench=0; shift ;;
    --skip-baseline) do_base=0; shift ;;
    --quick) quick="--quick"; shift ;;
    --ncu) do_ncu=1; shift ;;
    --full-anchors) full="$2"; shift 2 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done
mkdir -p "$out"
export PATH="$PATH:/usr/local/cuda/bin:/usr/local/cuda-13.0/bin"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 | tee "$out/device.txt"

bin=""
if [[ -n "$prebuilt" && -x "$prebuilt/a4j_native_test" ]]; then
  if LD_LIBRARY_PATH="$prebuilt:${LD_LIBRARY_PATH:-}" "$prebuilt/a4j_native_test" --filter no-such-case >/dev/null 2>&1; then
    bin="$prebuilt"
    echo "using prebuilt binaries in $bin"
  else
    echo "prebuilt binaries in $prebuilt do not run here; building"
  fi
fi
if [[ -z "$bin" ]]; then
  t0=$(date +%s)
  A4J_CUDA_ARCHS="${A4J_CUDA_ARCHS:-90a}" A4J_JOBS="$(nproc)" "$here/build.sh" /tmp/a4j-build > "$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log"; exit 1; }
  echo "built here in $(( $(date +%s) - t0 )) s"
  bin=/tmp/a4j-build
fi
export LD_LIBRARY_PATH="$bin:${LD_LIBRARY_PATH:-}"

# Machine-code summary of the library (no device time): registers and matrix instructions per kernel.
if command -v cuobjdump >/dev/null 2>&1; then
  cuobjdump -res-usage "$bin/libattention4j_native.so" > "$out/res_usage.txt" 2>&1 || true
  cuobjdump -sass "$bin/libattention4j_native.so" 2>/dev/null | awk '
    /Function :/ { if (name) printf "%-100s HMMA=%d LDSM=%d LDGSTS=%d LDL=%d STL=%d MUFU=%d\n", name, h, l, g, ll, sl, mu; name=$3; h=l=g=ll=sl=mu=0 }
    /HMMA/ {h++} /LDSM/ {l++} /LDGSTS/ {g++} /LDL/ {ll++} /STL/ {sl++} /MUFU/ {mu++}
    END { if (name) printf "%-100s HMMA=%d LDSM=%d LDGSTS=%d LDL=%d STL=%d MUFU=%d\n", name, h, l, g, ll, sl, mu }' \
    > "$out/sass_summary.txt" || true
fi

rc=0
if [[ $do_test == 1 ]]; then
  echo "=== a4j_native_test"
  timeout 300 "$bin/a4j_native_test" $quick > "$out/test.log" 2>&1; trc=$?
  grep -E "^FAIL|FATAL" "$out/test.log" | head -40
  tail -3 "$out/test.log"
  if [[ $trc != 0 ]]; then
    rc=1
    # Salvage the run: without the wgmma kernels; the bench below runs with whatever passed.
    echo "=== test failed: again with A4J_DISABLE_WGMMA=1"
    export A4J_DISABLE_WGMMA=1
    timeout 300 "$bin/a4j_native_test" $quick > "$out/test_nowgmma.log" 2>&1
    grep -E "^FAIL|FATAL" "$out/test_nowgmma.log" | head -20
    tail -2 "$out/test_nowgmma.log"
  fi
fi
if [[ $do_bench == 1 ]]; then
  echo "=== a4j_native_bench"
  timeout 400 "$bin/a4j_native_bench" $quick --json "$out/bench.jsonl" > "$out/bench.log" 2>&1 || { tail -20 "$out/bench.log"; rc=1; }
fi
ncu_bin="$(command -v ncu 2>/dev/null || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)"
if [[ $do_ncu == 1 && -n "$ncu_bin" ]]; then
  echo "=== ncu (3 forward launches; --clock-control none: the card's clocks are left alone)"
  timeout 240 "$ncu_bin" --clock-control none --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --section SchedulerStats --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    -k regex:flash_fwd -c 3 "$bin/a4j_native_bench" --profile > "$out/ncu.txt" 2>&1 || tail -5 "$out/ncu.txt"
  cuobjdump -sass -fun '_ZN3a4j26flash_fwd_sm90_pipe_kernelINS_18FlashFwdSm90TraitsI13__nv_bfloat16Li128ELi128ELi128ELi1EEEEEvNS_9FwdParamsE' \
    "$bin/libattention4j_native.so" > "$out/sass_sm90.txt" 2>&1 || true
fi
if [[ $do_base == 1 ]]; then
  echo "=== PyTorch baselines (anchors_softmax.py)"
  ANCHORS_OUT="$out" PYTHONUNBUFFERED=1 timeout 400 python3 "$here/tests/anchors_softmax.py" > "$out/anchors.log" 2>&1 \
    || { tail -5 "$out/anchors.log"; }
  if [[ -n "$full" ]]; then
    mkdir -p "$out/full"
    ANCHORS_OUT="$out/full" PYTHONUNBUFFERED=1 timeout 150 python3 "$full" > "$out/full/anchors_full.log" 2>&1 || true
  fi
fi
if [[ -f "$out/bench.jsonl" ]]; then
  python3 "$here/tests/summarize.py" "$out/bench.jsonl" "$out/anchors.json" | tee "$out/summary.txt"
fi
# The device tool returns at most 8 files: keep the main ones, pack the rest.
pack=()
for f in device.txt res_usage.txt sass_summary.txt bench.log anchors.log build.log ncu.txt sass_fwd_bf16_128.txt sass_sm90.txt test_nowgmma.log full; do
  [[ -e "$out/$f" ]] && pack+=("$f")
done
if [[ ${#pack[@]} -gt 0 ]]; then
  (cd "$out" && tar -czf logs.tgz "${pack[@]}" && rm -rf "${pack[@]}")
fi
exit $rc
