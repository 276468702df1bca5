#!/usr/bin/env bash
# GPU run (device tool) for the required-sync work: conformance suite, the `advise --apply`
# outputs and schedcheck-min under random delays, the agreement check (every built-in policy,
# schedcheck-min included), then the sync-bound timing benchmark. Expects gpu-bundle/ with the
# binaries and gpu-bundle/apply/*.json (docs/gpu.md); writes logs under $OUT.
set -u
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
out="${OUT:-/tmp/schedcheck-gpu}"
mkdir -p "$out"
nvidia-smi -L
echo "== conformance"
gpu-bundle/test_conformance > "$out/conformance.log" 2>&1
echo "exit $?"; grep -E "PASSED|FAILED" "$out/conformance.log"
echo "== advise --apply outputs (policy <base>-minimal), random delays x10"
for f in gpu-bundle/apply/*.json; do
  policy=$(grep -o '"[a-z0-9-]*-minimal"' "$f" | head -1 | tr -d '"')
  gpu-bundle/schedcheck real "$f" --policy "$policy" --delays random:7 --runs 10 > "$out/apply-$(basename "$f" .json).txt" 2>&1
  echo "$(basename "$f") $policy: exit $?"; grep -E "simulator says|wrong|mismatch" "$out/apply-$(basename "$f" .json).txt" | head -3
done
echo "== schedcheck-min, random delays x10"
for f in reports/canonical/*.json bench/scenarios/*.json; do
  gpu-bundle/schedcheck real "$f" --policy schedcheck-min --delays random:11 --runs 10 > "$out/min-$(basename "$f" .json).txt" 2>&1
  echo "$(basename "$f"): exit $?"; grep -E "simulator says|wrong|mismatch" "$out/min-$(basename "$f" .json).txt" | head -3
done
echo "== agreement (${AGREEMENT_CASES:-120} generated scenarios x every built-in policy)"
SCHEDCHECK_AGREEMENT_CASES=${AGREEMENT_CASES:-120} SCHEDCHECK_AGREEMENT_DIR="$out/agreement" \
  timeout 300 gpu-bundle/test_agreement > "$out/agreement.log" 2>&1
echo "exit $?"; grep -E "agreement|policy|PASSED|FAILED|mismatch" "$out/agreement.log" | tail -15
echo "== sync-bound timing"
gpu-bundle/gpu_sync_bench ${BENCH_ARGS:-100 3 8} "$out/gpu_sync_bench.csv" 2>&1 | tee "$out/gpu_sync_bench.txt"
