#!/bin/sh
# cli.sh - end-to-end tests of the kizuki command line.
#
# Usage: cli.sh CASE KIZUKI SRCDIR
# Each case_<name>() below is one ctest entry (tests/scenarios/CMakeLists.txt
# reads the names from this file). A case fails by calling fail; exit 77
# means skipped (a tool the case needs is missing).
#
# Inputs are JSON fixtures (data/); gzip, zip and EVTX copies are made at
# run time so they always match (EVTX with tests/tools/evtx_writer.py,
# which is deterministic; the case_evtx_* cases skip without python3).
# An EVTX copy of events.jsonl must dump to the same golden file as the
# JSON itself: that is the cross-check of the two readers and the writer.
set -eu

CASE=$1
KIZUKI=$2
SRC=$3
DATA=$SRC/tests/scenarios/data
EXPECTED=$SRC/tests/scenarios/expected

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kz_scenario.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() {
    echo "FAIL ($CASE): $*" >&2
    exit 1
}

skip() {
    echo "SKIP ($CASE): $*" >&2
    exit 77
}

# run ARGS...: runs kizuki; stdout to out, stderr to err, status in $rc.
run() {
    set +e
    "$KIZUKI" "$@" >out 2>err
    rc=$?
    set -e
}

expect_rc() {
    [ "$rc" -eq "$1" ] ||
        fail "exit status $rc, want $1 (kizuki $2); stderr: $(cat err)"
}

expect_err() {
    grep -q -- "$1" err || fail "stderr lacks '$1': $(cat err)"
}

same() {
    cmp -s "$1" "$2" || {
        diff "$1" "$2" | head -20 >&2
        fail "$1 and $2 differ"
    }
}

make_zip() {        # make_zip OUT NAME=FILE...
    command -v python3 >/dev/null 2>&1 || skip "python3 needed to build a zip"
    python3 - "$@" <<'EOF'
import sys, zipfile
out = sys.argv[1]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for spec in sys.argv[2:]:
        name, path = spec.split("=", 1)
        z.write(path, name)
EOF
}

# --- help and usage ---------------------------------------------------------

case_help_exits_0() {
    run --help
    expect_rc 0 --help
    grep -q "Usage: kizuki COMMAND" out || fail "--help: no usage"
    grep -q "dump" out || fail "--help: no command list"
    run dump --help
    expect_rc 0 "dump --help"
    for opt in --threads --no-dedup --input-tz --max-json-record --output \
               "Exit status" "Examples"; do
        grep -q -- "$opt" out || fail "dump --help lacks $opt"
    done
    cp out dump_help
    run help dump
    expect_rc 0 "help dump"
    same out dump_help
    run --version
    expect_rc 0 --version
    grep -q "^kizuki [0-9]" out || fail "--version: $(cat out)"
}

case_usage_errors_exit_2() {
    for args in "" "frobnicate" "dump" "dump -j x f" "dump -j 99999 f" \
                "dump --bogus f" "dump --input-tz Mars f" \
                "dump --ansi-codepage 99999 f" "dump --config k.yml f" \
                "dump --max-json-record 1 f" "help frobnicate" "-x dump"; do
        # shellcheck disable=SC2086
        run $args
        expect_rc 2 "$args"
        [ -s out ] && fail "usage error wrote to stdout: $args"
    done
    run dump -o
    expect_rc 2 "dump -o"
    expect_err "needs a value"
}

# --- exit status 1 ----------------------------------------------------------

case_unsupported_file_exits_1() {
    printf 'just some text\n' >notes.txt
    cp "$DATA/events.jsonl" a.jsonl
    run dump -q notes.txt a.jsonl
    expect_rc 1 "dump notes.txt a.jsonl"
    expect_err "notes.txt: unsupported file"
    [ "$(wc -l <out)" -eq 6 ] || fail "events of a.jsonl missing"
}

case_missing_and_empty_exit_1() {
    : >empty
    run dump -q missing.json
    expect_rc 1 "dump missing.json"
    expect_err "missing.json: i/o error"
    run dump -q empty
    expect_rc 1 "dump empty"
    expect_err "empty: unsupported file: empty file"
}

case_symlink_in_directory_reported() {
    mkdir d
    cp "$DATA/events.jsonl" d/a.jsonl
    ln -s a.jsonl d/link.jsonl
    run dump d
    expect_rc 1 "dump d"
    expect_err "d/link.jsonl: unsupported file: symbolic link not followed"
    [ "$(wc -l <out)" -eq 6 ] || fail "followed the link?"
}

case_empty_directory_warns() {
    mkdir nothing
    run dump nothing
    expect_rc 0 "dump nothing"
    expect_err "no input files were found"
}

# --- output -----------------------------------------------------------------

case_dump_json_golden() {
    run dump "$DATA/events.jsonl"
    expect_rc 0 "dump events.jsonl"
    same out "$EXPECTED/events.dump.jsonl"
    expect_err "1 input read"
    expect_err "6 events"
}

case_dump_roundtrip_is_stable() {
    # dump's output is evtx_dump-shaped JSON: reading it again gives it back.
    run dump -q "$DATA/events.jsonl"
    mv out once.jsonl
    run dump -q once.jsonl
    expect_rc 0 "dump once.jsonl"
    same out once.jsonl
}

case_output_file() {
    run dump -q -o result.jsonl "$DATA/events.jsonl"
    expect_rc 0 "dump -o"
    [ -s out ] && fail "-o FILE also wrote to stdout"
    same result.jsonl "$EXPECTED/events.dump.jsonl"
    run dump -q -o /nonexistent/dir/x.jsonl "$DATA/events.jsonl"
    expect_rc 3 "dump -o unwritable"
}

