#!/bin/sh
# incident.sh - end-to-end check of the incident engine
# (src/investigate/incident.h, docs/investigate.md) over generated breaches,
# until the `investigate` command exists.
#
# Usage: incident.sh KIZUKI INCIDENT_PROBE SRCDIR WORKDIR
#        [SCENARIO:SEED[:FOOTHOLD]...]
# (default: mksystem:1 mksystem:2 oki:1 oki:2 mksystem:1:0 oki:2:0;
# FOOTHOLD is make_scenario.py's --foothold candidate index)
#
# For each scenario and seed: tests/tools/make_scenario.py generates the
# breach (with its background), `kizuki hunt -f jsonl` and `kizuki logons
# --graph-json` read it, a converter (below) turns both into the probe's
# TSV (alerts with the rule pack's tags, logon edges, the hosts whose logs
# were read = the generator's evtx/<HOST> directories), incident_probe runs
# the engine, and the checks compare its JSON with truth.json:
#   foothold  truth's "first foothold" host is the patient zero (mksystem)
#             or one of the candidates (oki: its entry comes from a
#             subsidiary address whose logs are not read)
#   path      the lateral path's hosts come in truth's order (first attack
#             event per host), and every attacked host but the foothold
#             and the hosts without a logon in the logs is on the path
#   accounts  the incident's accounts include truth's attacker accounts
#   tools     mksystem: the tools of the credential_dump and
#             process_list_tool steps are listed with a hash, their host
#             and their first execution (within 5 s of the step)
#   mutation  mksystem with --drop-step mksystem.rdp_external_logon: the
#             patient zero changes or becomes undetermined
# Exit 0 = passed, 1 = a check failed, 2 = a run error, 77 = skipped
# (python3 missing).
set -u

KIZUKI=$1
PROBE=$2
SRC=$3
WORK=$4
shift 4
RUNS=${*:-mksystem:1 mksystem:2 oki:1 oki:2 mksystem:1:0 oki:2:0}

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found (the breaches come from make_scenario.py)"
    exit 77
fi
rm -rf "$WORK"
mkdir -p "$WORK" || exit 2
# make_scenario.py dumps its background with the kizuki of $KZ_BUILD.
KZ_BUILD=$(dirname "$KIZUKI")
export KZ_BUILD

# convert DIR OUT.tsv: hunt + logons of DIR/evtx -> the probe's input.
convert() {
    "$KIZUKI" hunt "$1/evtx" -f jsonl -q -j 1 >"$1/hunt.jsonl" 2>"$1/hunt.err" ||
        { echo "ERROR: hunt failed on $1"; cat "$1/hunt.err"; return 2; }
    "$KIZUKI" logons "$1/evtx" -q -o /dev/null --graph-json "$1/graph.json" \
        2>"$1/logons.err" ||
        { echo "ERROR: logons failed on $1"; cat "$1/logons.err"; return 2; }
    python3 - "$SRC" "$1" "$2" <<'PY'
import json, os, re, sys
src, d, out = sys.argv[1:4]
LEVELS = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

def clean(v):
    v = "" if v is None else str(v)
    return re.sub(r"[\t\r\n]", " ", v) or "-"

# rule id -> (tags, correlation) from the rule pack (flat YAML reading)
tags = {}
for root, _, files in os.walk(os.path.join(src, "rules")):
    for f in files:
        if not f.endswith((".yml", ".yaml")):
            continue
        text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
        for doc in text.split("\n---"):
            m = re.search(r"^id:\s*['\"]?([\w-]+)", doc, re.M)
            if not m:
                continue
            t = re.search(r"^tags:\s*\n((?:\s+-\s*.*\n?)+)", doc, re.M)
            tl = re.findall(r"-\s*['\"]?([\w.\-]+)", t.group(1)) if t else []
            tags[m.group(1)] = (",".join(tl), "\ncorrelation:" in "\n" + doc)
rows = []
for line in open(os.path.join(d, "hunt.jsonl"), encoding="utf-8"):
    if not line.strip():
        continue
    a = json.loads(line)
    det = dict(a.get("ExtraFieldInfo") or {})
    det.update(a.get("Details") or {})
    acct = ""
    for k in ("Account", "User", "TargetUserName", "SubjectUserName"):
        if det.get(k) and det[k] != "-":
            acct = det[k]
            break
    rid = a.get("RuleID", "")
    tg, corr = tags.get(rid, ("", False))
    rows.append(["A", a.get("Timestamp"), a.get("Computer"), acct,
                 det.get("LogonId") or det.get("SubjectLogonId") or det.get("TargetLogonId"),
                 rid, a.get("RuleTitle"), LEVELS.get(str(a.get("Level")).lower(), 0),
                 1 if corr or rid.startswith("kz_a_") else 0, tg, a.get("File"),
                 a.get("RecordID"), det.get("Image"), det.get("Hashes") or det.get("Hash"),
                 det.get("CommandLine")])
g = json.load(open(os.path.join(d, "graph.json"), encoding="utf-8"))
nodes = {n["data"]["id"]: n["data"] for n in g["elements"]["nodes"]}
for e in g["elements"]["edges"]:
    e = e["data"]
    if e.get("kind") != "logon":
        continue
    via = e.get("via") or ""
    kind, srcname = 0, ""
    if via.startswith("addr:"):
        kind = 2 if nodes.get(via, {}).get("external") else 1
        srcname = via[5:]
    elif via.startswith("host:"):
        kind, srcname = 3, via[5:]
    rows.append(["E", nodes[e["source"]]["label"], srcname, kind, e["target"][5:],
                 "" if e.get("logon_type") is None else e["logon_type"],
                 e.get("first"), e.get("last"), e.get("count"), e.get("failed"),
                 "events " + " ".join(str(i) for i in e.get("event_ids", []))])
for h in sorted(os.listdir(os.path.join(d, "evtx"))):
    rows.append(["H", h, "", ""])
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write("\t".join(clean(v) for v in r) + "\n")
PY
}

