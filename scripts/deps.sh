#!/usr/bin/env bash
# deps.sh - installs kizuki's build and test dependencies on Debian when they
# are missing. Idempotent: does nothing when everything is present.
# Usage: scripts/deps.sh [--test]   (--test adds the reference parsers and
# tools the test suite and benchmarks use)
set -euo pipefail

build_pkgs=(gcc make cmake pkg-config zlib1g-dev libarchive-dev libyaml-dev
  libpcre2-dev libvectorscan-dev)
test_pkgs=(clang libclang-rt-14-dev python3 python3-yaml libevtx-utils python3-evtx
  hyperfine time)
# The browser test (tests/browser, docs/testing.md): Debian's chromium, CJK
# fonts for the Japanese report; node and npm only when no node is on PATH
# (a node from elsewhere, e.g. NodeSource, already carries npm).
test_pkgs+=(chromium fonts-noto-cjk)
command -v node >/dev/null 2>&1 || test_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
