#!/usr/bin/env bash
# bench/hunt.sh KIZUKI - speed and memory of `kizuki hunt`: every event read
# with no rules vs every event matched against all SigmaHQ Windows rules, in
# one run, on one thread (-j 1). Results: bench/out/hunt-results.md (pasted
# into bench/README.md, "Hunt", with the machine and date). Not a test.
#
# Corpora:
#   A  bench/corpus/*.evtx, 1 GiB written by the EVTX writer (built as in
#      bench/run.sh when absent)
#   M  bench/corpus-mixed/*.evtx, 512 MiB: the shared samples' events written
#      again by the EVTX writer (built here when absent)
#   S  every .evtx under ../shared/data/evtx (337 files)
# Rules: ../shared/data/sigma/rules/windows, rules-threat-hunting/windows and
# rules-emerging-threats (what tests/conformance/sigma_golden.py loads).
# Timed (hyperfine, warm cache, mean of BENCH_RUNS, output -f jsonl to
# /dev/null, -q, --no-dedup, -j 1):
#   no rules    kizuki hunt --no-default-rules FILES       (reads every event)
#   all rules   kizuki hunt --no-default-rules -r RULES... FILES
#   check       kizuki rules check RULES...                (parse, map, compile)
#   load+compile kizuki hunt --no-default-rules -r RULES... EMPTY (no events)
#   cached      the same with --rule-cache (warm): compiled databases loaded
# hunt runs use --no-rule-cache (every run compiles) except "cached".
#   all rules, cached   the same with a warm --rule-cache
# Figures: MB/s of used chunk bytes (as bench/run.sh), events/s, CPU time
# (user+sys, hyperfine's means over the runs) and peak RSS (/usr/bin/time -v,
# one run); matching alone = CPU time of the all-rules run minus that of
# load+compile (robust when other jobs share the machine; compilation may use
# several threads even with -j 1), and the same from the cached runs (all
# rules cached minus the cached load: a smaller, steadier subtraction); the
# ratio all-rules/no-rules throughput, end to end and for matching alone.
# Targets (issue): all rules >= 50 % of no-rules throughput; >= 100 MB/s on
# one core; load+compile <= 3 s; peak RSS <= 256 MB.
set -euo pipefail
kz=$(readlink -f "${1:-build/kizuki}")
top=$(cd "$(dirname "$0")/.." && pwd)
shared="$top/../shared/data"
sigma="$shared/sigma"
out="$top/bench/out"
corpus="$top/bench/corpus"
runs=${BENCH_RUNS:-5}
mkdir -p "$out"
# hunt writes its skipped-rules report and rule cache under $XDG_CACHE_HOME:
# keep both out of the user's home and /tmp
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/kz-bench-hunt.XXXXXX")
XDG_CACHE_HOME=$TMPDIR
export TMPDIR XDG_CACHE_HOME
mkdir -p "$TMPDIR/rules-db"
trap 'rm -rf "$TMPDIR"' EXIT
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make test-deps)" >&2; exit 2; }
done
if [ ! -d "$shared/evtx" ] || [ ! -d "$sigma/rules/windows" ]; then
  echo "bench: ../shared/data (evtx/, sigma/) is absent; nothing to measure" >&2
  exit 2
fi
rules=(-r "$sigma/rules/windows" -r "$sigma/rules-threat-hunting/windows"
       -r "$sigma/rules-emerging-threats")
rule_dirs=("$sigma/rules/windows" "$sigma/rules-threat-hunting/windows"
           "$sigma/rules-emerging-threats")
