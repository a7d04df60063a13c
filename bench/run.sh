#!/usr/bin/env bash
# bench/run.sh KIZUKI - speed and memory of the readers, side by side with
# the reference parsers, in one run. Results: bench/out/results.md (pasted
# into bench/README.md with the machine and date). Not a test: nothing here
# runs under ctest.
#
# Corpora:
#   A  bench/corpus/*.evtx, >= 1 GiB, built by tests/tools/make_bench_corpus.py
#      from `kizuki dump` of every shared EVTX (copies with rewritten Computer
#      and EventRecordID, so it is not one block of records repeated)
#   B  the shared EVTX files that both evtxexport and python-evtx read whole
#      (no entry in tests/conformance/expected-disagreements.tsv)
#   C  the python-evtx subset (tests/conformance/pyevtx-subset.txt, <= 20 MB)
# Figures: records/s and MB/s of *used* chunk bytes (the chunks' free-space
# offsets, not file bytes, which preallocated chunks inflate); output to
# /dev/null; kizuki with -j 1 and -j 2; peak RSS from /usr/bin/time -v.
set -euo pipefail
kz=$(readlink -f "${1:-build/kizuki}")
top=$(cd "$(dirname "$0")/.." && pwd)
shared="$top/../shared/data"
out="$top/bench/out"
corpus="$top/bench/corpus"
runs=${BENCH_RUNS:-5}
mkdir -p "$out"
for tool in hyperfine evtxexport /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make test-deps)" >&2; exit 2; }
done
if [ ! -d "$shared/evtx" ]; then
  echo "bench: ../shared/data is absent; nothing to measure" >&2
  exit 2
fi

py=/usr/bin/python3
stats() { # stats FILE... -> "records used_bytes file_bytes" (reads chunk headers)
  "$py" - "$@" <<'EOF'
import struct, sys
recs = used = size = 0
for p in sys.argv[1:]:
    with open(p, 'rb') as f:
        d = f.read()
    size += len(d)
    for off in range(4096, len(d) - 511, 65536):
        c = d[off:off + 512]
        if c[:8] != b'ElfChnk\x00':
            continue
        free = struct.unpack_from('<I', c, 48)[0]
        used += min(free, 65536)
print(recs, used, size)
EOF
}
count_kz() { { "$kz" dump -q --no-dedup -o - "$@" 2>/dev/null || true; } | wc -l; }

echo "== corpus A: building (first run only) ==" >&2
if [ ! -f "$out/shared.jsonl" ]; then
  "$kz" dump -q "$shared/evtx" > "$out/shared.jsonl" 2>/dev/null || true
fi
"$py" "$top/tests/tools/make_bench_corpus.py" "$corpus" --input "$out/shared.jsonl" -q
mapfile -t A < <(find "$corpus" -name '*.evtx' | sort)

echo "== corpus B and C: file lists ==" >&2
"$py" - "$shared" "$top/tests/conformance/expected-disagreements.tsv" > "$out/corpus-b.txt" <<'EOF'
import os, sys
shared, manifest = sys.argv[1], sys.argv[2]
bad = set()
if os.path.exists(manifest):
    for line in open(manifest, encoding='utf-8'):
        if line.startswith('#') or not line.strip():
            continue
        bad.add(line.split('\t')[0])
for root, dirs, files in os.walk(os.path.join(shared, 'evtx')):
    dirs.sort()
    for f in sorted(files):
        if f.endswith('.evtx'):
            p = os.path.join(root, f)
            rel = os.path.relpath(p, shared)
            if rel not in bad and os.path.relpath(p, os.path.join(shared, 'evtx')) not in bad \
                    and f not in bad:
                print(p)
EOF
mapfile -t B < "$out/corpus-b.txt"
C=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  f=${line%%$'\t'*}
  [ -f "$shared/$f" ] && C+=("$shared/$f") || { [ -f "$f" ] && C+=("$f"); }
done < "$top/tests/conformance/pyevtx-subset.txt"

# One file with all of B, for tools that take one file at a time.
list_b="$out/corpus-b.txt"

