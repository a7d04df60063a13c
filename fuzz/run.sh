#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - runs each libFuzzer target for SECONDS with its
# seed corpus: fuzz/corpus/<target>/ (committed: crashers found earlier and
# small seeds) plus, when present, the shared EVTX samples and JSON files
# and tests/tools/evtx_writer.py output. New crashes land in
# fuzz/artifacts/<target>/; copy them into fuzz/corpus/<target>/ and
# tests/data/crashers/ once fixed.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
shared="$top/../shared/data"
work="$top/fuzz/corpus-run"
targets=${FUZZ_TARGETS:-evtx json rules impact}
mkdir -p "$work"
for t in $targets; do
  mkdir -p "$work/$t" "$top/fuzz/artifacts/$t"
  cp -n "$top/fuzz/corpus/$t/"* "$work/$t/" 2>/dev/null || true
done
if [ -d "$shared" ]; then
  # Small EVTX files whole, larger ones cut to their first chunks.
  find "$shared/evtx" -name '*.evtx' -size -300k | while read -r f; do
    h=$(sha1sum "$f" | cut -c1-16); head -c 200000 "$f" > "$work/evtx/shared-$h"
  done
  find "$shared/sigma/regression_data" -name '*.json' | while read -r f; do
    h=$(sha1sum "$f" | cut -c1-16); cp "$f" "$work/json/shared-$h"
  done
  # The SigmaHQ Windows rules as seeds of the rule loader.
  mkdir -p "$work/rules"
  find "$shared/sigma/rules/windows" -name '*.yml' | while read -r f; do
    h=$(sha1sum "$f" | cut -c1-16); cp "$f" "$work/rules/shared-$h"
  done
fi
# Placeholder values for |expand in fuzz_rules.
export KZ_FUZZ_EXPAND="$top/fuzz/corpus/rules/expand.yml.values"
if [ -d "$top/tests/data/json" ]; then
  cp -n "$top/tests/data/json/"* "$work/json/" 2>/dev/null || true
fi
# The EVTX writer's unit fixtures: every token, value type and damage.
if command -v python3 >/dev/null; then
  python3 "$top/tests/tools/gen_evtx_fixtures.py" "$work/fixtures" >/dev/null
  for f in "$work/fixtures/"*.evtx; do
    head -c 200000 "$f" > "$work/evtx/fixture-$(basename "$f" .evtx)"
  done
fi
cp -n "$top/tests/data/crashers/"* "$work/evtx/" 2>/dev/null || true
# All targets at once (FUZZ_TARGETS picks them); each log ends with
# libFuzzer's stats.
pids=()
for t in $targets; do
  echo "fuzz_$t: $secs s" >&2
  "$build/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=200000 -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$top/fuzz/artifacts/$t/" \
    "$work/$t" > "$work/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
done
for t in $targets; do
  echo "== fuzz_$t" >&2
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY" "$work/$t.log" >&2 || true
  if [ -n "$(find "$top/fuzz/artifacts/$t" -type f \( -name 'crash-*' -o \
        -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -print -quit)" ]; then
    echo "fuzz_$t found inputs that fail: $top/fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit $status
