#!/usr/bin/env bash
# Installs the Debian packages schedcheck builds with, if any is missing (Debian 12), and any
# extra packages named as arguments (run-tests.sh asks for clang for its Clang build, and chromium
# for the timeline test). help2man: the man page (build/share/man/man1/schedcheck.1); libpng-dev:
# the timeline test decodes its screenshots.
set -euo pipefail
packages=(cmake make g++ librapidcheck-dev libboost-graph-dev libgtest-dev nlohmann-json3-dev
          libcli11-dev libfmt-dev libbenchmark-dev help2man libpng-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
