#!/bin/sh
# investigate.sh - end-to-end check of `kizuki investigate` (docs/cli.md
# "investigate", docs/investigate.md "Command") over generated breaches.
#
# Usage: investigate.sh KIZUKI SRCDIR WORKDIR [SCENARIO:SEED[:FOOTHOLD]...]
# (default: mksystem:1 mksystem:2 mksystem:1:0 mksystem:1:1 oki:1 oki:2;
# FOOTHOLD is make_scenario.py's --foothold candidate index)
#
# For each scenario and seed: tests/tools/make_scenario.py generates the
# breach (with its background), `kizuki investigate -o DIR` reads it once,
# and python3 checks DIR against truth.json:
#   files     DIR holds report.html/md/json, manifest.json, timeline.csv,
#             graph.json, graph.graphml, attack-navigator.json
#   foothold  mksystem: report.json's first host is truth's first foothold;
#             oki: also (the foothold's address joined to it), or without
#             background the reason says the foothold's logs begin late
#   entities  report.json's entities list truth's accounts that logged on,
#             admin=true for the admins; oki: the foothold's address is
#             joined to the foothold
#   path      the lateral path's hosts come in truth's order (first attack
#             event per host)
#   accounts  the timeline's and path's accounts include truth's attacker
#             accounts (oki: those with a logon in the logs)
#   tools     mksystem: the tools include mimikatz and AnyDesk (their
#             images as truth names them)
#   html      report.html parses (html.parser) and holds no URL (no
#             "http:", "https:", "ftp:", "ws:", no "//host")
#   manifest  every input file listed with its size and SHA-256 (hashlib)
#   mutation  mksystem with --drop-step mksystem.rdp_external_logon: the
#             first host changes or becomes undetermined
#   lang      --lang ja puts the Japanese headings in report.html, and
#             --tz Asia/Tokyo the zone and its +09:00 offset
#   timeline  DIR/timeline.csv is byte-identical to `kizuki hunt -o F.csv`
# Exit 0 = passed, 1 = a check failed, 2 = a run error, 77 = skipped
# (python3 missing).
set -u

KIZUKI=$1
SRC=$2
WORK=$3
shift 3
RUNS=${*:-mksystem:1 mksystem:2 mksystem:1:0 mksystem:1:1 oki:1 oki:2}

if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 not found (the breaches come from make_scenario.py)"
    exit 77
fi
rm -rf "$WORK"
mkdir -p "$WORK" || exit 2
KZ_BUILD=$(dirname "$KIZUKI")
export KZ_BUILD

