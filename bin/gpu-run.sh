#!/usr/bin/env bash
# Runs on the GPU machine from the bundle: the GPU test runner, the tour, the benchmark runner, and the
# PyTorch baselines (anchors_h100.py) in the same call, then prints the side-by-side ratios.
# Results go to $OUT (the device tool's folder) or ./gpu-out.
set -uo pipefail
cd "$(dirname "$0")"
RES="${OUT:-$PWD/gpu-out}"
mkdir -p "$RES"
JAVA=(jre/bin/java --add-modules jdk.incubator.vector -Xmx64g -cp "lib/*")
status=0
echo "== GPU test runner"
"${JAVA[@]}" org.attention4j.cuda.tools.GpuTestRunner 2>&1 | tee "$RES/gpu_test.log" | grep -v '^PASS' ; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "== tour"
"${JAVA[@]}" org.attention4j.tour.Tour 2>&1 | tee "$RES/tour.log" | tail -n 14
if [ "${1:-}" != "--no-bench" ]; then
  echo "== benchmark runner"
  "${JAVA[@]}" org.attention4j.cuda.tools.GpuBenchRunner "$RES/a4j_bench.jsonl" ${1:-} 2>&1 | tee "$RES/gpu_bench.log"
  if [ -f anchors_h100.py ]; then
    echo "== PyTorch baselines (same machine, same call)"
    ANCHORS_OUT="$RES" PYTHONUNBUFFERED=1 python3 anchors_h100.py > "$RES/anchors.log" 2>&1 || echo "anchors_h100.py failed (see anchors.log)"
    python3 compare.py "$RES/a4j_bench.jsonl" "$RES/anchors.json" | tee "$RES/compare.txt"
  fi
fi
exit $status