# stdout: hyperfine discards it. --no-rule-cache: every run compiles the rules
# (the cost a first run pays); the cached load is timed separately.
# --no-analytics: Sigma matching against reading; bench/analytics.sh times the analytics.
hunt=("$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules --no-analytics --no-rule-cache)
cached=("$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules --no-analytics --rule-cache "$TMPDIR/rules-db")

py=/usr/bin/python3
stats() { # stats FILE... -> "used_bytes file_bytes" (reads chunk headers, as run.sh)
  "$py" - "$@" <<'EOF'
import struct, sys
used = size = 0
for p in sys.argv[1:]:
    with open(p, 'rb') as f:
        d = f.read()
    size += len(d)
    for off in range(4096, len(d) - 511, 65536):
        c = d[off:off + 512]
        if c[:8] != b'ElfChnk\x00':
            continue
        used += min(struct.unpack_from('<I', c, 48)[0], 65536)
print(used, size)
EOF
}
count_kz() { { "$kz" dump -q --no-dedup -o - "$@" 2>/dev/null || true; } | wc -l; }
peak_rss() { # peak_rss NAME CMD... -> MiB
  /usr/bin/time -v -o "$out/hunt-time-$1.txt" "${@:2}" >/dev/null 2>&1 || true
  awk -F: '/Maximum resident/{gsub(/ /,"",$2); printf "%d", $2 / 1024}' "$out/hunt-time-$1.txt"
}
q() { local a=("$@"); echo "${a[*]@Q}"; }  # one command line for hyperfine -N

if [ ! -f "$corpus/MANIFEST.json" ]; then
  echo "== corpus A: building ==" >&2
  [ -f "$out/shared.jsonl" ] || { "$kz" dump -q "$shared/evtx" > "$out/shared.jsonl" 2>/dev/null || true; }
  "$py" "$top/tests/tools/make_bench_corpus.py" "$corpus" --input "$out/shared.jsonl" -q
fi
# Corpus M: the shared samples' events (attack simulations: Security, System,
# Sysmon, PowerShell...) written again by the EVTX writer, 512 MiB; a mix closer
# to real logs than A, whose events are all SigmaHQ regression positives.
mixed="$top/bench/corpus-mixed"
if [ ! -f "$mixed/MANIFEST.json" ]; then
  echo "== corpus M: building ==" >&2
  [ -f "$out/shared.jsonl" ] || { "$kz" dump -q "$shared/evtx" > "$out/shared.jsonl" 2>/dev/null || true; }
  "$py" "$top/tests/tools/make_bench_corpus.py" "$mixed" --input "$out/shared.jsonl" --size 512M -q
fi
mapfile -t A < <(find "$corpus" -name '*.evtx' | sort)
mapfile -t M < <(find "$mixed" -name '*.evtx' | sort)
mapfile -t S < <(find "$shared/evtx" -name '*.evtx' | LC_ALL=C sort)
empty="$out/empty.jsonl"
: > "$empty"

{
echo "# kizuki hunt benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem/{print $2}') GiB"
echo "- kizuki: $("$kz" --version | head -1)"
echo "- rules: $("$kz" rules check --no-rule-cache "${rule_dirs[@]}" 2>&1 | tail -1)"
echo
echo "## rule loading (no events)"
echo
hyperfine -N -i --output null -w 1 -r "$runs" --export-json "$out/hunt-load.json" \
  -n "rules check (load, compile, verdicts)" "$(q "$kz" rules check --no-rule-cache "${rule_dirs[@]}")" \
  -n "hunt on an empty input (load+compile)" "$(q "${hunt[@]}" "${rules[@]}" "$empty")" \
  -n "hunt on an empty input (load, compiled rules from the cache)" \
     "$(q "${cached[@]}" "${rules[@]}" "$empty")" \
  >/dev/null 2>&1
"$py" - "$out/hunt-load.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print('| step | mean s | ± |')
print('|---|---|---|')
for r in d['results']:
    print('| %s | %.3f | %.3f |' % (r['command'], r['mean'], r['stddev']))
EOF
rss=$(peak_rss load "${hunt[@]}" "${rules[@]}" "$empty")
hcpu() { # hcpu JSON INDEX -> mean user+sys seconds of hyperfine result INDEX
  "$py" -c 'import json,sys; r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.3f" % (r["user"] + r["system"]))' "$@"
}
cpu=$(hcpu "$out/hunt-load.json" 1)
ccpu=$(hcpu "$out/hunt-load.json" 2)
load=$("$py" -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][1]["min"])' \
       "$out/hunt-load.json")
echo
echo "load+compile: min $load s wall, CPU time $cpu s (user+sys, mean; more than the wall time"
echo "when compilation uses several threads), peak RSS $rss MiB; cached load CPU $ccpu s"
echo
for name in A M S; do
  case $name in
    A) files=("${A[@]}") ;;
    M) files=("${M[@]}") ;;
    S) files=("${S[@]}") ;;
  esac
  read -r used size < <(stats "${files[@]}")
  recs=$(count_kz "${files[@]}")
  dets=$({ "$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules --no-analytics "${rules[@]}" \
           "${files[@]}" 2>/dev/null || true; } | wc -l)
  echo "## corpus $name: ${#files[@]} files, $recs events, $((used / 1048576)) MiB used of $((size / 1048576)) MiB; $dets detections"
  echo
  hyperfine -N -i --output null -w 1 -r "$runs" --export-json "$out/hunt-$name.json" \
    -n "no rules" "$(q "${hunt[@]}" "${files[@]}")" \
    -n "all rules" "$(q "${hunt[@]}" "${rules[@]}" "${files[@]}")" \
    -n "all rules, cached" "$(q "${cached[@]}" "${rules[@]}" "${files[@]}")" >/dev/null 2>&1
  r0=$(peak_rss "$name-none" "${hunt[@]}" "${files[@]}")
  r1=$(peak_rss "$name-all" "${hunt[@]}" "${rules[@]}" "${files[@]}")
  r2=$(peak_rss "$name-cached" "${cached[@]}" "${rules[@]}" "${files[@]}")
  "$py" - "$out/hunt-$name.json" "$recs" "$used" "$r0" "$r1" "$r2" "$load" "$cpu" "$ccpu" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); recs = int(sys.argv[2]); used = int(sys.argv[3])
rss = sys.argv[4:7]; cpus = [r['user'] + r['system'] for r in d['results']]
load, load_cpu, cached_cpu = float(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9])
print('| hunt -j 1 | mean s | ± | min s | events/s | MB/s (used) | CPU s | peak RSS MiB |')
print('|---|---|---|---|---|---|---|---|')
for r, m, c in zip(d['results'], rss, cpus):
    t = r['mean']
    print('| %s | %.3f | %.3f | %.3f | %s | %.0f | %.2f | %s |' % (r['command'], t, r['stddev'],
          r['min'], format(int(recs / t), ','), used / t / 1e6, c, m))
