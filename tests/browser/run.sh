#!/bin/sh
# run.sh - the browser test of report.html (report_test.js; docs/testing.md,
# Browser test): finds node, Debian's chromium and the playwright-core
# install, then runs report_test.js.
#
# Usage: run.sh KIZUKI SRCDIR WORKDIR
# playwright-core is looked up in $KZ_WEB_TEST, then <kizuki's dir>/web-test,
# then SRCDIR/build/web-test (where `make test-deps` puts it, so that
# build-asan finds it too); chromium in $KZ_CHROMIUM, then chromium on PATH.
# Exit 0 = passed, 1 = a check failed, 2 = a setup error, 77 = skipped
# (node, chromium or playwright-core missing, or chromium cannot start).
set -u

KIZUKI=$1
SRC=$2
WORK=$3

skip() {
    echo "SKIP: $1 (install with: make test-deps)"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node not found"
chromium=${KZ_CHROMIUM:-$(command -v chromium 2>/dev/null || true)}
[ -n "$chromium" ] && [ -x "$chromium" ] || skip "chromium not found"
pw=""
for d in ${KZ_WEB_TEST:-} "$(dirname "$KIZUKI")/web-test" "$SRC/build/web-test"; do
    if [ -f "$d/node_modules/playwright-core/package.json" ]; then
        pw=$(cd "$d/node_modules" && pwd)
        break
    fi
done
[ -n "$pw" ] || skip "playwright-core not installed (scripts/browser-deps.sh DIR)"
rm -rf "$WORK"
mkdir -p "$WORK" || exit 2
NODE_PATH=$pw exec node "$SRC/tests/browser/report_test.js" \
    "$KIZUKI" "$SRC" "$(cd "$WORK" && pwd)" "$chromium"
