#!/usr/bin/env bash
# browser-deps.sh - installs the browser test's npm dependency (playwright-core,
# which drives Debian's chromium; docs/testing.md, Browser test) from the npm
# registry into DIR/node_modules, at the version pinned in web/test/package.json
# and web/test/package-lock.json (npm ci: the lock file's version and
# integrity). Chromium itself comes from Debian (scripts/deps.sh --test).
# Idempotent: does nothing when the pinned version is already there.
# Never fails: without npm or the registry it says so once and exits 0, and
# the browser test (tests/browser/run.sh) skips with exit 77.
# Usage: scripts/browser-deps.sh [DIR]   (default: build/web-test)
set -uo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)/web/test"
dir="${1:-build/web-test}"
want="$(sed -n 's/^ *"playwright-core": *"\([^"]*\)".*/\1/p' "$src/package.json" | head -n 1)"
have_pkg="$dir/node_modules/playwright-core/package.json"

if [ -f "$have_pkg" ] && grep -q "\"version\": *\"$want\"" "$have_pkg"; then
  exit 0
fi
fallback() {
  echo "browser-deps.sh: $1; the browser test will be skipped" >&2
  exit 0
}
command -v npm >/dev/null 2>&1 || fallback "npm not found"
mkdir -p "$dir" || fallback "cannot create $dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/" ||
  fallback "cannot copy web/test/package*.json"
echo "browser-deps.sh: installing playwright-core $want into $dir" >&2
# --ignore-scripts: nothing from the registry runs here (playwright-core has no
# install script and downloads no browser); bounded in time so an unreachable
# registry cannot hang the install.
if ! (cd "$dir" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund \
  --fetch-retries=1 --fetch-timeout=60000 --loglevel=error >npm.log 2>&1); then
  rm -rf "$dir/node_modules"
  fallback "npm ci failed (registry unreachable?), see $dir/npm.log"
fi
[ -f "$have_pkg" ] || fallback "playwright-core missing after npm ci"
exit 0
