#!/usr/bin/env python3
"""test_make_scenario.py - self-test of make_scenario.py (standard library + evtx_writer).

  python3 tests/tools/test_make_scenario.py [-v]

For each scenario and seeds 1 and 2: the output is byte-identical across two runs; every
(file, EventRecordID) of truth.json exists with the right event id (read back with
`kizuki dump` from KZ_BUILD or /work/main/build, else with evtx_writer's record walker);
--drop-step removes exactly that step's events; seeds 1 and 2 differ in names and times.
Ends with "N passed, N failed"; exit status 1 on any failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import evtx_writer as W  # noqa: E402
import make_scenario as MS  # noqa: E402

GEN = os.path.join(HERE, "make_scenario.py")
VERBOSE = "-v" in sys.argv
RESULTS = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    RESULTS["passed" if ok else "failed"] += 1
    if not ok or VERBOSE:
        print("%s %s %s" % ("ok  " if ok else "FAIL", name, detail if not ok else ""))


def run(out, scenario, seed, *extra):
    subprocess.run([sys.executable, GEN, "--scenario", scenario, "--seed", str(seed), out]
                   + list(extra), check=True, stdout=subprocess.DEVNULL)


def tree_bytes(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


def records(path):
    """{record id: event id} of one EVTX file."""
    kz = MS.find_kizuki()
    res = {}
    if kz:
        out = subprocess.run([kz, "dump", "-q", "--no-dedup", path], check=True,
                             stdout=subprocess.PIPE).stdout.decode("utf-8")
        for line in out.splitlines():
            s = json.loads(line)["Event"]["System"]
            eid = s["EventID"]
            res[s["EventRecordID"]] = eid["#text"] if isinstance(eid, dict) else eid
    else:
        with open(path, "rb") as fh:
            buf = bytearray(fh.read())
        for rec in W.iter_records(buf):
            res[rec.record_id] = None
    return res


def main():
    tmp = tempfile.mkdtemp(prefix="kz-scen-")
    try:
        truths = {}
        for seed in (1, 2):
            a, b = os.path.join(tmp, "a%d" % seed), os.path.join(tmp, "b%d" % seed)
            run(a, "all", seed, "--shapes", "evtx,evtx_dump,winlogbeat7,nxlog")
            run(b, "all", seed, "--shapes", "evtx,evtx_dump,winlogbeat7,nxlog")
            ta, tb = tree_bytes(a), tree_bytes(b)
            for sc in MS.SCENARIOS:
                sa = {k: v for k, v in ta.items() if k.startswith(sc + os.sep)}
                sb = {k: v for k, v in tb.items() if k.startswith(sc + os.sep)}
                check("%s.seed%d.deterministic" % (sc, seed), sa == sb and len(sa) > 3,
                      "%d vs %d files, differing: %s" % (
                          len(sa), len(sb), [k for k in sa if sa.get(k) != sb.get(k)][:3]))
                with open(os.path.join(a, sc, "truth.json")) as fh:
                    truth = json.load(fh)
                truths[(sc, seed)] = truth
                cache, missing, total = {}, [], 0
                for st in truth["steps"]:
                    check("%s.seed%d.%s.has_events" % (sc, seed, st["key"]),
                          len(st["events"]) > 0)
                    for e in st["events"]:
                        total += 1
                        f = os.path.join(a, sc, e["file"])
                        if f not in cache:
                            cache[f] = records(f) if os.path.exists(f) else {}
                        got = cache[f].get(e["record_id"], "absent")
                        if got == "absent" or (got is not None and got != e["event_id"]):
                            missing.append((e["file"], e["record_id"], got))
                check("%s.seed%d.truth_events_exist" % (sc, seed), not missing and total > 0,
                      "missing %s" % missing[:3])
                nfile = sum(len(records(os.path.join(a, sc, f))) for f in truth["files"])
                check("%s.seed%d.counts" % (sc, seed),
                      nfile == truth["attack_events"] + truth["background_events"],
                      "%d records vs %d+%d" % (nfile, truth["attack_events"],
                                               truth["background_events"]))
                with open(os.path.join(a, sc, "json", "evtx_dump.jsonl")) as fh:
                    nj = sum(1 for _ in fh)
                check("%s.seed%d.json_same_events" % (sc, seed), nj == nfile)
        for sc in MS.SCENARIOS:
            t1, t2 = truths[(sc, 1)], truths[(sc, 2)]
            check("%s.seeds_differ.hosts" % sc,
                  [h["name"] for h in t1["hosts"]] != [h["name"] for h in t2["hosts"]])
            check("%s.seeds_differ.accounts" % sc,
                  [x["name"] for x in t1["accounts"]] != [x["name"] for x in t2["accounts"]])
            check("%s.seeds_differ.times" % sc,
                  [s["time"] for s in t1["steps"]] != [s["time"] for s in t2["steps"]])
            check("%s.steps_in_order" % sc,
                  [s["key"] for s in t1["steps"]] == [s["key"] for s in t2["steps"]])
            # drop one step (the middle one), seed 1
            full = t1
            key = full["steps"][len(full["steps"]) // 2]["key"]
            d = os.path.join(tmp, "drop-" + sc)
            run(d, sc, 1, "--drop-step", key)
            with open(os.path.join(d, sc, "truth.json")) as fh:
                dt = json.load(fh)
            gone = {}
            for e in next(s for s in full["steps"] if s["key"] == key)["events"]:
                gone[e["file"]] = gone.get(e["file"], 0) + 1
            ok = True
            for f, n in full["files"].items():
                want = n - gone.get(f, 0)
                have = dt["files"].get(f, 0)
                p = os.path.join(d, sc, f)
                have_rec = len(records(p)) if os.path.exists(p) else 0
                if want != have or want != have_rec:
                    ok = False
            dstep = next(s for s in dt["steps"] if s["key"] == key)
            others_same = all(len(s["events"]) == len(o["events"]) for s, o in
                              zip(dt["steps"], full["steps"]) if s["key"] != key)
            check("%s.drop_step.%s" % (sc, key), ok and dstep["dropped"] and
                  not dstep["events"] and others_same and
                  dt["background_events"] == full["background_events"])
        # MK System: documented JST times
        mk = {s["key"]: s["time"] for s in truths[("mksystem", 1)]["steps"]}
        check("mksystem.times_jst",
              mk["mksystem.rdp_external_logon"].startswith("2023-06-04T16:12") and
              mk["mksystem.domain_admin"].startswith("2023-06-04T16:42") and
              mk["mksystem.process_list_tool"].startswith("2023-06-04T17:18") and
              mk["mksystem.ransomware_fanout"].startswith("2023-06-04T18:14"), str(mk))
        # --foothold moves the first foothold
        d0, d1 = os.path.join(tmp, "fh0"), os.path.join(tmp, "fh1")
        run(d0, "mksystem", 1, "--foothold", "0")
        run(d1, "mksystem", 1, "--foothold", "1")
        f = []
        for d in (d0, d1):
            with open(os.path.join(d, "mksystem", "truth.json")) as fh:
                t = json.load(fh)
            f.append([h["name"] for h in t["hosts"] if h["role"] == "first foothold"])
        check("mksystem.foothold_option", len(f[0]) == 1 and len(f[1]) == 1 and f[0] != f[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
