#!/usr/bin/env bash
# bench/investigate.sh KIZUKI - what `kizuki investigate` costs against
# `kizuki hunt` on the same files (issue 5: investigate stays within hunt's
# memory bound plus the stated table bounds), and the impact scope under
# load. Results: bench/out/investigate-results.md, pasted into
# bench/README.md ("Investigate"). Not a test.
#
# 1. Corpus A (bench/corpus, 1 GiB by the EVTX writer) and M (CORPORA="A M")
#    (bench/corpus-mixed, 512 MiB): kizuki's pack (default rules), one
#    thread, warm rule cache. hyperfine (BENCH_RUNS, default 3):
#      hunt         hunt -q -j 1 -f jsonl -o /dev/null
#      investigate  investigate -q -j 1 -o DIR
#    and one /usr/bin/time -v run of each for the peak RSS.
# 2. Impact stress: the OKI breach (make_scenario.py, seed 1) plus a JSON
#    Lines file of STRESS_FILES (default 2,000,000) 5145 reads of distinct
#    files by the attacker account from the foothold's address, inside the
#    incident: investigate with and without it (time, peak RSS, objects in
#    impact_files.csv). The objects go through the external sorter
#    (32 MiB in memory), so the peak RSS must not grow with them.
set -euo pipefail
kz=$(readlink -f "${1:-build/kizuki}")
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/bench/out"
runs=${BENCH_RUNS:-3}
nstress=${STRESS_FILES:-2000000}
mkdir -p "$out"
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/kz-bench-inv.XXXXXX")
XDG_CACHE_HOME=$TMPDIR
export TMPDIR XDG_CACHE_HOME
trap 'rm -rf "$TMPDIR"' EXIT
for tool in hyperfine /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make test-deps)" >&2; exit 2; }
done
res="$out/investigate-results.md"
{
  echo "# investigate against hunt"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "- kizuki: $("$kz" --version 2>&1 | head -1); runs: $runs"
  echo
} >"$res"

# peak RSS (MB) and elapsed (s) of one run: rss CMD...
rss() {
  /usr/bin/time -v "$@" 2>"$TMPDIR/time.txt" >/dev/null || true
  awk -F: '/Maximum resident/ {rss=$2/1024} /Elapsed/ {e=$NF} END {printf "%.0f MB, %s", rss, e}' \
    "$TMPDIR/time.txt"
}

for c in ${CORPORA-A M}; do
  dir="$top/bench/corpus"
  [ "$c" = M ] && dir="$top/bench/corpus-mixed"
  if [ ! -f "$dir/MANIFEST.json" ]; then
    echo "bench: corpus $c missing ($dir): run bench/run.sh or bench/hunt.sh first" >&2
    continue
  fi
  mapfile -t F < <(find "$dir/" -name '*.evtx' | sort)
  mb=$(du -cm "${F[@]}" | tail -1 | cut -f1)
  # warm the rule cache once
  "$kz" hunt -q -j 1 -f jsonl -o /dev/null "${F[0]}" >/dev/null 2>&1 || true
  hyperfine -N -r "$runs" --export-json "$out/investigate-$c.json" \
    -n hunt "$kz hunt -q -j 1 -f jsonl -o /dev/null ${F[*]}" \
    -n investigate "$kz investigate -q -j 1 -o $TMPDIR/inv-$c ${F[*]}" >/dev/null
  th=$(python3 -c "import json,sys;r=json.load(open(sys.argv[1]))['results'];print('%.2f ± %.2f s' % (r[0]['mean'], r[0]['stddev']))" "$out/investigate-$c.json")
  ti=$(python3 -c "import json,sys;r=json.load(open(sys.argv[1]))['results'];print('%.2f ± %.2f s' % (r[1]['mean'], r[1]['stddev']))" "$out/investigate-$c.json")
  rh=$(rss "$kz" hunt -q -j 1 -f jsonl -o /dev/null "${F[@]}")
  ri=$(rss "$kz" investigate -q -j 1 -o "$TMPDIR/inv-$c" "${F[@]}")
  objs=$(python3 -c "import json,sys;r=json.load(open(sys.argv[1]));print(r['impact_scope'].get('objects'), len(r['timeline']['items']))" "$TMPDIR/inv-$c/report.json")
  {
    echo "## corpus $c (${#F[@]} files, $mb MB)"
    echo
    echo "| run | mean time | peak RSS, elapsed (one run) |"
    echo "|---|---|---|"
    echo "| hunt | $th | $rh |"
    echo "| investigate | $ti | $ri |"
    echo
    echo "impact objects, timeline rows: $objs"
    echo
  } >>"$res"
done

# ---- impact stress ----------------------------------------------------
gen="$TMPDIR/oki"
python3 "$top/tests/tools/make_scenario.py" --scenario oki --seed 1 "$gen" >/dev/null
ev="$gen/oki/evtx"
"$kz" dump -q -o "$TMPDIR/fs.jsonl" "$ev" >/dev/null 2>&1 || true
python3 "$top/tests/tools/make_share_reads.py" "$TMPDIR/fs.jsonl" "$TMPDIR/stress.jsonl" "$nstress"
base=$(rss "$kz" investigate -q -j 1 -o "$TMPDIR/inv-oki" "$ev")
stress=$(rss "$kz" investigate -q -j 1 -o "$TMPDIR/inv-stress" "$ev" "$TMPDIR/stress.jsonl")
objs=$(python3 -c "import json,sys;r=json.load(open(sys.argv[1]));print(r['impact_scope'].get('objects'))" "$TMPDIR/inv-stress/report.json")
rows=$(($(wc -l <"$TMPDIR/inv-stress/impact_files.csv") - 1))
{
  echo "## impact stress (OKI seed 1 + $nstress share reads)"
  echo
  echo "| run | peak RSS, elapsed |"
  echo "|---|---|"
  echo "| OKI alone | $base |"
  echo "| OKI + stress | $stress |"
  echo
  echo "impact objects: $objs; rows of impact_files.csv: $rows"
} >>"$res"
cat "$res"
