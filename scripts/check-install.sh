#!/usr/bin/env bash
# Installs a built tree into a fresh prefix and uses it as a user would: `schedcheck corpus`
# from another directory (the installed corpus), --version, the man page and completion, and
# the example project (examples/embed-checker) configured, built and tested against the
# installed CMake package. Usage: scripts/check-install.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/check-install.sh BUILD_DIR}
work=$(mktemp -d /tmp/schedcheck-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
(cd "$work" && "$prefix/bin/schedcheck" --version && "$prefix/bin/schedcheck" corpus >/dev/null)
echo "check-install: the installed binary passes its installed corpus"
test -s "$prefix/share/bash-completion/completions/schedcheck"
test -s "$prefix/share/doc/schedcheck/README.md"
if command -v help2man >/dev/null; then test -s "$prefix/share/man/man1/schedcheck.1"; fi
cmake -S examples/embed-checker -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE="${SCHEDCHECK_EXAMPLE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$work/example" -j"$(nproc)"
ctest --test-dir "$work/example" --output-on-failure
echo "check-install: the example project builds against the installed package and passes"
