#!/usr/bin/env bash
# GPU speed measurement of the scheduler patch (docs/upstream-patch.md, "GPU speed measurement"):
# ggml-head against ggml-head + patches/ggml-head/*.patch, each built with its own ggml-cuda and
# measured by bench/ggml_sched_bench in paired rounds, every ubatch checked against ggml-cpu.
#
# 1. Here, where the ggml bundle is, prepare the two source trees (build-ggml-bench/ is ignored
#    by git, so the run tool must carry it):
#      scripts/gpu-upstream-patch-bench.sh prepare
#    which is:
#      git clone -q ../shared/upstream/ggml-versions.bundle /tmp/ggml-src
#      git -C /tmp/ggml-src checkout -q ggml-head
#      git -C /tmp/ggml-src archive --format=tar.gz -o build-ggml-bench/ggml-head.tar.gz HEAD
#      for p in patches/ggml-head/*.patch; do
#        git -C /tmp/ggml-src apply --whitespace=error-all "$PWD/$p"; done
#      tar -czf build-ggml-bench/ggml-head-patched.tar.gz -C /tmp/ggml-src --exclude=.git .
# 2. On the GPU machine (this working tree as current directory, build-ggml-bench carried):
#      scripts/gpu-upstream-patch-bench.sh            # the same as: ... run
#    The trees are labelled ggml-head and ggml-head-patched (in file names and JSON lines).
#    It builds both trees in parallel under $WORK (CUDA, sm_90, ninja; a tree already built
#    from the same sources is reused), installs each, builds the bench against each, starts one
#    bench server per tree and alternates them: for every round and scenario, one round of
#    each tree, in a random order per pair (ORDER_SEED, printed). All JSON lines go to
#    $OUT/bench.jsonl, the summary to $OUT/summary.md, logs to $OUT/*.log.
#
# Environment (defaults fit the ~9 minutes of one command, builds included):
#   GGML_HEAD_SRC, GGML_PATCHED_SRC  tarball or folder (build-ggml-bench/ggml-head{,-patched}.tar.gz)
#   ROUNDS (10) rounds per scenario; DECODES (the bench's defaults) measured decodes per round;
#   WARMUP (2); UBATCHES (8); THREADS (8) CPU threads; SEED (1) weights and inputs;
#   ORDER_SEED (a random one) order within each pair; SCENARIOS (all six)
#   BENCH_ARGS: more options for both benches (e.g. "--llama-layers 8 --llama-type f16")
#   DEVICES (cuda; cpu for a dry run without a GPU); GGML_CUDA (ON; OFF for that dry run)
#   CUDA_ARCH (90); JOBS (nproc/2 per build); GGML_CMAKE_EXTRA (-DGGML_CUDA_FA=OFF
#   -DGGML_CUDA_NCCL=OFF -DGGML_CUDA_GRAPHS=ON: no FlashAttention kernels, which the bench does
#   not use and which double the build; CUDA graphs on as llama.cpp builds ggml)
#   BUDGET_S (500) no new round starts after this many seconds since the start
#   WORK (/tmp/ggml-sched-bench) build folders; OUT (/tmp/ggml-sched-bench-out if unset)
# Exit code: 0 clean, 1 corrupted ubatches (see the summary), 2 bad setup, 3 build failed,
#            4 a bench server failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS

