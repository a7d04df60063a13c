#!/usr/bin/env bash
# bench/analytics.sh KIZUKI - what correlations and analytics cost in `kizuki
# hunt` (issue: at most 10 % of hunt throughput), on corpus A (bench/corpus:
# 1 GiB written by the EVTX writer; its copies have distinct hosts and record
# ids, so fan-out, gaps and per-host windows see a fleet, not one machine).
# Results: bench/out/analytics-results.md, pasted into bench/README.md
# ("Correlations and analytics"). Not a test.
#
# Rules in every run: every SigmaHQ Windows rule (as bench/hunt.sh) plus
# kizuki's pack; the pack's correlations are taken out by copying rules/
# without its correlation/ folder. One thread (-j 1), warm rule cache (each
# set compiled once before timing), output -f jsonl to /dev/null, -q,
# --no-dedup. Timed with hyperfine (mean of BENCH_RUNS):
#   base      pack without correlations + SigmaHQ, --no-analytics
#   +corr     pack with its correlations + SigmaHQ, --no-analytics
#   +analytics pack without correlations + SigmaHQ, analytics on
#   full      pack with correlations + SigmaHQ, analytics on (the default)
# Figures: MB/s of used chunk bytes, the cost of each addition as the drop
# in throughput against base, peak RSS (/usr/bin/time -v) of base and full,
# and the analytics' own summary lines (facts, bounds).
set -euo pipefail
kz=$(readlink -f "${1:-build/kizuki}")
top=$(cd "$(dirname "$0")/.." && pwd)
shared="$top/../shared/data"
sigma="$shared/sigma"
out="$top/bench/out"
corpus="$top/bench/corpus"
runs=${BENCH_RUNS:-3}
py=/usr/bin/python3
mkdir -p "$out"
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/kz-bench-analytics.XXXXXX")
XDG_CACHE_HOME=$TMPDIR
export TMPDIR XDG_CACHE_HOME
trap 'rm -rf "$TMPDIR"' EXIT
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make test-deps)" >&2; exit 2; }
done
if [ ! -d "$sigma/rules/windows" ] || [ ! -f "$corpus/MANIFEST.json" ]; then
  echo "bench: needs ../shared/data/sigma and corpus A (run bench/run.sh or bench/hunt.sh first)" >&2
  exit 2
fi
mapfile -t A < <(find "$corpus/" -name '*.evtx' | sort)
[ "${#A[@]}" -gt 0 ] || { echo "bench: no .evtx in $corpus" >&2; exit 2; }
pack_nc="$TMPDIR/pack-no-corr"
mkdir -p "$pack_nc"
(cd "$top/rules" && find . -name '*.yml' ! -path './windows/correlation/*' -print0 |
   xargs -0 -I{} cp --parents {} "$pack_nc/")
sig=(-r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows"
     -r "$sigma/rules-emerging-threats")
common=("$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules --rule-cache "$TMPDIR/db")
base=("${common[@]}" -r "$pack_nc" "${sig[@]}" --no-analytics)
corr=("${common[@]}" -r "$top/rules" "${sig[@]}" --no-analytics)
anal=("${common[@]}" -r "$pack_nc" "${sig[@]}")
full=("${common[@]}" -r "$top/rules" "${sig[@]}")
q() { local a=("$@"); echo "${a[*]@Q}"; }
used=$("$py" - "${A[@]}" <<'EOF'
import struct, sys
used = 0
for p in sys.argv[1:]:
    with open(p, 'rb') as f:
        d = f.read()
    for off in range(4096, len(d) - 511, 65536):
        c = d[off:off + 512]
        if c[:8] == b'ElfChnk\x00':
            used += min(struct.unpack_from('<I', c, 48)[0], 65536)
print(used)
EOF
)
# compile each rule set once (cache), and keep the full run's summary
: > "$out/empty.jsonl"
"${base[@]}" "$out/empty.jsonl" >/dev/null 2>&1 || true
"${corr[@]}" "$out/empty.jsonl" >/dev/null 2>&1 || true
"$kz" hunt -f jsonl --no-dedup -j 1 --no-default-rules --rule-cache "$TMPDIR/db" \
  -r "$top/rules" "${sig[@]}" "${A[@]}" 2>"$out/analytics-summary.txt" >/dev/null || true
peak() { /usr/bin/time -v -o "$out/analytics-time-$1.txt" "${@:2}" >/dev/null 2>&1 || true
         awk -F: '/Maximum resident/{gsub(/ /,"",$2); printf "%d", $2 / 1024}' "$out/analytics-time-$1.txt"; }
hyperfine -N -i --output null -w 1 -r "$runs" --export-json "$out/analytics.json" \
  -n "base (no correlations, no analytics)" "$(q "${base[@]}" "${A[@]}")" \
  -n "+ correlations" "$(q "${corr[@]}" "${A[@]}")" \
  -n "+ analytics" "$(q "${anal[@]}" "${A[@]}")" \
  -n "full (correlations and analytics, the default)" "$(q "${full[@]}" "${A[@]}")" \
  >/dev/null 2>&1
r0=$(peak base "${base[@]}" "${A[@]}")
r1=$(peak full "${full[@]}" "${A[@]}")
{
echo "# correlations and analytics in hunt"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "- kizuki: $("$kz" --version | head -1); corpus A: ${#A[@]} files, $((used / 1048576)) MiB used"
echo
"$py" - "$out/analytics.json" "$used" "$r0" "$r1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); used = int(sys.argv[2])
rs = d['results']; b = rs[0]['mean']
print('| hunt -j 1, corpus A | mean s | ± | MB/s (used) | throughput vs base |')
print('|---|---|---|---|---|')
for r in rs:
    print('| %s | %.3f | %.3f | %.0f | %.1f %% |' % (r['command'], r['mean'], r['stddev'],
          used / r['mean'] / 1e6, 100 * b / r['mean']))
print()
print('cost of correlations and analytics together: %.1f %% of hunt throughput '
      '(target <= 10 %%); peak RSS base %s MiB, full %s MiB'
      % (100 * (1 - b / rs[3]['mean']), sys.argv[3], sys.argv[4]))
EOF
echo
echo "summary lines of the full run:"
echo
echo '```'
grep -E "analytics|correlations|detections \(|facts|bounds|not evaluated" "$out/analytics-summary.txt" || true
echo '```'
} | tee "$out/analytics-results.md"
echo "results in $out/analytics-results.md" >&2
