#!/usr/bin/env bash
# GPU acceptance on the corpus (device tool): every expectation whose verdict is a race must
# show a mismatch under its policy with --delays auto in at most 2 runs; every clean one must
# match the reference across 20 random-delay runs; every stale one must show wrong values with no
# delays. Prints one line per expectation and a total.
set -u
# The expectation list (file, policy, verdict) is made on the build machine:
#   build/bin/schedcheck corpus --json | python3 -c '...'  (see docs/gpu.md)
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
bin=${SCHEDCHECK:-gpu-bundle/schedcheck}
out="${OUT:-/tmp/schedcheck-gpu}"
mkdir -p "$out"
pass=0; fail=0; skip=0
while IFS=$'\t' read -r file policy verdict; do
  if [[ "$verdict" == stale ]]; then
    # A stale read is wrong in every order: no delay is needed.
    "$bin" real "$file" --policy "$policy" --delays none --runs 2 > "$out/last.txt" 2>&1; rc=$?
    want=1; how="none x2"
  elif [[ "$verdict" == race* ]]; then
    "$bin" real "$file" --policy "$policy" --delays auto --runs 2 > "$out/last.txt" 2>&1; rc=$?
    want=1; how="auto x2"
  else
    "$bin" real "$file" --policy "$policy" --delays random:1 --runs 20 > "$out/last.txt" 2>&1; rc=$?
    want=0; how="random x20"
  fi
  runs=$(grep -o "GPU: [0-9]* of [0-9]* runs mismatched" "$out/last.txt" | tail -1)
  if [ "$rc" = 2 ] && grep -q "the CUDA executor cannot run" "$out/last.txt"; then
    # Refused by the executor (buffers that reuse another's memory): the simulator's alone.
    skip=$((skip+1)); printf 'skip %-60s %-12s %s\n' "$file" "$policy" "$(tail -1 "$out/last.txt")"
    continue
  fi
  if [ "$rc" = "$want" ]; then pass=$((pass+1)); status=ok; else fail=$((fail+1)); status=FAIL; cat "$out/last.txt" >> "$out/failures.txt"; fi
  printf '%-4s %-60s %-12s expected %-10s %-10s -> %s\n' "$status" "$file" "$policy" "$verdict" "$how" "$runs"
done < "${EXPECTATIONS:-gpu-bundle/expectations.tsv}"
echo "gpu corpus: $pass passed, $fail failed, $skip skipped"