prepare() {
  local bundle=${SCHEDCHECK_GGML_BUNDLE:-$ROOT/../shared/upstream/ggml-versions.bundle}
  [[ -f $bundle ]] || { echo "prepare: no ggml bundle at $bundle (set SCHEDCHECK_GGML_BUNDLE)" >&2; exit 2; }
  local src
  src=$(mktemp -d /tmp/ggml-src.XXXXXX)
  git clone -q "$bundle" "$src/ggml"
  git -C "$src/ggml" checkout -q ggml-head
  mkdir -p build-ggml-bench
  git -C "$src/ggml" archive --format=tar.gz -o "$ROOT/build-ggml-bench/ggml-head.tar.gz" HEAD
  for p in patches/ggml-head/*.patch; do
    git -C "$src/ggml" apply --whitespace=error-all "$ROOT/$p"
  done
  git -C "$src/ggml" status --short
  tar -czf build-ggml-bench/ggml-head-patched.tar.gz -C "$src/ggml" --exclude=.git .
  rm -rf "$src"
  ls -l build-ggml-bench
  echo "carry build-ggml-bench to the GPU machine and run scripts/gpu-upstream-patch-bench.sh there"
}

case "${1:-run}" in
  prepare) prepare; exit 0 ;;
  run) ;;
  *) echo "usage: $0 [prepare|run]" >&2; exit 2 ;;
esac

HEAD_SRC=${GGML_HEAD_SRC:-build-ggml-bench/ggml-head.tar.gz}
PATCHED_SRC=${GGML_PATCHED_SRC:-build-ggml-bench/ggml-head-patched.tar.gz}
ROUNDS=${ROUNDS:-10}
WARMUP=${WARMUP:-2}
UBATCHES=${UBATCHES:-8}
THREADS=${THREADS:-8}
SEED=${SEED:-1}
ORDER_SEED=${ORDER_SEED:-$(( (RANDOM << 15) | RANDOM ))}
SCENARIOS=${SCENARIOS:-single-gpu-partial single-gpu-full two-gpu-pp two-gpu-layer llama-small-full llama-small-partial}
DEVICES=${DEVICES:-cuda}
GGML_CUDA=${GGML_CUDA:-ON}
CUDA_ARCH=${CUDA_ARCH:-90}
JOBS=${JOBS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}
GGML_CMAKE_EXTRA=${GGML_CMAKE_EXTRA:--DGGML_CUDA_FA=OFF -DGGML_CUDA_NCCL=OFF -DGGML_CUDA_GRAPHS=ON}
BUDGET_S=${BUDGET_S:-500}
WORK=${WORK:-/tmp/ggml-sched-bench}
OUT=${OUT:-/tmp/ggml-sched-bench-out}
export NCCL_NVLS_ENABLE=0
if [[ -d /usr/local/cuda/bin ]]; then export PATH=/usr/local/cuda/bin:$PATH; fi
# The installed libggml-cuda.so needs libcudart and libcublas at the bench's link and run.
if command -v nvcc > /dev/null; then
  cuda_lib=$(cd "$(dirname "$(command -v nvcc)")/../lib64" 2> /dev/null && pwd) || cuda_lib=""
  if [[ -n $cuda_lib ]]; then export LD_LIBRARY_PATH=$cuda_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; fi
fi
mkdir -p "$WORK" "$OUT"
log() { echo "[$(( SECONDS - START )) s] $*"; }

for src in "$HEAD_SRC" "$PATCHED_SRC"; do
  [[ -e $src ]] || { echo "no ggml source at $src: run '$0 prepare' where the bundle is (header)" >&2; exit 2; }
done
for n in ROUNDS WARMUP UBATCHES THREADS JOBS BUDGET_S; do
  [[ ${!n} =~ ^[0-9]+$ ]] || { echo "$n must be a non-negative integer, got '${!n}'" >&2; exit 2; }
done

log "ggml_sched_bench: ROUNDS=$ROUNDS DECODES=${DECODES:-default} WARMUP=$WARMUP UBATCHES=$UBATCHES" \
    "THREADS=$THREADS SEED=$SEED ORDER_SEED=$ORDER_SEED DEVICES=$DEVICES JOBS=$JOBS per build" \
    "BENCH_ARGS='${BENCH_ARGS:-}'"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi -L || true
  gpus=$(nvidia-smi -L 2> /dev/null | grep -c '^GPU' || true)
  if [[ ${gpus:-0} == 1 && -z ${GGML_CUDA_DEVICES:-} && $SCENARIOS == *two-gpu-* ]]; then
    export GGML_CUDA_DEVICES=2
    log "one GPU: GGML_CUDA_DEVICES=2 exposes it as CUDA0 and CUDA1 for the two-GPU scenarios (every scenario runs with it)"
  fi
fi
nvcc --version 2> /dev/null | tail -1 || true

# build LABEL SRC: ggml (install prefix) and the bench against it, in $WORK/LABEL.
build() {
  local label=$1 src=$2 dir=$WORK/$1 stamp
  if [[ -d $src ]]; then
    stamp=$(tar -cf - -C "$src" --exclude=.git . | sha256sum | cut -d' ' -f1)
  else
    stamp=$(sha256sum < "$src" | cut -d' ' -f1)
  fi
  stamp="$stamp $GGML_CUDA $CUDA_ARCH $GGML_CMAKE_EXTRA"
  if [[ -f $dir/prefix.stamp && $(cat "$dir/prefix.stamp") == "$stamp" ]]; then
    echo "ggml of $label: already built from the same sources"
  else
    rm -rf "$dir"
    mkdir -p "$dir/src"
    if [[ -d $src ]]; then cp -r "$src/." "$dir/src/"; else tar -xzf "$src" -C "$dir/src"; fi
    local t0=$SECONDS
    # shellcheck disable=SC2086
    cmake -S "$dir/src" -B "$dir/build" -G Ninja -DGGML_CUDA="$GGML_CUDA" \
      -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" -DGGML_NATIVE=OFF -DGGML_BUILD_TESTS=OFF \
      -DGGML_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$dir/prefix" \
      -DCMAKE_INSTALL_RPATH_USE_LINK_PATH=ON $GGML_CMAKE_EXTRA
    cmake --build "$dir/build" -j "$JOBS"
    cmake --install "$dir/build"
    echo "$stamp" > "$dir/prefix.stamp"
    echo "ggml of $label built in $(( SECONDS - t0 )) s"
  fi
  cmake -S "$ROOT/bench/ggml_sched_bench" -B "$dir/bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$dir/prefix"
  cmake --build "$dir/bench"
}

log "building ggml-head and ggml-head-patched in parallel (logs: $OUT/build-*.log)"
build ggml-head "$HEAD_SRC" > "$OUT/build-ggml-head.log" 2>&1 & head_pid=$!
build ggml-head-patched "$PATCHED_SRC" > "$OUT/build-ggml-head-patched.log" 2>&1 & patched_pid=$!
build_failed=0
wait $head_pid || build_failed=1
wait $patched_pid || build_failed=1
for label in ggml-head ggml-head-patched; do grep -h "built in\|already built" "$OUT/build-$label.log" || true; done
if (( build_failed )); then
  for label in ggml-head ggml-head-patched; do echo "== $label"; tail -25 "$OUT/build-$label.log"; done
  exit 3
fi
log "built"

# One bench server per tree, each reading "round SCENARIO R" and answering one JSON line.
fifos=$(mktemp -d /tmp/ggml-sched-bench-fifo.XXXXXX)
common=(--scenario "${SCENARIOS// /,}" --warmup "$WARMUP" --ubatches "$UBATCHES"
        --threads "$THREADS" --seed "$SEED" --devices "$DEVICES")
if [[ -n ${DECODES:-} ]]; then common+=(--decodes "$DECODES"); fi
read -r -a extra <<< "${BENCH_ARGS:-}"
common+=("${extra[@]}")
declare -A fd_in fd_out pid
# On any exit, end the servers this script started (by their ids) and remove the fifos.
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  for p in "${pid[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$fifos"
}
trap cleanup EXIT
trap '' PIPE  # a server that died shows as a failed write or read, not a silent exit
for label in ggml-head ggml-head-patched; do
  mkfifo "$fifos/$label.in" "$fifos/$label.out"
  "$WORK/$label/bench/ggml_sched_bench" serve --tree "$label" "${common[@]}" \
    < "$fifos/$label.in" > "$fifos/$label.out" 2> "$OUT/bench-$label.log" &
  pid[$label]=$!
done
# Both servers started before any fifo is opened here: neither inherits the other's pipes.
for label in ggml-head ggml-head-patched; do
  exec {fd}> "$fifos/$label.in"
  fd_in[$label]=$fd
  exec {fd}< "$fifos/$label.out"
  fd_out[$label]=$fd
done

# ask LABEL SCENARIO ROUND: one round, its line appended to bench.jsonl.
ask() {
  local line
  if ! echo "round $2 $3" >&"${fd_in[$1]}" || ! IFS= read -r -t 300 -u "${fd_out[$1]}" line; then
    log "the $1 bench server did not answer 'round $2 $3' (its log: $OUT/bench-$1.log):"
    tail -20 "$OUT/bench-$1.log"
    exit 4
  fi
  printf '%s\n' "$line" >> "$OUT/bench.jsonl"
  case $line in *'"status":"error"'*) log "error: $line"; exit 4 ;; esac
}

: > "$OUT/bench.jsonl"
RANDOM=$ORDER_SEED
log "rounds: order within each pair drawn with ORDER_SEED=$ORDER_SEED"
stopped=""
for (( r = 0; r < ROUNDS; r++ )); do
  if (( SECONDS - START > BUDGET_S )); then
    stopped="stopped after $r of $ROUNDS rounds: BUDGET_S=$BUDGET_S s reached"
    log "$stopped"
    break
  fi
  for s in $SCENARIOS; do
    if (( RANDOM % 2 )); then ask ggml-head "$s" "$r"; ask ggml-head-patched "$s" "$r"
    else ask ggml-head-patched "$s" "$r"; ask ggml-head "$s" "$r"; fi
  done
  log "round $r done"
done
for label in ggml-head ggml-head-patched; do
  echo quit >&"${fd_in[$label]}" || true
  wait "${pid[$label]}" || true
done

rc=0
"$WORK/ggml-head/bench/ggml_sched_bench" summarize --base ggml-head "$OUT/bench.jsonl" \
  > "$OUT/summary.md" || rc=$?
{
  echo
  echo "Run: ROUNDS=$ROUNDS DECODES=${DECODES:-default} WARMUP=$WARMUP UBATCHES=$UBATCHES THREADS=$THREADS" \
       "SEED=$SEED ORDER_SEED=$ORDER_SEED DEVICES=$DEVICES GGML_CUDA_DEVICES=${GGML_CUDA_DEVICES:-unset}" \
       "BENCH_ARGS='${BENCH_ARGS:-}';" \
       "ggml built with GGML_CUDA=$GGML_CUDA CUDA_ARCH=$CUDA_ARCH $GGML_CMAKE_EXTRA. ${stopped}"
} >> "$OUT/summary.md"
cat "$OUT/summary.md"
log "done: $OUT/bench.jsonl, $OUT/summary.md"
exit "$rc"
