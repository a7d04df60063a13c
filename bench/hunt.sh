#!/usr/bin/env bash
# bench/hunt.sh KIZUKI - speed and memory of `kizuki hunt`: every event read
# with no rules vs every event matched against all SigmaHQ Windows rules, in
# one run, on one thread (-j 1). Results: bench/out/hunt-results.md (pasted
# into bench/README.md, "Hunt", with the machine and date). Not a test.
#
# Corpora:
#   A  bench/corpus/*.evtx, 1 GiB written by the EVTX writer (built as in
#      bench/run.sh when absent)
#   S  every .evtx under ../shared/data/evtx (337 files)
# Rules: ../shared/data/sigma/rules/windows, rules-threat-hunting/windows and
# rules-emerging-threats (what tests/conformance/sigma_golden.py loads).
# Timed (hyperfine, warm cache, mean of BENCH_RUNS, output -f jsonl to
# /dev/null, -q, --no-dedup, -j 1):
#   no rules    kizuki hunt --no-default-rules FILES       (reads every event)
#   all rules   kizuki hunt --no-default-rules -r RULES... FILES
#   load        kizuki rules check RULES...                (parse + map)
#   load+compile kizuki hunt --no-default-rules -r RULES... EMPTY (no events)
# Figures: MB/s of used chunk bytes (as bench/run.sh), events/s, ratio
# all-rules/no-rules throughput, peak RSS (/usr/bin/time -v) of both runs.
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
# hunt writes its skipped-rules report to $TMPDIR: keep those out of /tmp
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/kz-bench-hunt.XXXXXX")
export TMPDIR
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
hunt=("$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules)  # stdout: hyperfine discards it

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
mapfile -t A < <(find "$corpus" -name '*.evtx' | sort)
mapfile -t S < <(find "$shared/evtx" -name '*.evtx' | LC_ALL=C sort)
empty="$out/empty.jsonl"
: > "$empty"

{
echo "# kizuki hunt benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/Mem/{print $2}') GiB"
echo "- kizuki: $("$kz" --version | head -1)"
echo "- rules: $("$kz" rules check "${rule_dirs[@]}" 2>&1 | tail -1)"
echo
echo "## rule loading (no events)"
echo
hyperfine -N -i --output null -w 1 -r "$runs" --export-json "$out/hunt-load.json" \
  -n "rules check (load)" "$(q "$kz" rules check "${rule_dirs[@]}")" \
  -n "hunt on an empty input (load+compile)" "$(q "${hunt[@]}" "${rules[@]}" "$empty")" \
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
cpu=$(awk -F: '/User time|System time/{s += $2} END{printf "%.1f", s}' "$out/hunt-time-load.txt")
load=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][1]["mean"])' \
       "$out/hunt-load.json")
echo
echo "load+compile: peak RSS $rss MiB, CPU time $cpu s (user+sys; more than the wall time when"
echo "compilation uses several threads)"
echo
for name in A S; do
  case $name in
    A) files=("${A[@]}") ;;
    S) files=("${S[@]}") ;;
  esac
  read -r used size < <(stats "${files[@]}")
  recs=$(count_kz "${files[@]}")
  dets=$({ "$kz" hunt -q -f jsonl --no-dedup -j 1 --no-default-rules "${rules[@]}" \
           "${files[@]}" 2>/dev/null || true; } | wc -l)
  echo "## corpus $name: ${#files[@]} files, $recs events, $((used / 1048576)) MiB used of $((size / 1048576)) MiB; $dets detections"
  echo
  hyperfine -N -i --output null -w 1 -r "$runs" --export-json "$out/hunt-$name.json" \
    -n "no rules" "$(q "${hunt[@]}" "${files[@]}")" \
    -n "all rules" "$(q "${hunt[@]}" "${rules[@]}" "${files[@]}")" >/dev/null 2>&1
  r0=$(peak_rss "$name-none" "${hunt[@]}" "${files[@]}")
  r1=$(peak_rss "$name-all" "${hunt[@]}" "${rules[@]}" "${files[@]}")
  "$py" - "$out/hunt-$name.json" "$recs" "$used" "$r0" "$r1" "$load" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); recs = int(sys.argv[2]); used = int(sys.argv[3])
rss = sys.argv[4:6]; load = float(sys.argv[6])
print('| hunt -j 1 | mean s | ± | events/s | MB/s (used) | peak RSS MiB |')
print('|---|---|---|---|---|---|')
for r, m in zip(d['results'], rss):
    t = r['mean']
    print('| %s | %.3f | %.3f | %s | %.0f | %s |' % (r['command'], t, r['stddev'],
          format(int(recs / t), ','), used / t / 1e6, m))
t0, t1 = d['results'][0]['mean'], d['results'][1]['mean']
m = t1 - load
if m > 0:
    print('| all rules minus load+compile (%.3f s) | %.3f | | %s | %.0f | |' % (
          load, m, format(int(recs / m), ','), used / m / 1e6))
print()
print('all rules / no rules throughput: %.0f %% end to end%s' % (100 * t0 / t1,
      ', %.0f %% without load+compile' % (100 * t0 / m) if m > 0 else ''))
EOF
  echo
done
} | tee "$out/hunt-results.md"
echo "results in $out/hunt-results.md" >&2
