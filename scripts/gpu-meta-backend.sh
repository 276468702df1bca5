#!/usr/bin/env bash
# ggml's meta backend (tensor parallelism, llama.cpp's -sm tensor) over ggml's own CUDA backend,
# before and after patches/ggml-head-meta/ (docs/meta-backend.md, "Over ggml's own CUDA
# backend"): M1's scenarios over 2 and 4 CUDA devices, every run's reads compared with
# ggml-cpu's sequential computation of the same graph, every recorded call checked against the
# simulation.
#   here:        scripts/gpu-meta-backend.sh --bundle   (after the build: gpu-bundle/ with the
#                binary, ggml-head and the patched tree)
#   on the GPU:  scripts/gpu-meta-backend.sh            (carry gpu-bundle; results under $OUT)
# Environment:
#   MODES        which kinds of runs ("none auto random"; also internal: ggml-head with
#                ggml-cuda's own two-device AllReduce, GGML_CUDA_ALLREDUCE=internal, below the
#                bridge, NONE_RUNS without delays and RANDOM_RUNS under random delays, reads only)
#   DEVICES      the device counts ("2 4")
#   PHYSICAL=1   the devices are GPUs (else one GPU stands for them: CUDA_VISIBLE_DEVICES=0
#                GGML_CUDA_DEVICES=N)
#   NONE_RUNS    runs without delays (20)
#   AUTO_RUNS    runs under each targeted hold (10)
#   RANDOM_RUNS  runs under random delays (100; LARGE_RANDOM_RUNS, 20, for the larger scenarios)
#   SIZES        which of each device count's scenarios ("small large"; also 8b, an 8B model's
#                FFN sizes: about 5 s a run, mostly filling 2.8 GB of weights)
# ggml-cuda's own AllReduce is below the bridge: the runs use GGML_CUDA_ALLREDUCE=none (but those
# of MODES=internal).
set -u
cd "$(dirname "$0")/.."
patched=ggml-head-meta-patched
if [ "${1:-}" = "--bundle" ]; then
  set -eo pipefail
  scripts/bundle-patched-head.sh "$patched" patches/ggml-head-meta
  du -sh gpu-bundle
  exit 0
fi
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export GGML_CUDA_ALLREDUCE=none
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
export SCHEDCHECK_CACHE="${SCHEDCHECK_CACHE:-/tmp/schedcheck-cache}"
export SCHEDCHECK_PLUGIN_CXX="${SCHEDCHECK_PLUGIN_CXX:-g++}"
export SCHEDCHECK_CUDA_ARCHITECTURES="${SCHEDCHECK_CUDA_ARCHITECTURES:-90}"
out="${OUT:-/tmp/schedcheck-meta}"
trees="$SCHEDCHECK_CACHE/ggml-trees"
mkdir -p "$out" "$trees"
tar -xzf gpu-bundle/ggml-trees.tar.gz -C "$trees"
nvidia-smi -L
sc=gpu-bundle/schedcheck
head_policy="ggml@ggml-head"
patched_policy="ggml@$trees/$patched"
# Both trees' ggml-cuda build at once (CMake inside schedcheck); a CPU-only scenario checks
# each plugin end to end.
t0=$(date +%s)
for p in "$head_policy" "$patched_policy"; do
  ( $sc real tests/scenarios/cpu-decode.json --policy "$p" --backend ggml-cuda --delays none \
      > "$out/build-${p##*[/@]}.txt" 2>&1
    echo "${p##*[/@]}: build and CPU smoke run: exit $? after $(( $(date +%s) - t0 )) s" ) &
done
wait
run() {  # run LOG POLICY DELAYS RUNS
  local s rc
  s=$(date +%s)
  $sc real "$f" --policy "$2" --backend ggml-cuda --delays "$3" --runs "$4" >> "$1" 2>&1
  rc=$?
  echo "$n devices, ${2##*[/@]} --delays $3 --runs $4: exit $rc in $(( $(date +%s) - s )) s |" \
    "$(grep -E 'over ggml-cuda(: simulation says| with)' "$1" | tail -1)"
}
# Each scenario: ggml-head, then the patched tree under the same kinds of delays (for the
# targeted ones, ggml-head's holds carried onto its calls).
confirm() {  # confirm NAME RANDOM_RUNS
  f=reports/tensor-parallel/$1.json
  local mode
  for mode in ${MODES:-none auto random}; do
    case $mode in
      none) run "$out/head-$1.txt" "$head_policy" none "${NONE_RUNS:-20}"
            run "$out/patched-$1.txt" "$patched_policy" none "${NONE_RUNS:-20}" ;;
      auto) run "$out/head-$1.txt" "$head_policy" auto "${AUTO_RUNS:-10}"
            run "$out/patched-$1.txt" "$patched_policy" "from:$head_policy" "${AUTO_RUNS:-10}" ;;
      random) run "$out/head-$1.txt" "$head_policy" random:1 "$2"
              run "$out/patched-$1.txt" "$patched_policy" random:1 "$2" ;;
      # ggml-cuda's internal AllReduce takes two devices only (more fall back to the generic one).
      # The patch does not touch it: ggml-head alone.
      internal) if [ "$n" = 2 ]; then
                  GGML_CUDA_ALLREDUCE=internal run "$out/internal-$1.txt" "$head_policy" none \
                    "${NONE_RUNS:-20}"
                  GGML_CUDA_ALLREDUCE=internal run "$out/internal-$1.txt" "$head_policy" random:1 "$2"
                fi ;;
      *) echo "MODES: unknown mode '$mode' (expected none, auto, random or internal)" >&2; exit 2 ;;
    esac
  done
}
for n in ${DEVICES:-2 4}; do
  if [ "${PHYSICAL:-0}" = 1 ]; then
    unset GGML_CUDA_DEVICES
  else
    export CUDA_VISIBLE_DEVICES=0 GGML_CUDA_DEVICES=$n
  fi
  for size in ${SIZES:-small large}; do
    case $size in
      small) confirm "M1-meta-allreduce-${n}dev" "${RANDOM_RUNS:-100}" ;;
      # Model-like sizes: four FFN blocks of 1024 x 4096, 128 tokens, two ubatches.
      large) confirm "M1-meta-allreduce-${n}dev-large" "${LARGE_RANDOM_RUNS:-20}" ;;
      # An 8B model's FFN: four SwiGLU blocks of 4096 x 14336, 512 tokens, two ubatches.
      8b) confirm "M1-meta-allreduce-${n}dev-8b" "${LARGE_RANDOM_RUNS:-20}" ;;
      *) echo "SIZES: unknown size '$size' (expected small, large or 8b)" >&2; exit 2 ;;
    esac
  done
done
