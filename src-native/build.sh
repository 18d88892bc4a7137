#!/usr/bin/env bash
# Builds src-native (library + test and bench runners) with CMake.
# usage: src-native/build.sh [build-dir]      (default: src-native/build)
# env:   A4J_CUDA_ARCHS   architectures, e.g. "90a" (default of the CMake project: 80;86;89;90a)
#        A4J_CUDA_PTX     ON/OFF (default ON), A4J_BUILD_TESTS ON/OFF (default ON)
#        A4J_JOBS         parallel jobs (default: nproc)
#        CUDACXX / CUDA_HOME  nvcc location (default: PATH, then /usr/local/cuda-13.0, /usr/local/cuda)
# Exits 0 with a message when no nvcc is found (the CUDA tier is optional).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/build}"

nvcc_bin="${CUDACXX:-}"
if [[ -z "$nvcc_bin" ]]; then
  for cand in "$(command -v nvcc 2>/dev/null || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" \
              /usr/local/cuda-13.0/bin/nvcc /usr/local/cuda/bin/nvcc; do
    if [[ -n "$cand" && -x "$cand" ]]; then nvcc_bin="$cand"; break; fi
  done
fi
if [[ -z "$nvcc_bin" || ! -x "$nvcc_bin" ]]; then
  echo "attention4j src-native: nvcc not found (set CUDACXX or CUDA_HOME); skipping the native build."
  exit 0
fi
if ! command -v cmake >/dev/null 2>&1; then
  echo "attention4j src-native: cmake not found; skipping the native build."
  exit 0
fi

gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
args=(-S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin")
[[ -n "${A4J_CUDA_ARCHS:-}" ]] && args+=("-DA4J_CUDA_ARCHS=${A4J_CUDA_ARCHS}")
[[ -n "${A4J_CUDA_PTX:-}" ]] && args+=("-DA4J_CUDA_PTX=${A4J_CUDA_PTX}")
[[ -n "${A4J_BUILD_TESTS:-}" ]] && args+=("-DA4J_BUILD_TESTS=${A4J_BUILD_TESTS}")
[[ -n "${A4J_PTXAS_VERBOSE:-}" ]] && args+=("-DA4J_PTXAS_VERBOSE=${A4J_PTXAS_VERBOSE}")

echo "attention4j src-native: nvcc $nvcc_bin, archs ${A4J_CUDA_ARCHS:-default}, build dir $build"
start=$(date +%s)
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q "^CMAKE_GENERATOR:INTERNAL=${gen[1]:-Unix Makefiles}\$" "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
cmake "${gen[@]}" "${args[@]}"
cmake --build "$build" --parallel "${A4J_JOBS:-$(nproc)}"
echo "attention4j src-native: built in $(( $(date +%s) - start )) s: $build/libattention4j_native.so"