# check SCENARIO TRUTH OUTDIR EVTXDIR [mutation|ja]
check() {
    python3 - "$@" <<'PY'
import hashlib, json, os, re, sys
from html.parser import HTMLParser
sc, truth, out, evtx = sys.argv[1:5]
mode = sys.argv[5] if len(sys.argv) > 5 else ""
t = json.load(open(truth))
fails = []
key = lambda h: h.lower().split(".")[0]
foothold = [key(h["name"]) for h in t["hosts"] if h["role"] == "first foothold"][0]
tag = "%s seed %s foothold %s%s" % (sc, t["seed"], foothold,
                                    " (%s)" % mode if mode else "")
for f in ("report.html", "report.md", "report.json", "manifest.json",
          "timeline.csv", "graph.json", "graph.graphml",
          "attack-navigator.json"):
    p = os.path.join(out, f)
    if not os.path.isfile(p) or os.path.getsize(p) == 0:
        fails.append("%s missing or empty" % f)
r = json.load(open(os.path.join(out, "report.json"), encoding="utf-8"))
s = r["summary"]
fh = s.get("first_host")
html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
class P(HTMLParser):
    pass
try:
    P().feed(html)
except Exception as e:
    fails.append("report.html does not parse: %s" % e)
# a URL a browser could fetch: a scheme with "://", or a protocol-relative
# "//host" in an attribute or CSS url(); the inlined graph library's licence
# comments hold "http:\/\/" (escaped by the build, not a URL); the browser
# test (scenario.browser) checks that no request is made at all
if (re.search(r"://", html) or
        re.search(r"(?i)(?:src|href|action|srcset)\s*=\s*[\"']?\s*//", html) or
        re.search(r"(?i)url\(\s*[\"']?\s*//", html)):
    fails.append("report.html holds a URL")
if mode == "mutation":
    if fh == foothold:
        fails.append("first host still %s after dropping the entry step (%s)"
                     % (foothold, s.get("first_host_reason")))
    print("%s: first host %s (%s)" % (tag, fh, s.get("first_host_reason")))
elif mode == "ja":
    for h in ("発生事象", "侵害の痕跡", "調査の制約"):
        if h not in html:
            fails.append("--lang ja: heading %s missing" % h)
    if "Asia/Tokyo" not in html or "+09:00" not in html:
        fails.append("--tz Asia/Tokyo: zone or offset missing")
else:
    if sc == "mksystem" and fh != foothold:
        fails.append("first host %s, expected %s (%s)"
                     % (fh, foothold, s.get("first_host_reason")))
    first = {}
    for st in t["steps"]:
        for ev in st["events"]:
            h = key(ev["file"].split("/")[1])
            if h not in first or ev["time"] < first[h]:
                first[h] = ev["time"]
    steps = r["lateral_movement"]["items"]
    path, seen = [], set()
    for x in steps:
        if x["to"] in first and x["to"] not in seen:
            seen.add(x["to"])
            path.append(x["to"])
    if path != sorted(path, key=lambda h: first[h]):
        fails.append("path %s not in truth's order %s"
                     % (path, sorted(first, key=first.get)))
    accts = {(x.get("account") or "").lower() for x in steps}
    accts |= {(x.get("account") or "").lower()
              for x in r["timeline"]["items"]}
    accts |= {n["label"].lower() for n in r["graph"]["nodes"]
              if n["kind"] == "account"}
    for a in t["accounts"]:
        k = (a["domain"] + "\\" + a["name"]).lower()
        if k not in accts and a["name"].lower() not in accts:
            fails.append("account %s missing" % k)
    # entities (docs/report.md "Entities"): truth's accounts with a logon
    # are listed, admin where truth made them admin (their role says so:
    # make_scenario.py account(..., admin=True) names the admins)
    ent = r.get("entities", {})
    eacc = {x["name"].lower(): x for x in ent.get("accounts", {}).get("items", [])}
    for a in t["accounts"]:
        k = (a["domain"] + "\\" + a["name"]).lower()
        if k not in accts and a["name"].lower() not in accts:
            continue  # no logon in the logs (checked above)
        x = eacc.get(k)
        if x is None:
            fails.append("entities: account %s not listed" % k)
        elif "admin" in a["role"] and not x["admin"]:
            fails.append("entities: %s not admin (truth: %s)" % (k, a["role"]))
    # OKI: the foothold's address is joined to the foothold (a 4624 with its
    # workstation name), so the report names the foothold; without the
    # background its logs begin at its first alert, and the reason must
    # then say so about the foothold
    if sc == "oki":
        fip = [h["ip"] for h in t["hosts"] if h["role"] == "first foothold"][0]
        eaddr = {x["address"]: x for x in ent.get("addresses", {}).get("items", [])}
        if (eaddr.get(fip) or {}).get("host") != foothold:
            fails.append("entities: address %s not joined to %s (%s)"
                         % (fip, foothold, eaddr.get(fip)))
        why = s.get("first_host_reason") or ""
        if fh != foothold and not (t.get("background_events") == 0 and
                                   why.startswith("the logs of %s begin" % foothold)):
            fails.append("first host %s, expected %s (%s)" % (fh, foothold, why))
    if sc == "mksystem":
        tools = " ".join((x.get("name") or "") + " " + (x.get("path") or "")
                         for x in r["tools"]["items"]).lower()
        for name in ("mimikatz", "anydesk"):
            if name not in tools:
                fails.append("tool %s not among the tools %s" % (
                    name, sorted({x["name"] for x in r["tools"]["items"]})))
    # manifest: every input with its SHA-256
    m = json.load(open(os.path.join(out, "manifest.json"), encoding="utf-8"))
    listed = {i["path"]: i for i in m["inputs"]["items"]}
    for root, _, files in os.walk(evtx):
        for f in files:
            p = os.path.join(root, f)
            i = listed.get(p)
            if i is None:
                fails.append("manifest: %s not listed" % p)
                continue
            data = open(p, "rb").read()
            if i["size"] != len(data) or \
                    i["sha256"] != hashlib.sha256(data).hexdigest():
                fails.append("manifest: %s size/SHA-256 differ" % p)
    print("%s: first host %s; path %s; %d tools; %d rows" % (
        tag, fh, " -> ".join(path), len(r["tools"]["items"]),
        len(r["timeline"]["items"])))
for f in fails:
    print("FAIL %s: %s" % (tag, f))
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
    if [ "$sc" = mksystem ] && [ -z "$fh" ]; then
        set -- "" "--drop-step mksystem.rdp_external_logon"
    fi
    for drop in "$@"; do
        out=$WORK/$sc-$seed${fh:+-f$fh}${drop:+-mut}
        # shellcheck disable=SC2086
        python3 "$SRC/tests/tools/make_scenario.py" --scenario "$sc" \
            --seed "$seed" ${fh:+--foothold $fh} $drop "$out" >"$out.gen.log" 2>&1 ||
            { echo "ERROR: make_scenario.py $sc $seed $drop"; cat "$out.gen.log"; exit 2; }
        dir=$out/$sc
        "$KIZUKI" investigate -q -j 2 -o "$dir/report" "$dir/evtx" \
            2>"$dir/investigate.err" ||
            { echo "ERROR: investigate failed on $dir"; cat "$dir/investigate.err"; exit 2; }
        check "$sc" "$dir/truth.json" "$dir/report" "$dir/evtx" \
            ${drop:+mutation} || status=1
        # the timeline is hunt's, byte for byte
        "$KIZUKI" hunt -q -j 1 -o "$dir/hunt.csv" "$dir/evtx" 2>/dev/null
        if ! cmp -s "$dir/hunt.csv" "$dir/report/timeline.csv"; then
            echo "FAIL $sc seed $seed: timeline.csv differs from hunt's"
            status=1
        fi
        if [ -z "$drop" ] && [ -z "$fh" ] && [ "$sc" = mksystem ]; then
            "$KIZUKI" investigate -q --lang ja --tz Asia/Tokyo \
                -o "$dir/report-ja" "$dir/evtx" 2>"$dir/investigate-ja.err" ||
                { echo "ERROR: investigate --lang ja failed on $dir"; exit 2; }
            check "$sc" "$dir/truth.json" "$dir/report-ja" "$dir/evtx" ja ||
                status=1
        fi
        # --internal-nets reaches the logon graph: the RDP source address
        # of MK System (a documentation range) turns internal
        if [ -z "$drop" ] && [ -z "$fh" ] && [ "$sc" = mksystem ]; then
            "$KIZUKI" investigate -q --internal-nets 192.0.2.0/24,198.51.100.0/24,203.0.113.0/24 \
                -o "$dir/report-nets" "$dir/evtx" 2>/dev/null ||
                { echo "ERROR: investigate --internal-nets failed on $dir"; exit 2; }
            python3 - "$dir/report/graph.json" "$dir/report-nets/graph.json" <<'EOF' || status=1
import json, sys
def ext(p):
    g = json.load(open(p))
    return sorted(n["data"]["label"] for n in g["elements"]["nodes"]
                  if n["data"].get("kind") == "address" and n["data"].get("external"))
a, b = ext(sys.argv[1]), ext(sys.argv[2])
if not a or b:
    print("FAIL --internal-nets: external addresses %s, with the nets %s" % (a, b))
    sys.exit(1)
EOF
        fi
    done
done
exit $status
