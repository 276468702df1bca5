#!/usr/bin/env bash
# The GPU bundle of a patch's confirmation over ggml-cuda (gpu-patch-races.sh,
# gpu-meta-backend.sh): schedcheck and libfmt into gpu-bundle/, and ggml-trees.tar.gz holding
# ggml-head and ggml-head with every patch of PATCH_DIR applied, as LABEL. Usage (after the
# build): scripts/bundle-patched-head.sh LABEL PATCH_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
label=$1
patches=$2
mkdir -p gpu-bundle
cp build/bin/schedcheck gpu-bundle/
strip gpu-bundle/schedcheck
cp -L /lib/x86_64-linux-gnu/libfmt.so.9 gpu-bundle/
build/bin/schedcheck replay tests/scenarios/cpu-decode.json --policy ggml@ggml-head > /dev/null
trees="${SCHEDCHECK_CACHE:-$HOME/.cache/schedcheck}/ggml-trees"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$trees/ggml-head" "$work/ggml-head"
cp -r "$trees/ggml-head" "$work/$label"
for p in "$patches"/*.patch; do patch -s -p1 -d "$work/$label" < "$p"; done
tar -czf gpu-bundle/ggml-trees.tar.gz -C "$work" ggml-head "$label"
