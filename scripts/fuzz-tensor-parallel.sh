#!/usr/bin/env bash
# The tensor-parallel search in CI (docs/meta-backend.md): generated graphs on ggml's meta backend
# over 2-4 simulated devices, for a time budget each. ggml-head's meta backend must show its
# AllReduce race (M1); the tree patched by patches/ggml-head-meta/ must stay clean.
# Usage: scripts/fuzz-tensor-parallel.sh [SCHEDCHECK] (default build/bin/schedcheck); the budget
# is SCHEDCHECK_TP_FUZZ_SECONDS (default 20) per tree. Skips, saying why, without the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
schedcheck=${1:-build/bin/schedcheck}
seconds=${SCHEDCHECK_TP_FUZZ_SECONDS:-20}
bundle=${SCHEDCHECK_GGML_BUNDLE:-../shared/upstream/ggml-versions.bundle}
if [ ! -f "$bundle" ]; then
  echo "fuzz-tensor-parallel: skipped: no ggml bundle at $bundle (the meta backend is ggml's code)"
  exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q "$bundle" "$scratch/ggml" && git -C "$scratch/ggml" checkout -q ggml-head
for p in patches/ggml-head-meta/*.patch; do git -C "$scratch/ggml" apply --whitespace=error-all "$PWD/$p"; done

search() {  # tree, expected exit status (0 clean, 1 findings)
  local status=0
  "$schedcheck" check --shape tensor-parallel --policy "ggml@$1" --cases 100000000 \
    --time "$seconds" --jobs "$(nproc)" --max-variants 1 --save "$scratch/found-$2" || status=$?
  if [ "$status" -ne "$2" ]; then
    echo "fuzz-tensor-parallel: ggml@$1: exit $status, expected $2" >&2
    exit 1
  fi
}
search ggml-head 1
search "$scratch/ggml,as=ggml-26040" 0
echo "fuzz-tensor-parallel: ggml-head races (M1); the patched tree is clean"
