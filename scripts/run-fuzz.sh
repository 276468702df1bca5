#!/usr/bin/env bash
# Fuzzes the file loaders and the dump importer (docs/fuzzing.md): libFuzzer targets built with Clang, ASan and UBSan
# (build-fuzz/), seeded with the repository's files, each for SCHEDCHECK_FUZZ_TARGET_SECONDS
# (default 60). Fails on any crash, hang (10 s), leak, sanitizer report or memory over 2 GiB,
# naming the input to add under tests/fuzz-regressions/<target>/. The corpus grows in a
# temporary folder; nothing in the checkout is written but build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${SCHEDCHECK_FUZZ_TARGET_SECONDS:-60}"
scripts/install-deps.sh clang libclang-rt-14-dev
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DSCHEDCHECK_FUZZ=ON -DSCHEDCHECK_CUDA=OFF \
  -DSCHEDCHECK_BUILD_BENCH=OFF -DSCHEDCHECK_WERROR=ON > /dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_scenario fuzz_policies fuzz_delay_plan fuzz_dump
work="$(mktemp -d /tmp/schedcheck-fuzz.XXXXXX)"
status=0
run() {  # target, regression folder, seed folders...
  local target="$1" regressions="$2"
  shift 2
  mkdir -p "$work/$target/corpus" "$work/$target/findings"
  echo "fuzz: $target for ${seconds} s"
  if ! "build-fuzz/bin/fuzz_$target" "$work/$target/corpus" "tests/fuzz-regressions/$regressions" "$@" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$work/$target/findings/" -print_final_stats=1 > "$work/$target/log" 2>&1; then
    status=1
    tail -40 "$work/$target/log"
    echo "fuzz: $target FAILED; the input: $(ls "$work/$target/findings/"* 2>/dev/null | head -1)"
    echo "fuzz: copy it into tests/fuzz-regressions/$regressions/ and fix the loader"
  else
    grep -E "number_of_executed_units|new_units_added|peak_rss_mb" "$work/$target/log" | sed "s/^/  /"
  fi
}
run scenario scenario reports tests/scenarios tests/malformed
run policies policies fuzz/seeds/policies
run delay_plan delay-plan fuzz/seeds/delay-plan scripts/plans
run dump dump tests/dumps
exit "$status"
