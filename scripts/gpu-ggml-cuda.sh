#!/usr/bin/env bash
# Real ggml trees over ggml's own CUDA backend (schedcheck real --backend ggml-cuda), in as
# few device calls as possible (docs/gpu.md, "ggml's own CUDA backend").
#   here:            scripts/gpu-ggml-cuda.sh --bundle TAG...   (after the build: the binary and
#                    the trees' sources into gpu-bundle/, which the device call carries)
#   on the GPU:      scripts/gpu-ggml-cuda.sh TAG...            (builds each tree's ggml-cpu and
#                    ggml-cuda with its own CMake files, all trees at once, then confirms)
# Environment: SCENARIO (default reports/canonical/two-gpu-pp.json), RANDOM_RUNS (default 100),
# NONE_RUNS (runs without delays, default 3),
# AGREEMENT=N (then N generated scenarios per tree through gpu-bundle/test_agreement_ggml),
# CANONICAL=0 (no runs of SCENARIO), VIRTUAL=1 (one GPU as two ggml devices: CUDA_VISIBLE_DEVICES=0 GGML_CUDA_DEVICES=2; trees
# that have GGML_CUDA_DEVICES only). Logs under $OUT.
set -u
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--bundle" ]; then
  shift
  set -e
  mkdir -p gpu-bundle
  cp build/bin/schedcheck build/bin/test_agreement_ggml gpu-bundle/
  strip gpu-bundle/schedcheck gpu-bundle/test_agreement_ggml
  cp -L /lib/x86_64-linux-gnu/libfmt.so.9 gpu-bundle/ 2>/dev/null || true
  for t in "$@"; do  # extracts the tree into the cache (once)
    build/bin/schedcheck replay tests/scenarios/cpu-decode.json --policy "ggml@$t,graph=computable" > /dev/null
  done
  trees="${SCHEDCHECK_CACHE:-$HOME/.cache/schedcheck}/ggml-trees"
  tar -czf gpu-bundle/ggml-trees.tar.gz -C "$trees" "$@"
  du -sh gpu-bundle
  exit 0
fi
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
export SCHEDCHECK_CACHE="${SCHEDCHECK_CACHE:-/tmp/schedcheck-cache}"
export SCHEDCHECK_PLUGIN_CXX="${SCHEDCHECK_PLUGIN_CXX:-g++}"
export SCHEDCHECK_CUDA_ARCHITECTURES="${SCHEDCHECK_CUDA_ARCHITECTURES:-90}"
out="${OUT:-/tmp/schedcheck-gpu}"
if [ "${VIRTUAL:-0}" = 1 ]; then
  export CUDA_VISIBLE_DEVICES=0 GGML_CUDA_DEVICES=2
  out="$out/virtual"
fi
f="${SCENARIO:-reports/canonical/two-gpu-pp.json}"
mkdir -p "$out" "$SCHEDCHECK_CACHE/ggml-trees"
tar -xzf gpu-bundle/ggml-trees.tar.gz -C "$SCHEDCHECK_CACHE/ggml-trees"
nvidia-smi -L
sc=gpu-bundle/schedcheck
# Every tree's backends build at once (CMake inside schedcheck, once per tree); a CPU-only
# scenario then checks each plugin end to end.
t0=$(date +%s)
for t in "$@"; do
  ( $sc real tests/scenarios/cpu-decode.json --policy "ggml@$t" --backend ggml-cuda --delays none \
      > "$out/$t.txt" 2>&1; echo "$t: build and CPU smoke run: exit $? after $(( $(date +%s) - t0 )) s" ) &
done
wait
for t in "$@"; do
  [ "${CANONICAL:-1}" = 0 ] && break
  log="$out/$t.txt"
  for mode in "none --runs ${NONE_RUNS:-3}" "auto --runs 2" "random:1 --runs ${RANDOM_RUNS:-100}"; do
    s=$(date +%s)
    $sc real "$f" --policy "ggml@$t" --backend ggml-cuda --delays $mode >> "$log" 2>&1
    rc=$?
    echo "$t --delays $mode: exit $rc in $(( $(date +%s) - s )) s | $(grep 'over ggml-cuda: simulation says' "$log" | tail -1)"
  done
done
if [ -n "${AGREEMENT:-}" ]; then
  s=$(date +%s)
  SCHEDCHECK_AGREEMENT_TREES="$*" SCHEDCHECK_AGREEMENT_CASES="$AGREEMENT" \
    gpu-bundle/test_agreement_ggml > "$out/agreement.txt" 2>&1
  echo "agreement over ggml-cuda: exit $? in $(( $(date +%s) - s )) s"
  grep -E "scenarios;|confirmed$|skipped|MISS|DIFFERS|ERROR|FAILED|PASSED" "$out/agreement.txt" | cut -c1-300 | head -40
fi