case_threads_same_output() {
    mkdir in
    cp "$DATA/events.jsonl" in/b.jsonl
    cp "$DATA/more.jsonl" in/a.jsonl
    gzip -nc "$DATA/more.jsonl" >in/c.jsonl.gz
    i=0
    while [ $i -lt 30 ]; do            # many small inputs: many batches
        sed "s/\"EventRecordID\":20/\"EventRecordID\":$((i + 9))0/" \
            "$DATA/more.jsonl" >"in/m$i.jsonl"
        i=$((i + 1))
    done
    run dump -q --no-dedup -j 1 in
    mv out j1
    for j in 2 3 8; do
        run dump -q --no-dedup -j $j in
        expect_rc 0 "dump -j $j"
        same out j1
    done
    run dump -q -j 1 in
    mv out d1
    run dump -q -j 8 in
    same out d1
}

case_directory_byte_order() {
    mkdir in
    cp "$DATA/more.jsonl" in/b.jsonl
    cp "$DATA/events.jsonl" in/B.jsonl
    run dump -q in
    head -n 6 out >first6
    same first6 "$EXPECTED/events.dump.jsonl"    # "B" < "b" in bytes
}

case_input_tz_applied() {
    sed 's/"SystemTime":"\([^"]*\)Z"/"SystemTime":"\1"/' \
        "$DATA/events.jsonl" >notz.jsonl
    run dump --input-tz +09:00 notz.jsonl
    expect_rc 0 "dump --input-tz"
    grep -q '"SystemTime":"2023-04-30T16:12:03.1234560Z"' out ||
        fail "offset not applied: $(head -c 400 out)"
    expect_err "6 JSON times without an offset, read as +09:00"
    run dump -q notz.jsonl
    grep -q '"SystemTime":"2023-05-01T01:12:03.1234560Z"' out ||
        fail "default is not UTC"
}

# --- duplicates -------------------------------------------------------------

case_dedup_same_file_twice() {
    cp "$DATA/events.jsonl" a.jsonl
    cp "$DATA/events.jsonl" copy.jsonl
    run dump a.jsonl copy.jsonl
    expect_rc 0 "dump a copy"
    same out "$EXPECTED/events.dump.jsonl"
    expect_err "6 duplicates dropped"
    run dump -q --no-dedup a.jsonl copy.jsonl
    [ "$(wc -l <out)" -eq 12 ] || fail "--no-dedup: $(wc -l <out) lines"
}

# --- archives and stdin -----------------------------------------------------

case_archives_same_as_plain() {
    cp "$DATA/events.jsonl" plain.jsonl
    gzip -nc plain.jsonl >e.gz
    cat e.gz e.gz >twice.gz                 # two gzip members
    mkdir -p sub && gzip -nc plain.jsonl >sub/e.jsonl.gz
    make_zip e.zip "logs/events.jsonl=plain.jsonl"
    make_zip nested.zip "x/e.jsonl.gz=sub/e.jsonl.gz" "x/readme.txt=e.gz"
    for f in e.gz e.zip; do
        run dump -q "$f"
        expect_rc 0 "dump $f"
        same out "$EXPECTED/events.dump.jsonl"
    done
    run dump -q --no-dedup twice.gz
    [ "$(wc -l <out)" -eq 12 ] || fail "multi-member gzip: $(wc -l <out)"
    run dump nested.zip
    expect_rc 0 "dump nested.zip"   # readme.txt is gzip of JSON: readable
    same out "$EXPECTED/events.dump.jsonl"
    expect_err "6 duplicates dropped"
}

case_damaged_gzip_keeps_prefix() {
    i=0
    : >big.jsonl
    while [ $i -lt 200 ]; do
        sed "s/\"EventRecordID\":20\([0-9][0-9]\)/\"EventRecordID\":$((i + 100))\1/" \
            "$DATA/more.jsonl" >>big.jsonl
        i=$((i + 1))
    done
    gzip -nc big.jsonl >big.gz
    size=$(wc -c <big.gz)
    head -c $((size / 2)) big.gz >cut.gz
    run dump -q cut.gz
    expect_rc 1 "dump cut.gz"
    expect_err "cut.gz: offset 0x"
    expect_err "gzip: data truncated"
    n=$(wc -l <out)
    [ "$n" -gt 100 ] && [ "$n" -lt 4000 ] || fail "$n events before the cut"
}

case_stdin_dash() {
    run dump -q - <"$DATA/events.jsonl"
    expect_rc 0 "dump -"
    same out "$EXPECTED/events.dump.jsonl"
    set +e
    gzip -nc "$DATA/events.jsonl" | "$KIZUKI" dump -q - >out 2>err
    rc=$?
    set -e
    expect_rc 0 "gzip | dump -"
    same out "$EXPECTED/events.dump.jsonl"
}

# --- EVTX (built from the JSON fixtures by the lead's EVTX writer) ---------

# evtx OUT [writer options] INPUT...: builds an EVTX file, or skips.
evtx() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed for EVTX"
    [ -f "$SRC/tests/tools/evtx_writer.py" ] || skip "no EVTX writer"
    out=$1
    shift
    python3 "$SRC/tests/tools/evtx_writer.py" -q -o "$out" "$@" ||
        fail "evtx_writer failed"
}

