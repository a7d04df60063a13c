#!/usr/bin/env bash
# web-deps.sh - installs kizuki's build-time web dependencies (cytoscape.js,
# inlined into report.html by the build; docs/report.md, Graph) from the npm
# registry into DIR/node_modules, at the version pinned in web/package.json and
# web/package-lock.json (npm ci: the lock file's version and integrity).
# Idempotent: does nothing when the pinned version is already there.
# Never fails the build: without npm or the registry it says so once and exits
# 0, and report.html keeps the static SVG graph (the fallback).
# Usage: scripts/web-deps.sh [DIR]   (default: build/web)
set -uo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)/web"
dir="${1:-build/web}"
want="$(sed -n 's/^ *"cytoscape": *"\([^"]*\)".*/\1/p' "$src/package.json" | head -n 1)"
have_pkg="$dir/node_modules/cytoscape/package.json"

if [ -f "$have_pkg" ] &&
  grep -q "\"version\": *\"$want\"" "$have_pkg" &&
  [ -f "$dir/node_modules/cytoscape/dist/cytoscape.min.js" ]; then
  exit 0
fi
fallback() {
  echo "web-deps.sh: $1; report.html will use the static SVG graph" \
    "(no interactive graph)" >&2
  exit 0
}
command -v npm >/dev/null 2>&1 || fallback "npm not found"
mkdir -p "$dir" || fallback "cannot create $dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/" ||
  fallback "cannot copy web/package*.json"
echo "web-deps.sh: installing cytoscape $want into $dir" >&2
# --ignore-scripts: nothing from the registry runs here; bounded in time so an
# unreachable registry cannot hang the build.
if ! (cd "$dir" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund \
  --fetch-retries=1 --fetch-timeout=60000 --loglevel=error >npm.log 2>&1); then
  rm -rf "$dir/node_modules"
  fallback "npm ci failed (registry unreachable?), see $dir/npm.log"
fi
[ -f "$dir/node_modules/cytoscape/dist/cytoscape.min.js" ] ||
  fallback "cytoscape.min.js missing after npm ci"
exit 0
