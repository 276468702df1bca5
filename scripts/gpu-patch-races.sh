#!/usr/bin/env bash
# GPU confirmation that the races schedcheck knows in ggml's versions do not occur with the
# scheduler patch (docs/upstream-patch.md, "Every known race, on the GPU"). Per corpus scenario
# in which a version races (the H5 scenarios left out: the patch does not fix them), three
# invocations of `schedcheck real`, each making a warm-up run first:
#   1. every policy under its own targeted holds (--policy all --delays auto): the control, in
#      which the racing versions must mismatch;
#   2. the patched ggml-head under all those holds, carried onto its calls (--delays from:all):
#      it must not;
#   3. the patched tree under random delays.
# Through the CUDA executor (every capability profile), and again over ggml's own CUDA backend
# where the scenario has only CUDA and CPU backends and no capability overrides (control:
# ggml@ggml-head).
#   here:        scripts/gpu-patch-races.sh --bundle   (after the build: gpu-bundle/ with the
#                binary, ggml-head and the patched tree, and the list of races)
#   on the GPU:  scripts/gpu-patch-races.sh            (carry gpu-bundle; results under $OUT)
# Environment: OUT (/tmp/schedcheck-patch-races), RUNS (runs per carried hold, 2), RANDOM_RUNS
# (random-delay runs of the patched tree per scenario, 5), CUDA_BACKEND=0 (no runs over
# ggml-cuda, whose two builds take about 150 s), EXECUTOR=0 (no runs through the executor: the
# two parts fit one 10-minute device call each), ONLY="NAME..." (these scenarios only, by file
# name without .json). Runs 55-57 (one invocation per version, before from:all) did not finish
# within 10 minutes: each invocation took seconds of CUDA set-up.
set -u
cd "$(dirname "$0")/.."
patched_label=ggml-head-patched
if [ "${1:-}" = "--bundle" ]; then
  set -eo pipefail
  scripts/bundle-patched-head.sh "$patched_label" patches/ggml-head
  # file <TAB> version, for every race of a ggml version in the corpus but H5 (llama.cpp's input
  # writes), the races of a program's own writes (reports/input-writes, reports/buffer-lifetimes,
  # reports/backend-changes)
  # and programs no tree can run (prepare_inputs): no scheduler patch orders those.
  build/bin/schedcheck corpus --json | python3 -c '
import json, os, sys
own = ("input-writes", "buffer-lifetimes", "backend-changes")
for r in json.load(sys.stdin)["results"]:
    f = os.path.relpath(r["file"])
    if "race" not in r["expected"] or not r["policy"].startswith("ggml-"):
        continue
    s = json.load(open(f))
    e = s.get("expect", {}).get(r["policy"], {})
    h5 = os.path.basename(f).startswith("H5-") or "H5" in (e.get("mechanisms", []) if isinstance(e, dict) else [])
    no_tree = any(p.get("step") == "prepare_inputs" for p in s.get("program", []))
    if os.path.basename(os.path.dirname(f)) in own or h5 or no_tree:
        continue
    print(f + "\t" + r["policy"])' > gpu-bundle/patch-races.tsv
  wc -l gpu-bundle/patch-races.tsv
  du -sh gpu-bundle
  exit 0
fi
export NCCL_NVLS_ENABLE=0
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
export SCHEDCHECK_CACHE="${SCHEDCHECK_CACHE:-/tmp/schedcheck-cache}"
export SCHEDCHECK_PLUGIN_CXX="${SCHEDCHECK_PLUGIN_CXX:-g++}"
export SCHEDCHECK_CUDA_ARCHITECTURES="${SCHEDCHECK_CUDA_ARCHITECTURES:-90}"
out="${OUT:-/tmp/schedcheck-patch-races}"
runs="${RUNS:-2}"
random_runs="${RANDOM_RUNS:-5}"
mkdir -p "$out/logs" "$SCHEDCHECK_CACHE/ggml-trees"
tar -xzf gpu-bundle/ggml-trees.tar.gz -C "$SCHEDCHECK_CACHE/ggml-trees"
patched="ggml@$SCHEDCHECK_CACHE/ggml-trees/$patched_label,as=ggml-26040"
sc=gpu-bundle/schedcheck
nvidia-smi -L
t0=$(date +%s)
# The ggml-cuda builds of both trees in the background, while the executor runs go on.
if [ "${CUDA_BACKEND:-1}" = 1 ]; then
  for t in ggml-head "$SCHEDCHECK_CACHE/ggml-trees/$patched_label,as=ggml-26040"; do
    $sc real tests/scenarios/cpu-decode.json --policy "ggml@$t" --backend ggml-cuda --delays none \
      > "$out/logs/build-$(basename "${t%%,*}").txt" 2>&1 &
  done