case_evtx_same_as_json() {
    evtx e.evtx --keep-record-ids "$DATA/events.jsonl"
    run dump -q e.evtx
    expect_rc 0 "dump e.evtx"
    same out "$EXPECTED/events.dump.jsonl"
    gzip -nc e.evtx >e.evtx.gz
    make_zip e.zip "Logs/Security.evtx=e.evtx"
    for f in e.evtx.gz e.zip; do
        run dump -q "$f"
        expect_rc 0 "dump $f"
        same out "$EXPECTED/events.dump.jsonl"
    done
    # An EVTX and its JSON export: each record once.
    run dump e.evtx "$DATA/events.jsonl"
    expect_rc 0 "dump e.evtx events.jsonl"
    same out "$EXPECTED/events.dump.jsonl"
    expect_err "6 duplicates dropped"
}

case_evtx_threads_same_output() {
    evtx big.evtx --copies 200 "$DATA/more.jsonl"     # ~24 chunks
    run dump -q -j 1 big.evtx
    [ "$(wc -l <out)" -eq 4000 ] || fail "$(wc -l <out) events, want 4000"
    mv out j1
    for j in 2 8; do
        run dump -q -j $j big.evtx
        same out j1
    done
}

case_evtx_damaged_chunk_exit_1() {
    evtx z.evtx --copies 200 --zero-chunk 1 "$DATA/more.jsonl"
    run dump z.evtx
    expect_rc 1 "dump z.evtx"
    expect_err "z.evtx: offset 0x11000 (chunk 1): evtx chunk signature"
    expect_err "1 unreadable range"
    [ "$(wc -l <out)" -gt 3000 ] || fail "other chunks lost"
}

# --- hostile names ----------------------------------------------------------

case_paths_escaped_on_stderr() {
    esc=$(printf '\033')
    name="evil${esc}]0;pwned$(printf '\007').txt"
    printf 'not a log' >"$name"
    run dump -q "$name"
    expect_rc 1 "dump evil name"
    grep -q "$esc" err && fail "raw ESC reached stderr"
    expect_err 'evil\\x1b]0;pwned\\x07.txt: unsupported file'
}

# --- rules check -------------------------------------------------------------

case_rules_check_pack_loads() {
    run rules check --no-rule-cache "$SRC/rules"
    expect_rc 0 "rules check of the pack"
    last=$(tail -n 1 out)
    n=$(find "$SRC/rules" -name '*.yml' | wc -l)
    [ "$last" = "loaded $n, skipped 0" ] ||
        fail "last line '$last', want 'loaded $n, skipped 0'"
    # issue 4: the pack's correlations reference only pack rules (or
    # generate: true), so nothing is hidden and nothing is missing
    ! grep -q 'from another source' out || fail "pack hides: $(cat out)"
    ! grep -qi 'missing\|not found\|unknown rule' out ||
        fail "pack references: $(cat out)"
    [ "$(grep -rl '^correlation:' "$SRC/rules" | wc -l)" -gt 0 ] ||
        fail "the pack has no correlation"
}

case_rules_check_verdicts() {
    mkdir r
    cat >r/a_ok.yml <<'Y'
title: ok
id: 9c1f3c9e-7f0e-4d6a-9a55-111111111111
status: test
logsource: {product: windows, category: process_creation}
detection:
    sel: {Image|endswith: '\x.exe'}
    condition: sel
level: low
Y
    cat >r/b_badmod.yml <<'Y'
title: bad modifier
id: 9c1f3c9e-7f0e-4d6a-9a55-222222222222
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|sartswith: 'C:\'
    condition: sel
level: low
Y
    cat >r/c_depr.yml <<'Y'
title: old
id: 9c1f3c9e-7f0e-4d6a-9a55-333333333333
status: deprecated
logsource: {product: windows, category: process_creation}
detection: {sel: {Image: x}, condition: sel}
Y
    cat >r/d_linux.yml <<'Y'
title: linux
id: 9c1f3c9e-7f0e-4d6a-9a55-444444444444
logsource: {product: linux, category: process_creation}
detection: {sel: {Image: x}, condition: sel}
Y
    printf 'just: yaml\n' >r/e_other.yml
    run rules check --no-rule-cache r
    expect_rc 1 "an invalid rule makes rules check exit 1"
    grep -q "b_badmod.yml: invalid: .*sartswith.* (line 6)" out ||
        fail "invalid rule without its reason and line: $(cat out)"
    grep -q "c_depr.yml: deprecated" out || fail "deprecated not reported"
    grep -q "d_linux.yml: unmapped: " out || fail "unmapped not reported"
    grep -q "e_other.yml: not a rule" out || fail "not a rule not reported"
    grep -q "a_ok.yml" out && fail "a loaded rule listed without --verbose"
    [ "$(tail -n 1 out)" = "loaded 1, skipped 4" ] ||
        fail "last line: $(tail -n 1 out)"
    run rules check --no-rule-cache --verbose r
    grep -q "a_ok.yml: loaded" out || fail "--verbose does not list loaded"
}

