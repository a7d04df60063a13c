#!/usr/bin/env python3
"""check_breach.py - the five breach scenarios, hunted end to end: alerts that must fire, in order,
and must go away when their step is removed.

  python3 tests/scenarios/breach/check_breach.py --kizuki BIN [--seeds 1,2,3] [--scenario X]...
          [--shapes evtx_dump] [--background auto|none|PATH] [--jobs 2] [--report] WORKDIR

For every scenario and seed it generates the breach with tests/tools/make_scenario.py (imported,
so the background pool is read once), runs `BIN hunt DIR/evtx -f jsonl -q -j 1` (default rules:
kizuki's pack and analytics; SigmaHQ is not loaded) and checks (README.md next to this file):
  output             every detection has a RuleID, a RuleTitle and a known Level
  a. step coverage   every key step has a detection >= medium on one of its events
  b. order           the first detections of the key steps come in the steps' time order
  c. background      with every step dropped, nothing >= medium fires
  d. mutation        dropping a key step removes the (single-step) alerts that fired only on
                     it, and brings no new >= high alert
  e. foothold        the earliest >= medium alert naming a foothold candidate names truth's
                     "first foothold", also after --foothold moves it elsewhere
  f. JSON twin       the same events as a JSON shape give the same (RuleID, RecordID, Computer)
                     set (integrity analytics excluded)
Every failure is printed with scenario, seed, step, expected and found. Exit 0 = all passed,
1 = a check failed, 2 = usage or run error, 77 = skipped (generator cannot be imported).
--report prints the per-step table of fired rule ids and the failures, and exits 0.
"""
import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOLS = os.path.join(TOP, "tests", "tools")

