#!/usr/bin/env bash
# GPU run (device tool): conformance suite, then the canonical scenarios under every policy.
# Expects the binaries in gpu-bundle/ (see docs/gpu.md); writes logs under $OUT.
set -u
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
out="${OUT:-/tmp/schedcheck-gpu}"
mkdir -p "$out"
nvidia-smi -L
gpu-bundle/test_conformance 2>&1 | tee "$out/conformance.log" | grep -E "^\[ +(OK|FAILED|SKIPPED) +\]|PASSED|FAILED"
for f in reports/canonical/single-gpu.json reports/canonical/two-gpu-pp.json; do
  name=$(basename "$f" .json)
  echo "== $name, --delays auto"
  gpu-bundle/schedcheck real "$f" --policy all --delays auto --runs 2 > "$out/real-$name-auto.txt" 2>&1
  echo "exit $?"; grep -E "simulator says|first wrong|error" "$out/real-$name-auto.txt"
  echo "== $name, --delays random:1 x5"
  gpu-bundle/schedcheck real "$f" --policy all --delays random:1 --runs 5 > "$out/real-$name-random.txt" 2>&1
  echo "exit $?"; grep -E "simulator says|first wrong|error" "$out/real-$name-random.txt"
done
