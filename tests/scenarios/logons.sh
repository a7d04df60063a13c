#!/bin/sh
# logons.sh - end-to-end tests of `kizuki logons`.
#
# Usage: logons.sh CASE KIZUKI SRCDIR
# Each case_<name>() is one ctest entry (scenario.logons.<name>; see
# CMakeLists.txt). Inputs: examples/evtx/ and examples/scenarios/mksystem/
# evtx/ (the seeded MK System breach: an external RDP logon of a stolen
# account to the RemoteApp server, then a new domain admin's logons to the
# servers). Golden outputs: tests/scenarios/expected/logons.*; regenerate
# them with `logons.sh regen KIZUKI SRCDIR` after a deliberate change of
# the output, and review the diff.
set -eu

CASE=$1
KIZUKI=$2
SRC=$3
EXPECTED=$SRC/tests/scenarios/expected
INPUTS="examples/evtx examples/scenarios/mksystem/evtx"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kz_logons.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$SRC"

fail() {
    echo "FAIL ($CASE): $*" >&2
    exit 1
}

# logons ARGS...: stdout to $WORK/out, stderr to $WORK/err, status in $rc.
logons() {
    set +e
    "$KIZUKI" logons "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -e
}

expect_rc() {
    [ "$rc" -eq "$1" ] ||
        fail "exit status $rc, want $1 ($2); stderr: $(cat "$WORK/err")"
}

same() {
    cmp -s "$1" "$2" || {
        diff "$1" "$2" | head -20 >&2
        fail "$1 and $2 differ"
    }
}

has() {             # has FILE PATTERN WHAT
    grep -q -- "$2" "$1" || fail "$3: '$2' not in $1"
}

# The golden files: the CSV summary and both graph exports, -j2.
golden_run() {
    # shellcheck disable=SC2086
    logons -q -j2 -f csv --graph-json "$WORK/graph.json" \
        --graphml "$WORK/graph.graphml" $INPUTS
    expect_rc 0 "logons"
    mv "$WORK/out" "$WORK/logons.csv"
}

case_regen() {
    golden_run
    cp "$WORK/logons.csv" "$EXPECTED/logons.csv"
    cp "$WORK/graph.json" "$EXPECTED/logons.graph.json"
    cp "$WORK/graph.graphml" "$EXPECTED/logons.graphml"
    echo "regenerated $EXPECTED/logons.*"
}

case_golden() {
    golden_run
    same "$EXPECTED/logons.csv" "$WORK/logons.csv"
    same "$EXPECTED/logons.graph.json" "$WORK/graph.json"
    same "$EXPECTED/logons.graphml" "$WORK/graph.graphml"
}

# The breach: the stolen account's external RDP logon to the RemoteApp
# server with its public source; the failures before it; the new admin's
# network logons from the foothold to every server.
case_mksystem() {
    # shellcheck disable=SC2086
    logons -q -f csv examples/scenarios/mksystem/evtx
    expect_rc 0 "logons mksystem"
    has "$WORK/out" \
        '^success,[0-9]*,TECHNO\\c.hasegawa,rapp-258,192.0.2.95,external,,10,' \
        "external RDP logon"
    has "$WORK/out" \
        '^failure,3,TECHNO\\c.hasegawa,rapp-258,192.0.2.95,external,,3,0xc000006a' \
        "failed logons"
    for h in dc92 sql71 hv95 vmh-410 nas-728 bak-075; do
        has "$WORK/out" \
            "^success,1,TECHNO\\\\adm_yamazaki,$h,10.162.101.173,internal,rapp-258,3," \
            "admin logon to $h"
    done
}

# Both exports parse (python3 json and xml.etree), and the graph holds the
# breach's path: 192.0.2.95 -> c.hasegawa -> rapp-258.
case_exports_parse() {
    command -v python3 >/dev/null 2>&1 || exit 77
    golden_run
    python3 -m json.tool "$WORK/graph.json" >/dev/null ||
        fail "graph.json does not parse"
    python3 - "$WORK/graph.json" "$WORK/graph.graphml" <<'PY' ||
import json, sys
import xml.etree.ElementTree as ET
g = json.load(open(sys.argv[1]))["elements"]
ids = {n["data"]["id"] for n in g["nodes"]}
edges = [e["data"] for e in g["edges"]]
assert all(e["source"] in ids and e["target"] in ids for e in edges)
assert any(e["kind"] == "from" and e["source"] == "addr:192.0.2.95"
           and e["target"] == "account:techno\\c.hasegawa" for e in edges)
assert any(e["kind"] == "logon" and e["source"] == "account:techno\\c.hasegawa"
           and e["target"] == "host:rapp-258" and e["logon_type"] == 10
           and e["via"] == "addr:192.0.2.95" for e in edges)
adm = [n["data"] for n in g["nodes"]
       if n["data"]["id"] == "account:techno\\adm_yamazaki"][0]
assert adm["admin"] is True
ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
root = ET.parse(sys.argv[2]).getroot()
assert len(root.findall(".//g:node", ns)) == len(g["nodes"])
assert len(root.findall(".//g:edge", ns)) == len(edges)
PY
        fail "graph contents"
}

