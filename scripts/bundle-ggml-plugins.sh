#!/usr/bin/env bash
# Builds the real-ggml plugins of the bundle's trees into gpu-bundle/ggml-cache for a machine
# that has no bundle (the GPU machine): the plugins, and the few top-level sources of each
# tree that schedcheck reads to find its plugin in the cache. Usage (after the build):
#   scripts/bundle-ggml-plugins.sh [TAG...]     (default: every tag of the bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
tags=("$@")
[ ${#tags[@]} -gt 0 ] || tags=(ggml-v0 ggml-17795 ggml-20463 ggml-20793 ggml-25138 ggml-26040 ggml-head)
cache="$PWD/gpu-bundle/ggml-cache"
mkdir -p "$cache"
# Objects already compiled here are reused (they are keyed by content).
[ -d build/ggml-cache/objects ] && mkdir -p "$cache/objects" && cp -n build/ggml-cache/objects/*.o "$cache/objects/" 2>/dev/null || true
for tag in "${tags[@]}"; do
  SCHEDCHECK_CACHE="$cache" build/bin/schedcheck replay reports/canonical/two-gpu-pp.json \
    --policy "ggml@$tag" > /dev/null || [ $? -eq 1 ]
done
rm -rf "$cache/objects" "$cache/ggml-trees/bundle.git" "$cache"/ggml-trees/*.log "$cache"/plugins/*.log
for tree in "$cache"/ggml-trees/*/; do  # keep what the cache lookup hashes: top-level sources
  find "$tree" -mindepth 2 -type d -prune -exec rm -rf {} +
done
du -sh "$cache"