# check SCENARIO TRUTH RESULT [mutation]: prints failures, exit 1 on any.
check() {
    python3 - "$@" <<'PY'
import json, sys
sc, truth, result = sys.argv[1:4]
mutation = len(sys.argv) > 4
t = json.load(open(truth))
r = json.load(open(result))
fails = []
key = lambda h: h.lower().split(".")[0]
foothold = [key(h["name"]) for h in t["hosts"] if h["role"] == "first foothold"][0]
incs = r["incidents"]
main = None
for i in incs:      # the incident holding the foothold, else the first
    if foothold in i["hosts"] or any(s["to"] == foothold for s in i["steps"]):
        main = i
        break
if main is None and incs:
    main = incs[0]
tag = "%s seed %s foothold %s%s" % (sc, t["seed"], foothold,
                                    " (mutation)" if mutation else "")
if mutation:
    if r["first_host"] == foothold:
        fails.append("patient zero still %s after dropping the entry step (%s)"
                     % (foothold, r["first_host_reason"]))
else:
    if main is None:
        fails.append("no incident")
    else:
        cands = [c["host"] for c in main["candidates"]]
        if sc == "mksystem":
            if main["patient_zero"] != foothold or r["first_host"] != foothold:
                fails.append("patient zero %s / first host %s, expected %s (%s)"
                             % (main["patient_zero"], r["first_host"], foothold,
                                main["reason"]))
        elif foothold not in cands and main["patient_zero"] != foothold:
            fails.append("foothold %s not among the candidates %s (%s)"
                         % (foothold, cands, main["reason"]))
        # path order against truth's first attack event per host
        first = {}
        for st in t["steps"]:
            for ev in st["events"]:
                h = key(ev["file"].split("/")[1])
                if h not in first or ev["time"] < first[h]:
                    first[h] = ev["time"]
        path = [s["to"] for s in main["steps"] if s["to"] in first]
        if path != sorted(path, key=lambda h: first[h]):
            fails.append("path %s not in truth's order %s"
                         % (path, sorted(first, key=first.get)))
        logged_on = {e for e in open(result.replace("probe.json", "input.tsv"))
                     .read().split("\n") if e.startswith("E\t")}
        targets = {l.split("\t")[4].lower() for l in logged_on}
        want = [h for h in sorted(first, key=first.get)
                if h != foothold and h in targets]
        missing = [h for h in want if h not in path and h != main["start_host"]]
        if missing:
            fails.append("hosts %s missing from the path %s" % (missing, path))
        accts = set(main["accounts"])
        for a in t["accounts"]:
            k = (a["domain"] + "\\" + a["name"]).lower()
            if k not in accts:
                fails.append("account %s missing from %s" % (k, sorted(accts)))
        if sc == "mksystem":
            # the credential dumper and the process tool: a hash, their
            # host and first execution (within 5 s of the step's time)
            tsec = lambda s: s[:19]
            for st in t["steps"]:
                if st["key"].split(".")[1] not in ("credential_dump", "process_list_tool") \
                        or st["dropped"]:
                    continue
                ok = [x for x in main["tools"] if x["hash"] and x["host"] == key(st["host"])
                      and abs(int(x["first"][14:16]) * 60 + int(x["first"][17:19])
                              - int(st["time"][14:16]) * 60 - int(st["time"][17:19])) <= 5
                      and tsec(x["first"])[:13] == tsec(st["time"])[:13]]
                if not ok:
                    fails.append("no tool of step %s (%s, %s) in %s" % (
                        st["key"], st["host"], st["time"],
                        [(x["name"], x["host"], x["first"]) for x in main["tools"]]))
        print("%s: %d incident(s); patient zero %s; path %s; accounts %s"
              % (tag, len(incs), main["patient_zero"], " -> ".join(
                  [main["start_host"]] + [s["to"] for s in main["steps"]]),
                 ", ".join(main["accounts"])))
for f in fails:
    print("FAIL %s: %s" % (tag, f))
if mutation and not fails:
    print("%s: first host %s (%s)" % (tag, r["first_host"], r["first_host_reason"]))
sys.exit(1 if fails else 0)
PY
}

status=0
for run in $RUNS; do
    sc=${run%%:*}
    seed=${run#*:}
    fh=
    case $seed in
    *:*) fh=${seed#*:}; seed=${seed%%:*} ;;
    esac
    set -- ""
    if [ "$sc" = mksystem ]; then
        set -- "" "--drop-step mksystem.rdp_external_logon"
    fi
    for drop in "$@"; do
        out=$WORK/$sc-$seed${fh:+-f$fh}${drop:+-mut}
        # shellcheck disable=SC2086
        python3 "$SRC/tests/tools/make_scenario.py" --scenario "$sc" \
            --seed "$seed" ${fh:+--foothold $fh} $drop "$out" >"$out.gen.log" 2>&1 ||
            { echo "ERROR: make_scenario.py $sc $seed $drop"; cat "$out.gen.log"; exit 2; }
        dir=$out/$sc
        convert "$dir" "$dir/input.tsv" || exit 2
        "$PROBE" "$dir/input.tsv" >"$dir/probe.json" ||
            { echo "ERROR: incident_probe failed on $dir"; exit 2; }
        check "$sc" "$dir/truth.json" "$dir/probe.json" ${drop:+mutation} || status=1
    done
done
exit $status