# -j1 and -j2 write the same bytes.
case_threads() {
    # shellcheck disable=SC2086
    logons -q -j1 -f csv --graph-json "$WORK/g1.json" --graphml "$WORK/g1.xml" \
        $INPUTS
    expect_rc 0 "-j1"
    mv "$WORK/out" "$WORK/j1.csv"
    # shellcheck disable=SC2086
    logons -q -j2 -f csv --graph-json "$WORK/g2.json" --graphml "$WORK/g2.xml" \
        $INPUTS
    expect_rc 0 "-j2"
    same "$WORK/j1.csv" "$WORK/out"
    same "$WORK/g1.json" "$WORK/g2.json"
    same "$WORK/g1.xml" "$WORK/g2.xml"
}

# --failed-only / --success-only, and the table.
case_filters() {
    # shellcheck disable=SC2086
    logons -q -f csv --failed-only $INPUTS
    expect_rc 0 "--failed-only"
    [ "$(grep -c '^success' "$WORK/out" || true)" -eq 0 ] ||
        fail "--failed-only wrote successes"
    [ "$(grep -c '^failure' "$WORK/out")" -eq 3 ] || fail "failures"
    # shellcheck disable=SC2086
    logons -q -f csv --success-only $INPUTS
    [ "$(grep -c '^failure' "$WORK/out" || true)" -eq 0 ] ||
        fail "--success-only wrote failures"
    # shellcheck disable=SC2086
    logons -q -f table $INPUTS
    has "$WORK/out" '^Result  *Count  *Account' "table header"
    logons -q --failed-only --success-only examples/evtx
    expect_rc 2 "both filters"
}

# An account name with markup, a formula, quotes, a newline and ESC (JSON
# input): escaped in the CSV (formula guard, quoting), the table (\x1b),
# the JSON (\u001b) and the GraphML (entities, U+FFFD).
case_injection() {
    command -v python3 >/dev/null 2>&1 || exit 77
    python3 - "$WORK/evil.jsonl" <<'PY'
import json, sys
name = "=cmd|'/c calc'!A0<script>\"x\"\n\x1b[2J"
ev = {"Event": {"System": {"Channel": "Security", "EventID": 4624,
      "Computer": "WS1.corp.local", "EventRecordID": 1,
      "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00Z"}}},
      "EventData": {"TargetUserName": name, "TargetDomainName": "",
      "IpAddress": "=1+1", "WorkstationName": "<b>", "LogonType": 3,
      "AuthenticationPackageName": "NTLM\x1b]0;x\x07"}}}
open(sys.argv[1], "w").write(json.dumps(ev) + "\n")
PY
    logons -q -f csv --graph-json "$WORK/e.json" --graphml "$WORK/e.graphml" \
        "$WORK/evil.jsonl"
    expect_rc 0 "evil"
    has "$WORK/out" "\"'=cmd|'/c calc'!a0<script>\"\"x\"\"\\\\n\\\\x1[bB]\[2j\"," \
        "CSV guard, quotes, one line"
    has "$WORK/out" ",\"'=1+1\"," "CSV guard on the address"
    if LC_ALL=C grep -q "$(printf '\033')" "$WORK/out" "$WORK/e.json" \
        "$WORK/e.graphml"; then
        fail "raw ESC in an output"
    fi
    python3 -m json.tool "$WORK/e.json" >/dev/null || fail "JSON parse"
    python3 -c "import xml.etree.ElementTree as E, sys; E.parse(sys.argv[1])" \
        "$WORK/e.graphml" || fail "GraphML parse"
    has "$WORK/e.graphml" "&lt;script&gt;" "GraphML escape"
    has "$WORK/e.json" '\\u001b\[2j' "JSON escape"
    logons -q -f table "$WORK/evil.jsonl"
    has "$WORK/out" '\\x1[bB]\[2j' "table escape"
    if LC_ALL=C grep -q "$(printf '\033')" "$WORK/out"; then
        fail "raw ESC in the table"
    fi
}

"case_$CASE"
