#!/usr/bin/env bash
# GPU run (device tool): the canonical two-GPU scenario under the real schedulers of the ggml
# bundle (ggml@TAG, plugins carried in gpu-bundle/ggml-cache by scripts/bundle-ggml-plugins.sh)
# next to their models, through the CUDA executor: targeted delays (2 runs per predicted race)
# and random delays. Writes logs under $OUT.
set -u
export LD_LIBRARY_PATH="$PWD/gpu-bundle:${LD_LIBRARY_PATH:-}"
export SCHEDCHECK_CACHE="$PWD/gpu-bundle/ggml-cache"
out="${OUT:-/tmp/schedcheck-gpu}"
mkdir -p "$out"
nvidia-smi -L
f=reports/canonical/two-gpu-pp.json
for v in ggml-v0 ggml-17795 ggml-20463 ggml-20793 ggml-25138 ggml-26040 ggml-head; do
  for p in "ggml@$v" "$v"; do
    [ "$p" = ggml-head ] && continue  # no model of its own: ggml-26040's scheduler
    log="$out/real-$(echo "$p" | tr '@/' '__')"
    gpu-bundle/schedcheck real "$f" --policy "$p" --delays auto --runs 2 > "$log-auto.txt" 2>&1
    echo "$p auto: exit $? | $(grep -E 'simulator says' "$log-auto.txt" | head -1)"
    gpu-bundle/schedcheck real "$f" --policy "$p" --delays random:1 --runs 5 > "$log-random.txt" 2>&1
    echo "$p random x5: exit $? | $(grep -E 'simulator says' "$log-random.txt" | head -1)"
  done
done
