#!/usr/bin/env bash
# Several physical GPUs (issue 7; device tool kind nvidia-h200-x2 or larger): conformance with the
# cross-device litmus tests, the corpus and the agreement check over generated scenarios whose
# GPU backends use >= 2 devices, once with peer access and once without. Expects gpu-bundle/ (the
# binaries and expectations.tsv, docs/gpu.md); writes logs under $OUT. The executor needs no
# NCCL; NVLink multicast stays off as the device tool's KINDS.md asks.
set -u
export NCCL_NVLS_ENABLE=0
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
out="${OUT:-/tmp/schedcheck-gpu}"
mkdir -p "$out"
nvidia-smi -L
nvidia-smi topo -m || true
echo "== conformance (cross-device tests need 2 GPUs)"
gpu-bundle/test_conformance > "$out/conformance.log" 2>&1
echo "exit $?"; grep -E "^\[ +(OK|FAILED|SKIPPED) +\]|PASSED|FAILED" "$out/conformance.log"
for placement in physical physical-no-peer; do
  export SCHEDCHECK_GPU_PLACEMENT=$placement
  echo "== $placement: canonical scenarios"
  gpu-bundle/schedcheck real reports/canonical/two-gpu-pp.json --policy all --delays auto --runs 2 \
    > "$out/two-gpu-pp-$placement.txt" 2>&1
  echo "exit $?"; grep -E "^GPUs:|simulator says" "$out/two-gpu-pp-$placement.txt" | sort | uniq -c
  echo "== $placement: corpus"
  OUT="$out/corpus-$placement" bash scripts/gpu-corpus.sh | tail -1
  echo "== $placement: agreement (${AGREEMENT_CASES:-100} scenarios with >= 2 devices x every policy)"
  SCHEDCHECK_AGREEMENT_MIN_DEVICES=2 SCHEDCHECK_AGREEMENT_CASES=${AGREEMENT_CASES:-100} \
    SCHEDCHECK_AGREEMENT_DIR="$out/agreement-$placement" \
    timeout 500 gpu-bundle/test_agreement > "$out/agreement-$placement.log" 2>&1
  echo "exit $?"; grep -vE "^agreement: scenario|^\[|^Running|^Note" "$out/agreement-$placement.log" | tail -14
done