# matching alone: CPU time of the all-rules run minus that of load+compile (robust on a
# shared machine, and compilation may use several threads), and wall min minus wall min
mc = cpus[1] - load_cpu
mw = d['results'][1]['min'] - load
print()
if mc > 0:
    print('matching alone (CPU of all rules - CPU of load+compile = %.2f s): %s events/s, '
          '%.0f MB/s per core; %.0f %% of the no-rules throughput (CPU %.2f s)'
          % (mc, format(int(recs / mc), ','), used / mc / 1e6, 100 * cpus[0] / mc, cpus[0]))
mk = cpus[2] - cached_cpu
if mk > 0:
    print('matching alone, cached runs (CPU of all rules cached - CPU of the cached load = %.2f s): '
          '%.0f MB/s per core; %.0f %% of the no-rules throughput'
          % (mk, used / mk / 1e6, 100 * cpus[0] / mk))
if mw > 0:
    print('matching alone by wall time (min all rules - min load+compile = %.2f s): %.0f MB/s'
          % (mw, used / mw / 1e6))
print('all rules / no rules throughput end to end (mean): %.0f %%'
      % (100 * d['results'][0]['mean'] / d['results'][1]['mean']))
EOF
  echo
done
} | tee "$out/hunt-results.md"
echo "results in $out/hunt-results.md" >&2