case_rules_check_compile_skip() {
    mkdir r
    cat >r/a_ok.yml <<'Y'
title: ok
logsource: {product: windows, category: process_creation}
detection:
    sel: {Image|endswith: '\x.exe'}
    condition: sel
Y
    # 4000 values referenced 70 times: 280,000 predicates, more than one
    # rule may compile into; the loader accepts it, the compiler skips it
    {
        printf 'title: hostile\nlogsource: {product: windows, '
        printf 'category: process_creation}\ndetection:\n  sel:\n'
        printf '    CommandLine|contains:\n'
        i=0
        while [ $i -lt 4000 ]; do printf '      - v%d\n' $i; i=$((i + 1)); done
        printf '  condition: sel'
        i=1
        while [ $i -lt 70 ]; do printf ' and sel'; i=$((i + 1)); done
        printf '\n'
    } >r/b_hostile.yml
    run rules check --no-rule-cache r
    expect_rc 1 "a rule that does not compile makes rules check exit 1"
    grep -q "b_hostile.yml: invalid: more than 262144 predicates" out ||
        fail "skipped rule not reported: $(cat out)"
    [ "$(tail -n 1 out)" = "loaded 1, skipped 1" ] ||
        fail "last line: $(tail -n 1 out)"
    # hunt leaves the same rule out, says so, and still runs the other
    run hunt --no-default-rules --no-rule-cache -r r -o t.csv \
        "$SRC/examples/evtx"
    expect_rc 0 "hunt with a rule past a matcher bound"
    grep -q "b_hostile.yml: invalid: more than 262144 predicates.*rule skipped" \
        err || fail "hunt did not report the skipped rule: $(cat err)"
    grep -q "rules: 1 loaded .*1 skipped (invalid 1)" err ||
        fail "hunt summary does not count it: $(grep rules: err)"
    grep -q "b_hostile.yml.*invalid" t.csv.skipped-rules.tsv ||
        fail "skip report lacks it"
}

case_rules_check_cache_dir() {
    cat >ok.yml <<'Y'
title: ok
logsource: {product: windows, category: process_creation}
detection: {sel: {Image: x}, condition: sel}
Y
    run rules check --rule-cache new/cache ok.yml
    expect_rc 0 "rules check with a new cache directory"
    [ -d new/cache ] || fail "--rule-cache DIR not created"
    [ "$(stat -c %a new/cache)" = 700 ] || fail "cache mode not 0700"
    ls new/cache | grep -q '\.hsdb$' || fail "no database cached"
    printf 'x' >file
    run rules check --rule-cache file/sub ok.yml
    expect_rc 0 "rules check with an impossible cache directory"
    expect_err "kizuki: --rule-cache file/sub: cannot create: .*; compiling without a cache"
}

# A correlation with generate: false that hides rules loaded from another
# PATH argument is a warning (exit status unchanged); within one PATH it
# is not.
case_rules_check_cross_source_hide() {
    mkdir base corr
    cat >base/rules.yml <<'Y'
title: logon
id: 9c1f3c9e-7f0e-4d6a-9a55-555555555555
name: cs_logon
logsource: {product: windows, service: security}
detection: {sel: {EventID: 4624}, condition: sel}
---
title: own correlation
correlation:
    type: event_count
    rules: [9c1f3c9e-7f0e-4d6a-9a55-666666666666]
    group-by: [Computer]
    timespan: 5m
    condition: {gte: 2}
---
title: privileges
id: 9c1f3c9e-7f0e-4d6a-9a55-666666666666
logsource: {product: windows, service: security}
detection: {sel: {EventID: 4672}, condition: sel}
Y
    cat >corr/hide.yml <<'Y'
title: many logons
correlation:
    type: event_count
    rules: [cs_logon]
    group-by: [Computer]
    timespan: 5m
    condition: {gte: 2}
---
title: many logons, shown
correlation:
    type: event_count
    rules: [cs_logon]
    group-by: [Computer]
    timespan: 5m
    condition: {gte: 2}
    generate: true
Y
    run rules check --no-rule-cache base corr
    expect_rc 0 "a cross-source hide is a warning only"
    grep -qx "corr/hide.yml: correlation 'many logons' hides rule 'cs_logon' from another source (generate: false)" out ||
        fail "no warning: $(cat out)"
    [ "$(grep -c 'from another source' out)" -eq 1 ] ||
        fail "warnings: $(cat out)"
    [ "$(tail -n 1 out)" = "loaded 5, skipped 0" ] ||
        fail "last line: $(tail -n 1 out)"
    run rules check --no-rule-cache base
    expect_rc 0 "one source"
    ! grep -q 'from another source' out || fail "same source: $(cat out)"
}

case_rules_check_usage() {
    run rules check
    expect_rc 2 "rules check without paths"
    run rules frobnicate x
    expect_rc 2 "unknown rules action"
    run rules check /nonexistent/rules
    expect_rc 3 "unreadable rule path"
}

# ---- analytics (kz_a_*; docs/analytics.md) --------------------------------

# analytics_events OUT KIND N: N synthetic events as an EVTX file.
# KIND: share_reads (5145 by CORP\alice from 10.9.8.7, one file each,
# 10 s apart), accounts (the same, each by another account u0000..., 1 s apart),
# fanout (4624 type 3 by CORP\ops on N hosts, 1 min apart).
analytics_events() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed for EVTX"
    python3 - "$2" "$3" >a.jsonl <<'EOF'