fi
# One line per policy of each invocation: path <TAB> runner <TAB> delays <TAB> exit <TAB> summary
results="$out/results.tsv"
: > "$results"
real() {  # real FILE POLICY DELAYS RUNS [--backend ggml-cuda]
  local f=$1 policy=$2 delays=$3 n=$4 log part rc
  shift 4
  log="$out/logs/$(basename "$f" .json).txt"
  part=$(mktemp)
  $sc real "$f" --policy "$policy" --delays "$delays" --runs "$n" "$@" > "$part" 2>&1
  rc=$?
  { echo "=== --policy $policy --delays $delays --runs $n $*: exit $rc"; cat "$part"; } >> "$log"
  if [ $rc -le 1 ]; then
    grep -E "runs mismatched" "$part" | while IFS= read -r line; do
      printf '%s\t%s\t%s\t%s\t%s\n' "$f" "${*:-executor}" "$delays" "$rc" "$line"
    done >> "$results"
  else
    printf '%s\t%s\t%s\t%s\terror: %s\n' "$f" "${*:-executor}" "$delays" "$rc" "$(tail -1 "$part")" >> "$results"
  fi
  rm -f "$part"
}
files=$(cut -f1 gpu-bundle/patch-races.tsv | sort -u)
if [ -n "${ONLY:-}" ]; then
  files=$(echo "$files" | grep -E "/($(echo "$ONLY" | tr ' ' '|'))\.json$")
fi
# Per scenario three invocations: every policy under its own holds (the control; clean ones get
# random delays), the patched tree under all of them (from:all), and under random delays.
# Scenarios with real shapes (llama-pp) run over ggml-cuda only: the executor's checksum kernels
# over their full sizes take minutes per run.
for f in $files; do
  [ "${EXECUTOR:-1}" = 1 ] || break
  grep -q '"shape"' "$f" && continue
  real "$f" all auto 1
  real "$f" "$patched" from:all "$runs"
  real "$f" "$patched" random:1 "$random_runs"
done
echo "executor runs done after $(( $(date +%s) - t0 )) s"
if [ "${CUDA_BACKEND:-1}" = 1 ]; then
  wait
  cat "$out"/logs/build-*.txt | grep -E "building|error|exit" | head -20
  # Over ggml-cuda: scenarios of CUDA and CPU backends only, without capability overrides, which
  # ggml-cuda cannot follow (B5: its calls differed from the simulation in run 59).
  for f in $files; do
    grep -qE '"kind": *"(Vulkan|HIP|Metal|MUSA|BLAS)"' "$f" && continue
    grep -q '"capabilities"' "$f" && continue
    real "$f" ggml@ggml-head auto 2 --backend ggml-cuda
    real "$f" "$patched" from:all "$runs" --backend ggml-cuda
    real "$f" "$patched" random:1 "$random_runs" --backend ggml-cuda
  done
  echo "ggml-cuda runs done after $(( $(date +%s) - t0 )) s"
fi
# The table: scenario | runner | delays | exit | summary (PATCHED: the patched tree)
sed -e 's|ggml@[^\t,]*'"$patched_label"',as=ggml-26040|PATCHED|g' -e 's|^reports/[a-z]*/||' "$results" | tr '\t' '|'
echo "all done after $(( $(date +%s) - t0 )) s"