LEVELS = {"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
LOW, MEDIUM, HIGH = 1, 2, 3

# Steps a CSIRT tool must flag (shared/docs/incidents-and-scenarios.md): each has a Sigma rule
# of the doc's "Analytic" column or one of the analytics (D1, D2, D3, D5, D8, D11).
# Steps left out need analytics outside this issue (D4 fan-out of the management channel, D6
# beaconing, D7 IOC retro-hunt, D9 entity graph, D10 mailboxes per principal, D12 rare
# autostart) or are not suspicious alone (a few failed logons, a kernel driver service).
KEY_STEPS = {
    "mitsubishi": ["av_console_exploit", "fileless_powershell", "renamed_powershell",
                   "av_detection", "log_cleared"],
    "nec": ["service_persistence", "bulk_share_read", "log_cleared"],
    "toshiba": ["mailbox_export"],
    "mksystem": ["rdp_external_logon", "domain_admin", "remote_access_tool", "credential_dump",
                 "pentest_framework", "ransomware_fanout"],
    "oki": ["network_scan", "bulk_share_read"],
}

# Role of the foothold candidates in truth.json (the chosen one becomes "first foothold").
# nec has no entry: none of its key steps happens on or names the subsidiary PC (its only
# trace is the subsidiary logon, an entity-graph analytic, D9, outside this issue).
FOOTHOLD_ROLE = {
    "mitsubishi": "workstation (Japan)",
    "toshiba": "outsourced vendor host / monitoring server",
    "mksystem": "public RemoteApp server",
    "oki": "overseas subsidiary server",
}

# Findings that legitimately differ between EVTX and JSON input (record-id and parse coverage
# can only be judged on EVTX): left out of the JSON twin comparison.
JSON_EXCLUDED = re.compile(r"^kz_a_(log_.*|json_coverage|not_evaluated)$")

# "<path>.evtx record N" (correlations, analytics), also "<path>.evtx#N" and "<path>.evtx:N";
# a bare "record N" is in the detection's own file (analytics write it so).
REF_RE = re.compile(r"(?:([^\s,;|\u00a6]+?\.evtx)(?:\s+record\s+|[#:])|"
                    r"(?<![\w.])record\s+)(\d+)", re.I)

MS = None            # make_scenario, imported in main()
BG_POOL = []         # background events, loaded once before the workers fork
OPTS = None


# ---------------------------------------------------------------------------------------------
# generation and hunting

def generate(scenario, seed, out, drop=(), foothold=None, shapes=("evtx",)):
    """Generates one variant under out/<scenario>/ (fresh) and returns its truth."""
    sc_dir = os.path.join(out, scenario)
    if os.path.isdir(sc_dir):
        shutil.rmtree(sc_dir)
    drop = set(drop)
    try:
        return MS.build(scenario, seed, out, BG_POOL, OPTS.background_per_host, list(shapes),
                        drop, foothold)
    except IndexError:
        # make_scenario.build() reads the first remaining event's time to place the
        # background; with every step dropped there is none (reported as a generator bug).
        # Place the background over the full run's span instead, as a fixed generator would.
        if not BG_POOL or not drop:
            raise
        return _build_all_dropped(scenario, seed, out, drop, foothold, shapes)


def _build_all_dropped(scenario, seed, out, drop, foothold, shapes):
    full = os.path.join(out, ".span")
    t = MS.build(scenario, seed, full, [], 0, [], set(), foothold)
    shutil.rmtree(full, ignore_errors=True)
    times = sorted(e["time"] for st in t["steps"] for e in st["events"])
    real_sorted = MS.__dict__.get("sorted")

    def span_sorted(it, *a, **kw):
        r = sorted(it, *a, **kw)
        return r if r or a or kw else [times[0], times[-1]]
    MS.sorted = span_sorted
    try:
        return MS.build(scenario, seed, out, BG_POOL, OPTS.background_per_host, list(shapes),
                        drop, foothold)
    finally:
        if real_sorted is None:
            del MS.sorted
        else:
            MS.sorted = real_sorted


def hunt(path):
    """Runs hunt over path; returns the detections (list of dicts) or raises RuntimeError."""
    cmd = [OPTS.kizuki, "hunt", path, "-f", "jsonl", "-q", "-j", "1"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("`%s` exited with %d: %s" % (
            " ".join(cmd), p.returncode, p.stderr.decode("utf-8", "replace")[-600:]))
    out = []
    for n, line in enumerate(p.stdout.decode("utf-8", "replace").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise RuntimeError("`%s`: output line %d is not JSON: %.200s" % (
                    " ".join(cmd), n, line))
    return out


def level(d):
    return LEVELS.get(str(d.get("Level", "")).lower(), -1)


def values(d):
    """Every Details and ExtraFieldInfo value of a detection, as text."""
    out = []
    for col in ("Details", "ExtraFieldInfo"):
        v = d.get(col)
        if isinstance(v, dict):
            out.extend(str(x) for x in v.values())
        elif v:
            out.append(str(v))
    return out


class Run(object):
    """One generated variant and its hunt output, with detections mapped to steps."""

    def __init__(self, sc_dir, truth, dets):
        self.dir = sc_dir
        self.truth = truth
        self.dets = dets
        self.step_of = {}
        for st in truth["steps"]:
            for e in st["events"]:
                self.step_of[(e["file"], int(e["record_id"]))] = st["key"]
        for d in dets:
            d["_own"] = self.own_ref(d)
            refs = set()
            for v in values(d):
                for m in REF_RE.finditer(v):
                    if m.group(1):
                        refs.add((self.rel(m.group(1)), int(m.group(2))))
                    elif d["_own"]:
                        refs.add((d["_own"][0], int(m.group(2))))
            d["_refs"] = refs
            d["_direct"] = self.step_of.get(d["_own"])
            d["_via"] = {self.step_of[r] for r in refs if r in self.step_of}

    def rel(self, path):
        p = os.path.normpath(path)
        if os.path.isabs(p) or p.startswith(os.path.normpath(self.dir)):
            p = os.path.relpath(p, self.dir)
        i = p.replace(os.sep, "/").find("evtx/")
        return p.replace(os.sep, "/")[i:] if i >= 0 else p

    def own_ref(self, d):
        f, r = d.get("File"), d.get("RecordID")
        if not f or r is None or not str(f).endswith(".evtx"):
            return None
        return (self.rel(str(f)), int(r))

    def for_step(self, key, min_level=MEDIUM):
        """(direct, via reference) detections of step key at or above min_level."""
        direct = [d for d in self.dets if d["_direct"] == key and level(d) >= min_level]
        via = [d for d in self.dets if d["_direct"] != key and key in d["_via"]
               and level(d) >= min_level]
        return direct, via


def describe(d):
    return "%s [%s] %s %s rec %s on %s: %s" % (
        d.get("RuleID"), d.get("Level"), d.get("Timestamp"), d.get("_own", ("?",))[0]
        if d.get("_own") else d.get("File"), d.get("RecordID"), d.get("Computer"),
        "; ".join("%s=%s" % (k, str(v)[:80]) for k, v in (d.get("Details") or {}).items())[:300]
        if isinstance(d.get("Details"), dict) else str(d.get("Details"))[:300])


# ---------------------------------------------------------------------------------------------
# the checks of one (scenario, seed)

def check_one(job):
    scenario, seed = job
    t_start = time.time()
    fails, rows, notes, titles = [], [], [], {}
    base = os.path.join(OPTS.workdir, "%s-s%d" % (scenario, seed))

    def fail(check, step, expected, found):
        fails.append("FAIL %s seed %d %s [%s]: expected %s; found %s" % (
            scenario, seed, step or "-", check, expected, found))

    def variant(name, **kw):
        out = os.path.join(base, name)
        truth = generate(scenario, seed, out, **kw)
        sc_dir = os.path.join(out, scenario)
        ev = os.path.join(sc_dir, "evtx")
        dets = hunt(ev) if os.path.isdir(ev) else []
        return Run(sc_dir, truth, dets)

    try:
        shapes = ["evtx"] + [s for s in OPTS.shapes if s != "evtx"]
        full = variant("full", shapes=shapes)
        truth = full.truth
        all_keys = [st["key"] for st in truth["steps"]]
        keys = ["%s.%s" % (scenario, s) for s in KEY_STEPS[scenario]]
        missing = [k for k in keys if k not in all_keys]
        if missing:
            fail("setup", None, "key steps %s in truth.json" % missing, all_keys)
            keys = [k for k in keys if k in all_keys]

        # report rows: every step, what fired on it (any level)
        for d in full.dets:
            titles[str(d.get("RuleID"))] = str(d.get("RuleTitle"))
        for st in truth["steps"]:
            direct, via = full.for_step(st["key"], min_level=0)
            rows.append((scenario, seed, st["key"].split(".", 1)[1], st["key"] in keys,
                         sorted({"%s(%s)" % (d["RuleID"], d["Level"][:4]) for d in direct}),
                         sorted({"%s(%s)" % (d["RuleID"], d["Level"][:4]) for d in via})))

        # every row is a well-formed alert: rule id, title, a known level
        bad = [d for d in full.dets if not d.get("RuleID") or not d.get("RuleTitle")
               or level(d) < 0]
        if bad:
            fail("output", None, "every detection with RuleID, RuleTitle and a known Level",
                 "%d without, first: %s (%s)" % (len(bad), describe(bad[0]),
                                                 bad[0].get("RuleTitle")))

        # a. step coverage
        first = {}
        for k in keys:
            direct, via = full.for_step(k)
            if not direct and not via:
                st = next(s for s in truth["steps"] if s["key"] == k)
                low = [d["RuleID"] for d in full.dets if d["_direct"] == k]
                fail("coverage", k.split(".", 1)[1],
                     "a detection >= medium on one of its %d events (%s)" % (
                         len(st["events"]), ", ".join(sorted({"%s/%s" % (
                             e["channel"].split("/")[0].replace("Microsoft-Windows-", ""),
                             e["event_id"]) for e in st["events"]}))),
                     "none" + (" (below medium: %s)" % ", ".join(sorted(set(low))) if low
                               else ""))
                continue
            ts = [d["Timestamp"] for d in (direct or via) if d.get("Timestamp") not in
                  (None, "-")]
            if ts:
                first[k] = min(ts)

        # b. order: along the steps' own times (truth's list order, stably by step time)
        order = sorted([s for s in truth["steps"] if s["key"] in first],
                       key=lambda s: s["time"])
        for a, b in zip(order, order[1:]):
            if first[a["key"]] > first[b["key"]]:
                fail("order", b["key"].split(".", 1)[1],
                     "its first alert after %s's (%s)" % (a["key"].split(".", 1)[1],
                                                          first[a["key"]]),
                     first[b["key"]])

        # c. background alone
        bg = variant("background", drop=all_keys)
        if not BG_POOL:
            notes.append("%s seed %d: background check vacuous (--background none: no events)"
                         % (scenario, seed))
        for d in bg.dets:
            if level(d) >= MEDIUM:
                fail("background", None, "nothing >= medium with every step dropped",
                     describe(d))

        # d. mutation: drop each key step
        full_hi = {(d["RuleID"], d.get("Computer")) for d in full.dets if level(d) >= HIGH}
        for k in keys:
            # single-step alerts: on this step's events, at low or above (informational
            # notes such as kz_a_not_evaluated are not alerts), listing no other step's events
            on_step = {d["RuleID"] for d in full.dets if d["_direct"] == k
                       and level(d) >= LOW and not (d["_via"] - {k})}
            multi = {d["RuleID"] for d in full.dets if d["_direct"] == k
                     and level(d) >= LOW and d["_via"] - {k}}
            elsewhere = {d["RuleID"] for d in full.dets if d["_direct"] != k}
            only = on_step - elsewhere - multi
            for rid in sorted(multi - elsewhere):
                notes.append("%s seed %d: mutation %s: %s also lists other steps' events "
                             "(multi-step alert): not required to disappear" % (
                                 scenario, seed, k.split(".", 1)[1], rid))
            mut = variant("drop-" + k.split(".", 1)[1], drop=[k])
            still, new = {}, {}
            for d in mut.dets:
                if d["RuleID"] in only:
                    still.setdefault(d["RuleID"], []).append(d)
                elif level(d) >= HIGH and (d["RuleID"], d.get("Computer")) not in full_hi:
                    new.setdefault(d["RuleID"], []).append(d)
            for rid, ds in sorted(still.items()):
                fail("mutation", k.split(".", 1)[1],
                     "rule %s (fired only on this step) absent after --drop-step" % rid,
                     "still fires %d time(s), first: %s" % (len(ds), describe(ds[0])))
            for rid, ds in sorted(new.items()):
                fail("mutation", k.split(".", 1)[1],
                     "no new >= high alert after --drop-step",
                     "%s %d time(s) on %s, first: %s" % (
                         rid, len(ds), ",".join(sorted({str(d.get("Computer")) for d in ds})),
                         describe(ds[0])))

        # e. foothold
        role = FOOTHOLD_ROLE.get(scenario)
        if role:
            cands = [h for h in truth["hosts"] if h["role"] in ("first foothold", role)]
            fh = [i for i, h in enumerate(cands) if h["role"] == "first foothold"]
            if len(cands) < 2 or len(fh) != 1:
                fail("foothold", None, "one first foothold among >= 2 candidates (%s)" % role,
                     [(h["name"], h["role"]) for h in cands])
            else:
                alt = (fh[0] + 1) % len(cands)
                moved = variant("foothold%d" % alt, foothold=alt)
                got = []
                for name, run in (("seeded", full), ("--foothold %d" % alt, moved)):
                    want = next(h for h in run.truth["hosts"] if h["role"] == "first foothold")
                    cs = [h for h in run.truth["hosts"] if h["role"] in ("first foothold", role)]
                    named = earliest_naming(run, cs)
                    got.append(want["name"])
                    if named is None:
                        fail("foothold", None, "%s run: an alert >= medium naming %s" % (
                            name, want["name"]), "no alert names a foothold candidate")
                    else:
                        notes.append("%s seed %d: foothold, %s run: %s named first by %s at %s"
                                     % (scenario, seed, name, named[0], named[1]["RuleID"],
                                        named[1]["Timestamp"]))
                    if named is not None and named[0] != want["name"]:
                        fail("foothold", None, "%s run: earliest alert naming a candidate "
                             "names %s" % (name, want["name"]),
                             "%s: %s" % (named[0], describe(named[1])))
                if got[0] == got[1]:
                    fail("foothold", None, "--foothold %d moves the foothold" % alt,
                         "same host %s" % got[0])

        # f. JSON twin
        for sh in shapes:
            if sh == "evtx":
                continue
            jpath = os.path.join(full.dir, "json", sh + ".jsonl")
            jd = hunt(jpath)
            a = {(d["RuleID"], d.get("RecordID"), d.get("Computer")) for d in full.dets
                 if not JSON_EXCLUDED.match(str(d["RuleID"]))}
            b = {(d["RuleID"], d.get("RecordID"), d.get("Computer")) for d in jd
                 if not JSON_EXCLUDED.match(str(d["RuleID"]))}
            for what, diff in (("missing from", a - b), ("only in", b - a)):
                by_rule = {}
                for x in diff:
                    by_rule.setdefault(x[0], []).append(x)
                for rid, xs in sorted(by_rule.items(), key=lambda kv: str(kv[0])):
                    xs.sort(key=str)
                    fail("json-twin", None, "the same (RuleID, RecordID, Computer) set from "
                         "%s as from EVTX" % sh, "%s %d detection(s) %s the JSON run: %s" % (
                             rid, len(xs), what, ", ".join("record %s on %s" % (x[1], x[2])
                                                           for x in xs[:4])))
    except RuntimeError as e:
        fail("run", None, "hunt to succeed", str(e))
    except (Exception, SystemExit) as e:  # a generator error must not hang the pool
        fail("run", None, "generation and checks to run",
             "%s: %s" % (type(e).__name__, traceback.format_exc(limit=3)[-800:]))
    if not OPTS.keep:
        shutil.rmtree(base, ignore_errors=True)
    return scenario, seed, fails, rows, notes, time.time() - t_start, titles


def earliest_naming(run, cands):
    """(candidate name, detection) of the earliest >= medium detection naming a candidate
    (its Computer, or a Details/ExtraFieldInfo value holding the name or address)."""
    pats = []
    for h in cands:
        pats.append((h["name"], re.compile(r"(?<![A-Za-z0-9_-])%s(?![A-Za-z0-9_-])" %
                                           re.escape(h["name"]), re.I),
                     re.compile(r"(?<![\d.])%s(?![\d.])" % re.escape(h["ip"]))))
    best = None
    for d in run.dets:
        if level(d) < MEDIUM or d.get("Timestamp") in (None, "-"):
            continue
        comp = str(d.get("Computer") or "").split(".")[0].lower()
        hit = next((n for n, _, _ in pats if n.lower() == comp), None)
        if hit is None:
            vs = values(d)
            hit = next((n for n, pn, pi in pats if any(pn.search(v) or pi.search(v)
                                                        for v in vs)), None)
        if hit is not None and (best is None or d["Timestamp"] < best[1]["Timestamp"]):
            best = (hit, d)
    return best


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    global MS, BG_POOL, OPTS
    ap = argparse.ArgumentParser(description="breach scenario tests (see the module docstring)")
    ap.add_argument("workdir")
    ap.add_argument("--kizuki", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--scenario", action="append", default=[],
                    help="scenario(s), repeatable or comma-separated (default: all five)")
    ap.add_argument("--shapes", default="evtx_dump",
                    help="JSON shapes for the twin check, comma-separated ('' = none)")
    ap.add_argument("--background", default="auto",
                    help="auto (shared evtx-rs-samples when present), none, or a path")
    ap.add_argument("--background-per-host", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--report", action="store_true",
                    help="print the per-step table of fired rules; do not fail")
    ap.add_argument("--keep", action="store_true", help="keep the generated directories")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print what passed")
    OPTS = ap.parse_args(argv)
    OPTS.kizuki = os.path.abspath(OPTS.kizuki)
    OPTS.workdir = os.path.abspath(OPTS.workdir)
    OPTS.shapes = [s for s in OPTS.shapes.split(",") if s]
    if not os.access(OPTS.kizuki, os.X_OK):
        print("check_breach: %s is not executable" % OPTS.kizuki)
        return 2
    try:
        sys.path.insert(0, TOOLS)
        import make_scenario
        MS = make_scenario
    except Exception as e:  # pragma: no cover - a broken or missing generator
        print("check_breach: SKIP: cannot import tests/tools/make_scenario.py (%s)" % e)
        return 77
    scen = [s for a in OPTS.scenario for s in a.split(",") if s] or list(MS.SCENARIOS)
    for s in scen:
        if s not in KEY_STEPS:
            ap.error("unknown scenario %s (one of %s)" % (s, ", ".join(KEY_STEPS)))
    for sh in OPTS.shapes:
        if sh not in MS.SHAPES or sh == "evtx":
            ap.error("unknown JSON shape %s" % sh)
    try:
        seeds = [int(x) for x in OPTS.seeds.split(",") if x.strip()]
    except ValueError:
        ap.error("--seeds: comma-separated integers")

    bg = OPTS.background
    if bg == "auto":
        d = os.path.join(os.environ.get("KIZUKI_SHARED", "/work/shared"), "data", "evtx",
                         "evtx-rs-samples")
        bg = d if os.path.isdir(d) else "none"
        if bg == "none":
            print("check_breach: %s absent: --background none (the background check then "
                  "runs on no events at all)" % d)
    if bg != "none":
        MS.find_kizuki = lambda: OPTS.kizuki
        BG_POOL = MS.load_background([bg])
        if not BG_POOL:
            print("check_breach: no background event kept from %s" % bg)
            return 2
    print("check_breach: scenarios %s, seeds %s, background %s (%d events), twin shapes %s"
          % (",".join(scen), ",".join(map(str, seeds)), bg, len(BG_POOL),
             ",".join(OPTS.shapes) or "none"))
    sys.stdout.flush()

    os.makedirs(OPTS.workdir, exist_ok=True)
    jobs = [(s, n) for s in scen for n in seeds]
    t0 = time.time()
    if OPTS.jobs > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(min(OPTS.jobs, len(jobs))) as pool:
            results = pool.map(check_one, jobs, chunksize=1)
    else:
        results = [check_one(j) for j in jobs]
    elapsed = time.time() - t0

    allfails = [f for r in results for f in r[2]]
    if OPTS.report:
        print_report(results)
    for r in results:
        for n in r[4]:
            if OPTS.verbose or "vacuous" in n:
                print("note: " + n)
    for f in allfails:
        print(f)
    print("check_breach: %d scenario runs, %d failed checks, %.1f s" % (
        len(results), len(allfails), elapsed))
    if any(" [run]: " in f for f in allfails):
        return 2
    if OPTS.report:
        return 0
    return 1 if allfails else 0


def print_report(results):
    titles = {}
    for r in results:
        titles.update(r[6])
    print("%-10s %4s %-22s %3s  %s" % ("scenario", "seed", "step", "key",
                                       "fired on its events (level) | via reference"))
    for r in sorted(results, key=lambda x: (x[0], x[1])):
        for sc, seed, step, key, direct, via in r[3]:
            print("%-10s %4d %-22s %3s  %s%s" % (sc, seed, step, "yes" if key else "",
                                                 " ".join(direct) or "-",
                                                 (" | " + " ".join(via)) if via else ""))
    print()
    for rid in sorted(titles):
        print("%-38s %s" % (rid, titles[rid]))
    print()


if __name__ == "__main__":
    sys.exit(main())
