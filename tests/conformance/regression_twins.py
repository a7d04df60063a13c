#!/usr/bin/env python3
"""regression_twins - each Sigma regression .evtx yields the same events as its .json twin.

DATA/sigma/regression_data holds, per rule test, an .evtx and the evtx_dump (omerbenamram/evtx)
JSON export of the same events (same directory, same basename).  Both go through `kizuki dump`
(the EVTX reader and the JSON reader) and must give the same number of events and, per event in
order, the same System fields and the same data names and values, after the normalisation of
docs/testing.md ("Twin normalisation": numbers vs strings, GUID braces and case, time at
microsecond precision, HexInt padding).  A deviation must be listed in twin-deviations.tsv with a
reason; a NEW, CHANGED or VANISHED one fails the run.

Usage: regression_twins.py --kizuki BUILD/kizuki [--jobs 2] [--update] [--show REL.evtx]
Stdlib only.  Exit 0 pass, 1 fail, 77 skip (no shared data).
"""

import argparse
import concurrent.futures
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "twin-deviations.tsv")
KIND_PREFIX = "twin:"


def twin_value(key, v):
    """Normalised text of one value for the twin comparison."""
    if kzconf.empty(v):
        return None
    if key == "TimeCreated@SystemTime":
        t = kzconf.time_ticks(v.strip())
        # evtx_dump writes microseconds: compare at that precision (truncated)
        return "%d" % (t // 10) if t is not None else v
    if key is not None:
        return kzconf.norm_system_value(key, v)
    # evtx_dump trims trailing whitespace of values; kizuki keeps it (docs/dump-format.md)
    return kzconf.norm_data_value(v.rstrip(" \t\r\n"))


def compare(a, b):
    """[(path, evtx value, json value)] of the differences of two canonical events."""
    diffs = []
    sa, sb = kzconf.norm_system(a["system"]), kzconf.norm_system(b["system"])
    for k in kzconf.SYSTEM_KEYS:
        x, y = twin_value(k, sa[k]), twin_value(k, sb[k])
        if x != y:
            diffs.append(("System/" + k, a["system"].get(k), b["system"].get(k)))
    for path in sorted(set(a["data"]) | set(b["data"])):
        if kzconf.is_xmlns(path):
            continue
        xa = [twin_value(None, v) for v in a["data"].get(path, [])]
        xb = [twin_value(None, v) for v in b["data"].get(path, [])]
        if all(v is None for v in xa) and all(v is None for v in xb):
            continue
        if xa != xb:
            va, vb = a["data"].get(path, []), b["data"].get(path, [])
            diffs.append((path, va[0] if len(va) == 1 else va, vb[0] if len(vb) == 1 else vb))
    return diffs


def show(v):
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ",".join(show(x) for x in v) + "]"
    s = ascii(str(v))[1:-1]
    return s if len(s) <= 60 else s[:60] + "..."


def one(args):
    kizuki, data, rel = args
    evtx = os.path.join(data, rel)
    js = evtx[:-len(".evtx")] + ".json"
    rows = []
    if not os.path.exists(js):
        return rel, [(rel, KIND_PREFIX + "missing", "no .json twin")], 0, 0
    rc1, e1, err1 = kzconf.kizuki_dump(kizuki, evtx)
    rc2, e2, err2 = kzconf.kizuki_dump(kizuki, js)
    if rc1 != 0 or rc2 != 0:
        rows.append((rel, KIND_PREFIX + "exit", "evtx_exit=%d json_exit=%d %s" % (
            rc1, rc2, " ".join((err1 + " " + err2).split())[:160])))
    c1 = [kzconf.canon_from_dump(e) for e in e1]
    c2 = [kzconf.canon_from_dump(e) for e in e2]
    if len(c1) != len(c2):
        rows.append((rel, KIND_PREFIX + "count", "evtx=%d json=%d" % (len(c1), len(c2))))
    rows += diff_events(rel, "", c1, c2, "json")
    # the EVTX reader against the evtx_dump JSON itself (not through kizuki's JSON reader)
    try:
        with open(js, encoding="utf-8-sig") as f:
            raw = [kzconf.canon_from_dump(o) for o in kzconf.json_objects(f.read())]
    except ValueError as e:
        rows.append((rel, KIND_PREFIX + "raw:unreadable", str(e)[:120]))
        raw = None
    if raw is not None:
        if len(c1) != len(raw):
            rows.append((rel, KIND_PREFIX + "raw:count", "evtx=%d evtx_dump=%d" % (len(c1), len(raw))))
        rows += diff_events(rel, "raw:", c1, raw, "evtx_dump")
    return rel, rows, len(c1), len(c2)


def diff_events(rel, sub, c1, c2, other):
    rows = []
    fields = {}
    for i, (a, b) in enumerate(zip(c1, c2)):
        for path, x, y in compare(a, b):
            fields.setdefault(path, []).append((i, x, y))
    for path, lst in sorted(fields.items()):
        i, x, y = lst[0]
        rows.append((rel, KIND_PREFIX + sub + "field:" + path, "events=%d first=#%d evtx=%s %s=%s"
                     % (len(lst), i, show(x), other, show(y))))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kizuki", help="path of the kizuki binary")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true",
                    help="rewrite twin-deviations.tsv from this run")
    ap.add_argument("--show", help="print both canonical forms of one .evtx (relative path)")
    a = ap.parse_args()
    data = kzconf.data_dir_or_skip("sigma", "regression_data")
    kizuki = kzconf.need_kizuki(a.kizuki)
    if a.show:
        for p in (a.show, a.show[:-5] + ".json"):
            rc, evs, err = kzconf.kizuki_dump(kizuki, os.path.join(data, p))
            for e in evs:
                print(p[-5:], json.dumps(kzconf.canon_from_dump(e), sort_keys=True))
            print(p[-5:], "exit", rc, err.strip()[-1000:])
        return 0
    files = kzconf.find_files(data, ".evtx")
    t0 = time.time()
    observed = []
    n1 = n2 = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        for rel, rows, c1, c2 in ex.map(one, [(kizuki, data, f) for f in files]):
            n1 += c1
            n2 += c2
            for r in rows:
                observed.append((os.path.join("sigma", "regression_data", r[0]), r[1], r[2]))
    print("%d twins: %d events from .evtx, %d from .json, %d deviations, %.1f s" % (
        len(files), n1, n2, len(observed), time.time() - t0))
    if len(files) == 0:
        kzconf.fail("no .evtx files under %s" % data)
    regen = "%s %s --kizuki %s" % (os.path.basename(sys.executable), os.path.abspath(__file__),
                                    kizuki)
    ok = kzconf.check_manifest(MANIFEST, observed, lambda k: k.startswith(KIND_PREFIX),
                               a.update, regen)
    if a.update:
        print("UPDATED (an --update run compares nothing)")
        return 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
