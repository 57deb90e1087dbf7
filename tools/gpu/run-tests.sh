#!/usr/bin/env bash
# On the GPU machine (after tools/gpu/publish.sh here): unpacks the test executable and runs the GPU tests — the backend
# conformance suite (every op on CUDA against its reference), the whole-model comparisons with the CPU, the kernel source
# checks — then any extra xunit arguments. Exit status is the test run's.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="${TMPDIR:-/tmp}/tessera-gpu-tests"
rm -rf "$work" && mkdir -p "$work"
xz -dc "$root/.gpu/tests.tar.xz" | tar -C "$work" -xf -
cd "$work/tests"
./Tessera.Tests -namespace Tessera.Tests.Backends -parallel none "$@"