{
echo "# kizuki reader benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem/{print $2}') GiB"
echo "- kizuki: $("$kz" --version | head -1)"
echo "- evtxexport: $(evtxexport -V 2>&1 | head -1)"
echo
for name in A B C; do
  case $name in
    A) files=("${A[@]}") ;;
    B) files=("${B[@]}") ;;
    C) files=("${C[@]}") ;;
  esac
  read -r _ used size < <(stats "${files[@]}")
  recs=$(count_kz "${files[@]}")
  echo "## corpus $name: ${#files[@]} files, $recs records, $((used / 1048576)) MiB used of $((size / 1048576)) MiB"
  echo
  hyperfine -N -i -w 1 -r "$runs" --export-json "$out/$name-kz.json" \
    -n "kizuki -j1" "$kz dump -q --no-dedup -j 1 -o /dev/null ${files[*]@Q}" \
    -n "kizuki -j2" "$kz dump -q --no-dedup -j 2 -o /dev/null ${files[*]@Q}" >/dev/null 2>&1 ||
    hyperfine -i -w 1 -r "$runs" --export-json "$out/$name-kz.json" \
      -n "kizuki -j1" "$kz dump -q --no-dedup -j 1 -o /dev/null ${files[*]@Q}" \
      -n "kizuki -j2" "$kz dump -q --no-dedup -j 2 -o /dev/null ${files[*]@Q}" >/dev/null
  "$py" - "$out/$name-kz.json" "$recs" "$used" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); recs = int(sys.argv[2]); used = int(sys.argv[3])
print('| tool | mean s | ± | records/s | MB/s (used) |')
print('|---|---|---|---|---|')
for r in d['results']:
    m = r['mean']
    print('| %s | %.3f | %.3f | %s | %.0f |' % (r['command'], m, r['stddev'],
          format(int(recs / m), ','), used / m / 1e6))
EOF
  /usr/bin/time -v -o "$out/time-$name.txt" "$kz" dump -q --no-dedup -j 2 -o /dev/null \
    "${files[@]}" 2>/dev/null || true
  rss=$(awk -F: '/Maximum resident/{gsub(/ /,"",$2); print $2}' "$out/time-$name.txt")
  echo
  echo "peak RSS kizuki -j2: $((rss / 1024)) MiB"
  echo
  # Reference parsers on the same files: evtxexport on B and C (and on one
  # 128 MiB file of A: a whole GiB would take minutes), python-evtx on C.
  case $name in
    A) ref=("${A[0]}") ;;
    *) ref=("${files[@]}") ;;
  esac
  read -r _ rused _ < <(stats "${ref[@]}")
  rrecs=$(count_kz "${ref[@]}")
  t0=$(date +%s.%N)
  for f in "${ref[@]}"; do evtxexport -f xml "$f" >/dev/null 2>&1 || true; done
  t1=$(date +%s.%N)
  tk0=$(date +%s.%N); "$kz" dump -q --no-dedup -j 1 -o /dev/null "${ref[@]}" 2>/dev/null || true; tk1=$(date +%s.%N)
  "$py" - "$t0" "$t1" "$tk0" "$tk1" "$rrecs" "$rused" "${#ref[@]}" "evtxexport -f xml" <<'EOF'
import sys
t0, t1, k0, k1 = map(float, sys.argv[1:5]); recs = int(sys.argv[5]); used = int(sys.argv[6])
ref = t1 - t0; kz = k1 - k0
print('same %s files, %s records: %s %.2f s (%s records/s, %.1f MB/s); kizuki -j1 %.3f s; '
      'kizuki is %.0fx faster' % (sys.argv[7], format(recs, ','), sys.argv[8], ref,
      format(int(recs / ref), ','), used / ref / 1e6, kz, ref / kz))
EOF
  echo
  if [ "$name" = C ]; then
    t0=$(date +%s.%N)
    for f in "${files[@]}"; do
      "$py" -c 'import sys, Evtx.Evtx as E
with E.Evtx(sys.argv[1]) as l:
    for r in l.records():
        try: r.xml()
        except Exception: pass' "$f" >/dev/null 2>&1 || true
    done
    t1=$(date +%s.%N)
    "$py" - "$t0" "$t1" "$recs" "$used" "${#files[@]}" "python-evtx (record.xml())" <<'EOF'
import sys
t0, t1 = map(float, sys.argv[1:3]); recs = int(sys.argv[3]); used = int(sys.argv[4])
ref = t1 - t0
print('same %s files: %s %.1f s (%s records/s, %.2f MB/s)' % (sys.argv[5], sys.argv[6], ref,
      format(int(recs / ref), ','), used / ref / 1e6))
EOF
    echo
  fi
done
} | tee "$out/results.md"
echo "results in $out/results.md" >&2
