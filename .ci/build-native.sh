#!/usr/bin/env bash
# CI helper: builds src-native (library, test and bench runners) when nvcc exists; no GPU needed.
# Architectures default to the CI set "90a" (sm_90a machine code + compute_90 PTX): about 3.5 min on
# 2 shared cores; the full default set (80;86;89;90a) takes about 10 min there.
# usage: .ci/build-native.sh [build-dir]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export A4J_CUDA_ARCHS="${A4J_CUDA_ARCHS:-90a}"
exec "$root/src-native/build.sh" "${1:-$root/src-native/build}"
