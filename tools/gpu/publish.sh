#!/usr/bin/env bash
# Builds what a GPU machine without the .NET SDK needs, into .gpu/ (ignored by git): the single-file `tessera` binary and
# the self-contained test executable (framework trimmed, the llama.cpp natives and coverage tools left out), packed small
# enough to travel with the working tree. Then, on the GPU machine: tools/gpu/run-tests.sh (tests) or .gpu/bin/tessera.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rm -rf .gpu && mkdir -p .gpu/bin
dotnet publish src/Tessera.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true -o .gpu/bin
tmp=$(mktemp -d)
dotnet publish tests/Tessera.Tests -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:TrimMode=partial \
  -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false -o "$tmp/tests"
rm -rf "$tmp/tests/runtimes" "$tmp/tests/CodeCoverage"
tar -C "$tmp" -cf - tests | xz -T0 -4 > .gpu/tests.tar.xz
rm -rf "$tmp"
rm -f .gpu/bin/*.pdb .gpu/bin/*.xml
du -sh .gpu/bin/Tessera.Cli .gpu/tests.tar.xz
