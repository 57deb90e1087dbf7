#!/usr/bin/env bash
# Compiles every CUDA kernel source of Tessera to PTX next to it, stamping each PTX file with the SHA-256 of what it was
# made from (every *.cuh of the folder in name order, then the .cu), so a test can tell a stale or missing PTX apart.
# Needs nvcc (Debian: nvidia-cuda-toolkit, CUDA 11.8, with clang-14 as host compiler; see docs/cuda-backend.md).
# PTX ISA 7.8 for compute_80: any current driver JIT-compiles it for the GPU at hand (sm_80 .. sm_120); the decode modules
# also as NAME.pdl.ptx for compute_90 with programmatic dependent launch.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/src/Tessera/Backends/Cuda/Kernels"
nvcc_bin="${NVCC:-nvcc}"
host_cc="${NVCC_CCBIN:-clang-14}"
only="${1:-}"
pdl_modules="attention elementwise matvec sample"
cd "$dir"
for cu in *.cu; do
  [ -n "$only" ] && [ "$only" != "$cu" ] && continue
  name="${cu%.cu}"
  hash=$(cat $(ls *.cuh 2>/dev/null | LC_ALL=C sort) "$cu" | sha256sum | cut -d' ' -f1)
  tmp=$(mktemp)
  "$nvcc_bin" -ccbin "$host_cc" -ptx -arch=compute_80 -O3 -o "$tmp" "$cu"
  { echo "// tessera-source-sha256: $hash"; cat "$tmp"; } > "$name.ptx"
  echo "$cu -> $name.ptx ($hash)"
  # The modules of a decode step also in a Hopper build with programmatic dependent launch (TSR_PDL in common.cuh),
  # which the backend loads on compute 9.0 and newer.
  if [[ " $pdl_modules " == *" $name "* ]]; then
    "$nvcc_bin" -ccbin "$host_cc" -ptx -arch=compute_90 -O3 -DTSR_PDL -o "$tmp" "$cu"
    { echo "// tessera-source-sha256: $hash"; cat "$tmp"; } > "$name.pdl.ptx"
    echo "$cu -> $name.pdl.ptx"
  fi
  rm -f "$tmp"
  # Registers and spills per kernel as the driver would compile them for Hopper (PTXAS_VERBOSE=1).
  if [ -n "${PTXAS_VERBOSE:-}" ]; then ptxas -arch=sm_90 -v -o /dev/null "$name.ptx" 2>&1 | grep -E 'Compiling|registers|spill' || true; fi
done
