#!/usr/bin/env bash
# demo.sh KIZUKI - runs kizuki's main job on the bundled samples in examples/:
# `kizuki hunt` with kizuki's own rule pack over an invented intrusion stored
# as EVTX, five JSON shapes, gzip and zip (the same events in every shape:
# duplicates are dropped and counted), then `kizuki rules check` on the pack.
set -euo pipefail
kz=${1:-build/kizuki}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/demo"
mkdir -p "$out"
echo "== kizuki rules check rules/   (kizuki's own Sigma rule pack)"
"$kz" rules check "$top/rules" 2>/dev/null | tail -n 1
echo
echo "== kizuki hunt examples/{evtx,json,archive}   (EVTX, five JSON shapes, gzip and zip)"
status=0
samples=("$top/examples/evtx" "$top/examples/json" "$top/examples/archive")
"$kz" hunt -f csv -o "$out/timeline.csv" "${samples[@]}" || status=$?
echo
echo "== the timeline ($(($(wc -l < "$out/timeline.csv") - 1)) detections), as a table:"
"$kz" hunt -q -f table "${samples[@]}" | cut -c 1-160 || true
echo
echo "timeline written to $out/timeline.csv (exit status $status)"
echo "next: kizuki hunt -r <SigmaHQ>/rules/windows YOUR_LOGS/   (see README.md)"
# Exit 1 only means some input was reported as unreadable; the demo has none.
exit "$status"
