#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a normal build, then an AddressSanitizer+UBSan
# build; then fuzzes every built-in policy for a time budget, asserting the known verdicts, and
# ggml's meta backend with generated tensor-parallel graphs (scripts/fuzz-tensor-parallel.sh);
# then installs the normal build and uses the install (scripts/check-install.sh), builds
# Release with GCC and with Clang (scripts/check-release-builds.sh), and fuzzes the file loaders
# (scripts/run-fuzz.sh, SCHEDCHECK_FUZZ_TARGET_SECONDS each). Warnings are errors here.
# GPU tests (ctest label "gpu") skip themselves when no CUDA device is present. Tests of the
# real ggml scheduler build plugins from ../shared/upstream/ggml-versions.bundle into
# build/ggml-cache (shared by both builds) and skip, saying why, when the bundle is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
# Chromium: the timeline test renders a page headless and checks its screenshot (it skips
# without a browser, so CI would not notice a broken page).
scripts/install-deps.sh chromium
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCHEDCHECK_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSCHEDCHECK_WERROR=ON -DSCHEDCHECK_SANITIZE=ON -DSCHEDCHECK_BUILD_BENCH=OFF \
  -DSCHEDCHECK_TEST_GGML_CACHE="$PWD/build/ggml-cache"
cmake --build build-asan -j"$jobs"
# ggml's own process-lifetime caches (the meta backend's) are suppressed by name, with the reason.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS="suppressions=$PWD/tests/lsan-suppressions.txt:print_suppressions=0" \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
# Fuzzing: a time-budgeted search per policy; fails if a version's verdict changes.
build/bin/schedcheck check --policy all --cases 100000000 --time "${SCHEDCHECK_FUZZ_SECONDS:-20}" \
  --jobs "$jobs" --assert-known
# The same for tensor parallelism: ggml's meta backend through the bridge (needs the bundle).
scripts/fuzz-tensor-parallel.sh build/bin/schedcheck
scripts/check-install.sh build
scripts/install-deps.sh clang
scripts/check-release-builds.sh
# Fuzzing the file loaders with libFuzzer (Clang, ASan, UBSan) for a time budget per target.
scripts/run-fuzz.sh