import json, sys
kind, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    t = "2023-05-01T02:%02d:%02d.000000Z" % (i * 10 // 60 % 60, i * 10 % 60)
    if kind in ("share_reads", "accounts"):
        user = "alice" if kind == "share_reads" else "u%04d" % i
        if kind == "accounts":
            t = "2023-05-01T02:%02d:%02d.000000Z" % (i // 60 % 60, i % 60)
        host, eid, data = "FS01.corp.local", 5145, {
            "SubjectUserSid": "S-1-5-21-1-2-3-1104",
            "SubjectUserName": user, "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x9a1", "ObjectType": "File",
            "IpAddress": "10.9.8.7", "IpPort": "50000",
            "ShareName": "\\\\*\\projects",
            "ShareLocalPath": "\\??\\D:\\projects",
            "RelativeTargetName": "design\\doc%04d.pdf" % i,
            "AccessMask": "0x1"}
    else:
        t = "2023-05-01T03:%02d:00.000000Z" % i
        host, eid, data = "SRV%02d.corp.local" % i, 4624, {
            "TargetUserName": "ops", "TargetDomainName": "CORP",
            "LogonType": 3, "IpAddress": "10.1.1.50",
            "TargetLogonId": "0x77"}
    print(json.dumps({"Event": {"System": {
        "Provider": {"#attributes": {
            "Name": "Microsoft-Windows-Security-Auditing"}},
        "EventID": eid, "TimeCreated": {"#attributes": {"SystemTime": t}},
        "EventRecordID": 5000 + i, "Channel": "Security",
        "Computer": host}, "EventData": data}}))
EOF
    evtx "$1" --keep-record-ids a.jsonl
}

# hunt_a ARGS...: hunt without rules (analytics only), CSV to out.
hunt_a() {
    run hunt --no-default-rules -f csv "$@"
}

# issue 5, injection: log strings with markup and script end up as text in
# every investigate output, and a formula in a cell CSV starts is guarded.
# A 5145 on a user share makes its host a file server even without a
# 5140 (docs/logons.md, roles); a 5145 on ADMIN$ alone does not.
case_investigate_role_5145() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed"
    python3 - >roles.jsonl <<'EOF'
import json
def ev(rid, t, eid, comp, data):
    return {"Event": {"System": {
        "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
        "EventID": eid, "TimeCreated": {"#attributes": {"SystemTime": t}},
        "EventRecordID": rid, "Channel": "Security", "Computer": comp},
        "EventData": data}}
for i, (comp, share) in enumerate([("FS9.corp.local", "\\\\*\\Projects"),
                                    ("WS5.corp.local", "\\\\*\\ADMIN$")]):
    print(json.dumps(ev(100 + 2 * i, "2024-01-02T03:04:0%dZ" % i, 4624, comp, {
        "TargetUserName": "bob", "TargetDomainName": "CORP", "LogonType": "3",
        "IpAddress": "10.1.1.%d" % (5 + i), "TargetLogonId": "0x1"})))
    print(json.dumps(ev(101 + 2 * i, "2024-01-02T03:05:0%dZ" % i, 5145, comp, {
        "SubjectUserName": "bob", "SubjectDomainName": "CORP",
        "IpAddress": "10.1.1.%d" % (5 + i), "ShareName": share,
        "RelativeTargetName": "a.txt", "AccessMask": "0x1"})))
EOF
    evtx roles.evtx --keep-record-ids roles.jsonl
    run investigate -q -o rep roles.evtx
    expect_rc 0 "investigate"
    python3 - rep <<'EOF' || fail "roles: see above"
import json, os, sys
r = json.load(open(os.path.join(sys.argv[1], "report.json"), encoding="utf-8"))
hosts = {h["name"]: h["role"] for h in r["entities"]["hosts"]["items"]}
nodes = {n["label"].lower().split(".")[0]: n.get("role") for n in r["graph"]["nodes"]
         if n["kind"] == "host"}
bad = []
if "file server" not in (hosts.get("fs9") or ""):
    bad.append("entities: fs9 role %r" % hosts.get("fs9"))
if hosts.get("ws5"):
    bad.append("entities: ws5 role %r (ADMIN$ only)" % hosts.get("ws5"))
if "file server" not in (nodes.get("fs9") or ""):
    bad.append("graph: fs9 role %r (nodes %r)" % (nodes.get("fs9"), nodes))
if nodes.get("ws5"):
    bad.append("graph: ws5 role %r" % nodes.get("ws5"))
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
EOF
}

# Silences (docs/investigate.md, evidence limits): a busy Security log
# (one event a minute) quiet for 90 minutes before an alert on its host
# is stated; a quiet System log (5 events in 6 hours) is not.
case_investigate_silence() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed"
    python3 - >sec.jsonl <<'EOF'
