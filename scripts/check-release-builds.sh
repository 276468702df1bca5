#!/usr/bin/env bash
# Release builds with both Debian compilers (GCC 12, Clang 14), warnings as errors: the
# schedcheck binary and the embedding API, each binary passing the corpus and the Clang one
# also installed and used by the example project. The whole test suite runs on the GCC
# RelWithDebInfo build (run-tests.sh); here only what a compile check and a working binary need.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
for cxx in g++ clang++; do
  dir=build-release-$cxx
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DSCHEDCHECK_WERROR=ON -DSCHEDCHECK_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j"$jobs" --target schedcheck schedcheck_api schedcheck_generated_docs
  "$dir/bin/schedcheck" corpus >/dev/null
  echo "check-release-builds: $cxx Release build passes the corpus"
done
SCHEDCHECK_EXAMPLE_BUILD_TYPE=Release scripts/check-install.sh build-release-clang++
