#!/bin/sh
# demo.sh KIZUKI - the second half of `make demo`: hunts each breach of examples/scenarios/
# (README.md) with kizuki's default rules and analytics, and prints per scenario the count of
# detections by level, the top rules and the first alerts at medium or above. Needs only
# kizuki and POSIX tools. Exit status: kizuki's, if any hunt failed; 0 otherwise.
set -u
kz=${1:-build/kizuki}
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../.." && pwd)/build/demo
mkdir -p "$out"
status=0
for s in mitsubishi nec toshiba mksystem oki; do
    case $s in
    mitsubishi) what="Mitsubishi Electric 2019: AV console exploit, update push, renamed PowerShell, cloud C2, log clearing" ;;
    nec) what="NEC 2016-18: subsidiary logon, service/task/Run-key persistence, beacon, bulk share read, log clearing" ;;
    toshiba) what="Toshiba 2018: vendor host explicit credentials, mailbox export, replication copy" ;;
    mksystem) what="MK System 2023: external RDP, new domain admin, AnyDesk, mimikatz, Cobalt Strike-like service, ransomware fan-out" ;;
    oki) what="OKI 2021: subsidiary logon, network scan, bulk read of four shares" ;;
    esac
    dir="$here/$s/evtx"
    [ -d "$dir" ] || { echo "demo: $dir missing (run examples/scenarios/generate.sh)"; status=1; continue; }
    echo
    echo "== kizuki hunt examples/scenarios/$s/evtx   ($what)"
    rc=0
    "$kz" hunt -f csv -o "$out/$s.csv" "$dir" 2> "$out/$s.log" || rc=$?
    sed -n 's/^kizuki: \([0-9][0-9]* detections\)/   \1/p; s/^kizuki: \(top rules:\)/   \1/p' "$out/$s.log" | cut -c 1-160
    "$kz" hunt -q -f table --min-level medium "$dir" 2>/dev/null | head -n 11 | cut -c 1-160
    [ "$rc" -eq 0 ] || { echo "   (hunt exit status $rc, see $out/$s.log)"; status=$rc; }
done
echo
echo "timelines written to $out/<scenario>.csv; ground truth in examples/scenarios/<scenario>/truth.json"
exit "$status"