import json
from datetime import datetime, timedelta
t0 = datetime(2024, 1, 2, 0, 0, 0)
def ev(rid, t, chan, prov, eid, data):
    return {"Event": {"System": {
        "Provider": {"#attributes": {"Name": prov}}, "EventID": eid,
        "TimeCreated": {"#attributes": {"SystemTime": t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")}},
        "EventRecordID": rid, "Channel": chan, "Computer": "WS01.corp.local"},
        "EventData": data}}
rid = 1
for m in range(360):
    if 120 <= m < 210:
        continue
    print(json.dumps(ev(rid, t0 + timedelta(minutes=m), "Security",
                        "Microsoft-Windows-Security-Auditing", 4689,
                        {"ProcessName": "C:\\Windows\\System32\\svchost.exe"})))
    rid += 1
EOF
    python3 - >sys.jsonl <<'EOF'
import json
from datetime import datetime, timedelta
t0 = datetime(2024, 1, 2, 0, 0, 0)
for i, m in enumerate([0, 50, 160, 300, 359]):
    print(json.dumps({"Event": {"System": {
        "Provider": {"#attributes": {"Name": "Service Control Manager"}}, "EventID": 7036,
        "TimeCreated": {"#attributes": {"SystemTime": (t0 + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")}},
        "EventRecordID": 10 + i, "Channel": "System", "Computer": "WS01.corp.local"},
        "EventData": {"param1": "Spooler", "param2": "running"}}}))
EOF
    python3 - >sysmon.jsonl <<'EOF'
import json
print(json.dumps({"Event": {"System": {
    "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 1,
    "TimeCreated": {"#attributes": {"SystemTime": "2024-01-02T04:00:00.000000Z"}},
    "EventRecordID": 500, "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Computer": "WS01.corp.local"},
    "EventData": {"UtcTime": "2024-01-02 04:00:00.000",
                  "Image": "C:\\Users\\Public\\m64.exe", "OriginalFileName": "mimikatz.exe",
                  "CommandLine": "m64.exe sekurlsa::logonpasswords", "User": "CORP\\eve",
                  "ParentImage": "C:\\Windows\\explorer.exe"}}}))
EOF
    evtx sec.evtx --keep-record-ids sec.jsonl
    evtx sys.evtx --keep-record-ids sys.jsonl
    evtx sysmon.evtx --keep-record-ids sysmon.jsonl
    run investigate -q -o rep sec.evtx sys.evtx sysmon.evtx
    expect_rc 0 "investigate"
    python3 - rep <<'EOF' || fail "silence: see above"
import json, os, sys
r = json.load(open(os.path.join(sys.argv[1], "report.json"), encoding="utf-8"))
lim = [l for l in r["evidence_limits"]["items"] if l["kind"] == "silence"]
bad = []
if len(lim) != 1:
    bad.append("want one silence, got %r" % lim)
elif not ("Security of host ws01" in lim[0]["what"] and "(91 min)" in lim[0]["what"]):
    bad.append("silence: %r" % lim[0]["what"])
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
EOF
}

case_investigate_injection() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed"
    python3 - >inj.jsonl <<'EOF'
import json
def ev(rid, t, chan, prov, eid, comp, data):
    return {"Event": {"System": {
        "Provider": {"#attributes": {"Name": prov}}, "EventID": eid,
        "TimeCreated": {"#attributes": {"SystemTime": t}},
        "EventRecordID": rid, "Channel": chan, "Computer": comp},
        "EventData": data}}
print(json.dumps(ev(7001, "2024-01-02T03:04:05.000000Z",
    "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 1,
    "WS01.corp.local", {
        "UtcTime": "2024-01-02 03:04:05.000",
        "Image": "C:\\Users\\Public\\<script>alert(1)</script>.exe",
        "OriginalFileName": "mimikatz.exe",
        "CommandLine": "x <img src=x onerror=alert(2)> =cmd|' /C calc'!A0",
        "User": "CORP\\<b>eve</b>", "ParentImage": "C:\\Windows\\explorer.exe",
        "Hashes": "SHA256=" + "ab" * 32, "LogonId": "0x1234"})))
print(json.dumps(ev(7002, "2024-01-02T03:05:05.000000Z", "Security",
    "Microsoft-Windows-Security-Auditing", 4624,
    "=cmd|' /C calc'!A0", {
        "TargetUserName": "\"><svg onload=alert(3)>", "TargetDomainName": "CORP",
        "LogonType": "10", "IpAddress": "203.0.113.9", "IpPort": "50000",
        "TargetLogonId": "0x1234", "AuthenticationPackageName": "Negotiate",
        "WorkstationName": "</script><script>alert(4)</script>"})))
# a file the tool wrote: the impact scope (report.html, impact_files.csv)
print(json.dumps(ev(7003, "2024-01-02T03:04:09.000000Z",
    "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 11,
    "WS01.corp.local", {
        "UtcTime": "2024-01-02 03:04:09.000",
        "Image": "C:\\Users\\Public\\<script>alert(1)</script>.exe",
        "TargetFilename": "=cmd|' /C calc'!A0 <script>alert(5)</script>.txt",
        "User": "CORP\\<b>eve</b>"})))
EOF
    evtx inj.evtx --keep-record-ids inj.jsonl
    run investigate -q -o rep inj.evtx
    expect_rc 0 "investigate"
    python3 - rep <<'EOF' || fail "injection: see above"
import csv, json, os, re, sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
d = sys.argv[1]
bad = []
html = open(os.path.join(d, "report.html"), encoding="utf-8").read()
for raw in ("<script>alert(", "<img src=x", "<svg onload", "<b>eve</b>",
            "</script><script>"):
    if raw in html:
        bad.append("report.html holds raw %r" % raw)
for esc in ("&lt;script&gt;alert(1)&lt;/script&gt;",   # the tool's path
            "&lt;svg onload=alert(3)&gt;"):             # the RDP account
    if esc not in html:
        bad.append("report.html lacks %r (escaped)" % esc)
HTMLParser().feed(html)
rj = json.load(open(os.path.join(d, "report.json"), encoding="utf-8"))
text = json.dumps(rj, ensure_ascii=False)
# the tool's path and the RDP account, exactly (JSON-escaped, not cut)
for s in ("<script>alert(1)</script>", "\"><svg onload=alert(3)>"):
    if s not in text:
        bad.append("report.json lost %r" % s)
md = open(os.path.join(d, "report.md"), encoding="utf-8").read()
if "<script>alert(" in md or "<img src=x" in md:
    bad.append("report.md holds raw markup")
ET.parse(os.path.join(d, "graph.graphml"))
json.load(open(os.path.join(d, "graph.json"), encoding="utf-8"))
rows = list(csv.reader(open(os.path.join(d, "timeline.csv"), encoding="utf-8")))
cells = [c for r in rows[1:] for c in r]
if not rows[1:]:
    bad.append("timeline.csv has no row")
for c in cells:
    if c[:1] in ("=", "+", "-", "@"):
        bad.append("timeline.csv cell not guarded: %r" % c[:40])
if not any(c.startswith("'=cmd|") for c in cells):
    bad.append("timeline.csv lacks the guarded Computer cell")
# the impact scope: the file the tool wrote, escaped and guarded
rows = list(csv.reader(open(os.path.join(d, "impact_files.csv"), encoding="utf-8")))
cells = [c for r in rows[1:] for c in r]
for c in cells:
    if c[:1] in ("=", "+", "-", "@"):
        bad.append("impact_files.csv cell not guarded: %r" % c[:40])
if not any(c.startswith("'=cmd|") and "alert(5)" in c for c in cells):
    bad.append("impact_files.csv lacks the guarded file name: %r" % rows)
if "<script>alert(5)" in html or "&lt;script&gt;alert(5)" not in html:
    bad.append("report.html: the written file's name not escaped or absent")
if "<script>alert(5)</script>" not in text:
    bad.append("report.json lost the written file's name")
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
EOF
}

case_analytics_bulk_read_60_files() {
    analytics_events r.evtx share_reads 60
    hunt_a r.evtx
    expect_rc 0 "hunt 60 reads"
    [ "$(grep -c ',kz_a_bulk_file_read,' out)" -eq 1 ] ||
        fail "want one bulk read: $(cat out)"
    grep ',kz_a_bulk_file_read,' out |
        grep -q 'Account: CORP\\alice ¦ Source: 10.9.8.7 ¦ Files: 60 ¦' ||
        fail "details: $(cat out)"
    grep ',kz_a_bulk_file_read,' out | grep -q 'Event1: record 5000' ||
        fail "events: $(cat out)"
    # The baseline part is said to be not evaluated, once.
    [ "$(grep -c ',kz_a_not_evaluated,' out)" -eq 1 ] ||
        fail "want one not-evaluated note: $(cat out)"
    expect_err "kz_a_bulk_file_read 1"
    expect_err "not evaluated: kz_a_bulk_file_read's p99 baseline"
    # Same output whatever the thread count.
    cp out out1
    hunt_a -j 2 r.evtx
    same out1 out
}

case_analytics_bulk_read_40_files() {
    analytics_events r.evtx share_reads 40
    hunt_a r.evtx
    expect_rc 0 "hunt 40 reads"
    ! grep -q ',kz_a_bulk_file_read,' out || fail "bulk read at 40: $(cat out)"
    # A lower threshold from the flag or the file makes it fire.
    hunt_a --bulk-read-files 30 r.evtx
    [ "$(grep -c ',kz_a_bulk_file_read,' out)" -eq 1 ] ||
        fail "--bulk-read-files 30: $(cat out)"
    printf '# test\nbulk_read.files = 30\n' >a.conf
    hunt_a --analytics-config a.conf r.evtx
    [ "$(grep -c ',kz_a_bulk_file_read,' out)" -eq 1 ] ||
        fail "config file: $(cat out)"
}

case_analytics_no_analytics() {
    analytics_events r.evtx share_reads 60
    hunt_a --no-analytics r.evtx
    expect_rc 0 "--no-analytics"
    ! grep -q 'kz_a_' out || fail "finding with --no-analytics: $(cat out)"
    [ "$(wc -l <out)" -eq 1 ] || fail "rows: $(cat out)"
    expect_err "analytics: off (--no-analytics)"
}

case_analytics_fanout() {
    analytics_events f.evtx fanout 5
    hunt_a f.evtx
    expect_rc 0 "hunt fan-out"
    [ "$(grep -c ',kz_a_fanout,' out)" -eq 2 ] ||
        fail "want account and source fan-out: $(cat out)"
    grep -q 'Via: account ¦ Account: ops ¦ Hosts: 5 ¦ HostList: srv00, srv01, srv02, srv03, srv04' out ||
        fail "details: $(cat out)"
    grep -q ',critical,' out || fail "level: $(cat out)"
    analytics_events f4.evtx fanout 4
    hunt_a f4.evtx
    ! grep -q ',kz_a_fanout,' out || fail "fan-out at 4 hosts: $(cat out)"
    hunt_a --fanout-hosts 4 f4.evtx
    [ "$(grep -c ',kz_a_fanout,' out)" -eq 2 ] ||
        fail "--fanout-hosts 4: $(cat out)"
    # --min-level filters findings like detections.
    hunt_a --min-level critical --fanout-hosts 4 f4.evtx
    [ "$(grep -c ',kz_a_fanout,' out)" -eq 2 ] || fail "min-level: $(cat out)"
}

# The table bounds: keys past tables.max_keys, then past tables.max_bytes,
# are counted and the summary says how many (each count its own).
case_analytics_bounds_summary() {
    analytics_events r.evtx accounts 3000
    printf 'tables.max_keys = 100\n' >k.conf
    hunt_a --analytics-config k.conf r.evtx
    expect_rc 0 "max_keys 100"
    expect_err "analytics bounds hit: 2,900 keys not tracked (tables.max_keys or tables.max_bytes), 0 values not tracked"
    expect_err ", 0 bulk-read files counted but not listed"
    printf 'tables.max_bytes = 1048576\n' >b.conf
    hunt_a --analytics-config b.conf r.evtx
    expect_rc 0 "max_bytes 1 MiB"
    expect_err "analytics memory bound reached: 786432 bytes (three quarters of tables.max_bytes), peak "
    peak=$(sed -n 's/.*memory bound reached: .*, peak \([0-9]*\);.*/\1/p' err)
    [ -n "$peak" ] && [ "$peak" -le 786432 ] && [ "$peak" -gt 600000 ] ||
        fail "peak '$peak' not under the bound: $(cat err)"
    printf 'tables.max_bytes = 1000\n' >s.conf
    hunt_a --analytics-config s.conf r.evtx
    expect_rc 2 "max_bytes below its minimum"
}

# A long comment line is one line for the integrity keys too (its tail is
# not read as a key).
case_analytics_config_long_line() {
    # 511 bytes, then a key where the old 512-byte reader split the line.
    printf '#%0510dintegrity.max_keys = lots\n' 0 >long.conf
    analytics_events r.evtx share_reads 1
    hunt_a --analytics-config long.conf r.evtx
    expect_rc 0 "long comment line"
    ! grep -q 'default kept' err || fail "tail read as a key: $(cat err)"
}

case_analytics_bad_config() {
    printf '# ok\nfanout.hosts = 6\nfanout.hostz = 6\n' >bad.conf
    : >e.jsonl
    hunt_a --analytics-config bad.conf e.jsonl
    expect_rc 2 "unknown key"
    expect_err "bad.conf:3: unknown key 'fanout.hostz'"
    printf 'bulk_read.files = lots\n' >bad2.conf
    hunt_a --analytics-config bad2.conf e.jsonl
    expect_rc 2 "bad value"
    expect_err "bad2.conf:1: bulk_read.files wants an integer"
    hunt_a --analytics-config /nonexistent/a.conf e.jsonl
    expect_rc 2 "missing file"
    hunt_a --fanout-hosts 1 e.jsonl
    expect_rc 2 "--fanout-hosts 1"
    expect_err "fanout.hosts wants an integer from 2"
    hunt_a --bulk-read-files x e.jsonl
    expect_rc 2 "--bulk-read-files x"
}

# An MK System-like chain, one event per step: RDP from a public address
# (RCM 1149 UserData, 4624 type 10), the account adds another to Domain
# Admins (4728), remote-access tool, Mimikatz renamed, LSASS read (D2, D5),
# four discovery commands in one logon session (4688, D13).
case_analytics_chain() {
    command -v python3 >/dev/null 2>&1 || skip "python3 needed for EVTX"
    python3 >c.jsonl <<'EOF'
import json
SEC, SYSMON = "Security", "Microsoft-Windows-Sysmon/Operational"
RCM = ("Microsoft-Windows-TerminalServices-RemoteConnectionManager/"
       "Operational")
def ev(rid, t, ch, eid, host, data, user=False):
    e = {"Event": {"System": {
        "Provider": {"#attributes": {"Name": "P"}}, "EventID": eid,
        "TimeCreated": {"#attributes": {
            "SystemTime": "2023-06-04T%sZ" % t}},
        "EventRecordID": rid, "Channel": ch, "Computer": host}}}
    if user:
        e["Event"]["UserData"] = {"EventXML": data}
    else:
        e["Event"]["EventData"] = data
    print(json.dumps(e))
APP, DC = "RAPP01.corp.local", "DC01.corp.local"
ev(1, "16:12:53", RCM, 1149, APP, {"Param1": "n.okada", "Param2": "CORP",
                                  "Param3": "198.51.100.23"}, user=True)
ev(2, "16:12:56", SEC, 4624, APP, {"TargetUserName": "n.okada",
   "TargetDomainName": "CORP", "LogonType": 10,
   "IpAddress": "198.51.100.23", "TargetLogonId": "0x5a1"})
ev(3, "16:42:17", SEC, 4728, DC, {"MemberName": "CN=adm,CN=Users,DC=corp",
   "MemberSid": "S-1-5-21-1-2-3-3480", "TargetUserName": "Domain Admins",
   "SubjectUserName": "n.okada", "SubjectDomainName": "CORP"})
ev(4, "16:43:55", "System", 7045, APP, {"ServiceName": "AnyDesk",
   "ImagePath": "\"C:\\ProgramData\\AnyDesk\\AnyDesk.exe\" --service"})
ev(5, "16:45:27", SYSMON, 1, APP, {"Image": "C:\\Users\\Public\\mk.exe",
   "OriginalFileName": "mimikatz.exe",
   "CommandLine": "mk.exe privilege::debug", "LogonId": "0x5a1",
   "ParentProcessGuid": "{1}", "ParentImage": "C:\\Windows\\cmd.exe"})
ev(6, "16:45:28", SYSMON, 10, APP, {"SourceImage": "C:\\Users\\Public\\mk.exe",
   "TargetImage": "C:\\Windows\\system32\\lsass.exe",
   "GrantedAccess": "0x1010"})
for i, cl in enumerate(["whoami /all", "ipconfig /all",
                        "net group \"domain admins\" /domain",
                        "nltest /dclist:corp"]):
    ev(7 + i, "16:5%d:00" % i, SEC, 4688, APP, {
        "NewProcessName": "C:\\Windows\\System32\\%s.exe" % cl.split()[0],
        "CommandLine": cl, "SubjectLogonId": "0x5a1",
        "SubjectUserName": "n.okada", "ProcessId": "0x1f0",
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"})
EOF
    evtx c.evtx --keep-record-ids c.jsonl
    for input in c.evtx c.jsonl; do
        hunt_a "$input"
        expect_rc 0 "hunt $input"
        for a in kz_a_rdp_external_privilege kz_a_attack_tool_burst \
            kz_a_binary_identity kz_a_discovery_burst; do
            [ "$(grep -c ",$a," out)" -eq 1 ] ||
                fail "$input: want one $a: $(cat out)"
        done
        grep ',kz_a_rdp_external_privilege,' out |
            grep -q 'Account: CORP\\n.okada ¦ SourceAddress: 198.51.100.23 ¦ RdpHost: RAPP01.corp.local ¦ RdpEvent: 4624 ¦ Privilege: added another account to a group ¦ Group: Domain Admins' ||
            fail "$input: D1 details: $(cat out)"
        grep ',kz_a_attack_tool_burst,' out |
            grep -q 'Tools: remote-access tool: AnyDesk, hacktool: Mimikatz, LSASS access: LSASS memory read' ||
            fail "$input: D2 details: $(cat out)"
        grep ',kz_a_discovery_burst,' out |
            grep -q 'CommandList: whoami, ipconfig, net group, nltest' ||
            fail "$input: D13 details: $(cat out)"
    done
}

"case_$CASE"
