#!/usr/bin/env bash
# Several physical GPUs (issue 7; device tool kind nvidia-h100-x2 or larger): conformance with the
# cross-device litmus tests, then for each placement (peer access on, and off) the canonical
# two-GPU scenario, the corpus and the agreement check over generated scenarios whose GPU
# backends use >= 2 devices. The two placements run side by side (they only check values, never
# time anything). Expects gpu-bundle/ (the binaries and expectations.tsv, docs/gpu.md); logs go
# to $LOGS and, packed, to $OUT/multi-gpu-logs.tgz. The executor needs no NCCL; NVLink
# multicast stays off as the device tool's KINDS.md asks.
set -u
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
logs="${LOGS:-/tmp/schedcheck-multi-gpu}"
cases="${AGREEMENT_CASES:-100}"
mkdir -p "$logs"
nvidia-smi -L
nvidia-smi topo -m || true
echo "== conformance (cross-device tests need 2 GPUs)"
gpu-bundle/test_conformance > "$logs/conformance.log" 2>&1
echo "exit $?"; grep -E "^\[ +(OK|FAILED|SKIPPED) +\]|PASSED|FAILED" "$logs/conformance.log"

run_placement() {
  local placement=$1
  export SCHEDCHECK_GPU_PLACEMENT=$placement
  echo "== $placement: canonical two-gpu-pp, every policy, targeted delays"
  gpu-bundle/schedcheck real reports/canonical/two-gpu-pp.json --policy all --delays auto \
    --runs 2 > "$logs/two-gpu-pp-$placement.txt" 2>&1
  echo "exit $?"; grep -E "^GPUs:|simulator says" "$logs/two-gpu-pp-$placement.txt" | sort | uniq -c
  echo "== $placement: agreement ($cases scenarios with >= 2 devices x every policy)"
  SCHEDCHECK_AGREEMENT_MIN_DEVICES=2 SCHEDCHECK_AGREEMENT_CASES=$cases \
    SCHEDCHECK_AGREEMENT_DIR="$logs/agreement-$placement" \
    timeout "${AGREEMENT_TIMEOUT:-360}" gpu-bundle/test_agreement \
    > "$logs/agreement-$placement.log" 2>&1
  echo "exit $?"
  grep -vE "^agreement: scenario|^\[|^Running|^Note" "$logs/agreement-$placement.log" | tail -14
  echo "== $placement: corpus"
  OUT="$logs/corpus-$placement" bash scripts/gpu-corpus.sh > "$logs/corpus-$placement.txt"
  grep -E "^FAIL" "$logs/corpus-$placement.txt"; tail -1 "$logs/corpus-$placement.txt"
}

for placement in ${PLACEMENTS:-physical physical-no-peer}; do
  run_placement "$placement" > "$logs/summary-$placement.txt" 2>&1 &
done
wait
cat "$logs"/summary-*.txt
if [ -n "${OUT:-}" ]; then tar czf "$OUT/multi-gpu-logs.tgz" -C "$logs" .; fi
