#!/usr/bin/env python3
"""sigma_regression - every SigmaHQ regression test: the named rule fires on its .evtx and .json.

DATA/sigma/regression_data holds, per rule, an info.yml naming the rule (rule_metadata id) and an
.evtx (regression_tests_info path, optional match_count) plus its evtx_dump .json twin.  ONE
`kizuki hunt --no-default-rules --no-dedup -f jsonl` run reads every .evtx and .json with
every rule of the rule trees the info.yml files live in (rules/, rules-emerging-threats/,
rules-threat-hunting/: the whole trees, so the rule set is compiled once and other rules
must not disturb the named one).  Then, per info.yml, the detections whose RuleID is the named
rule are counted on the .evtx and on the .json: exactly match_count when given (SigmaHQ's runner
takes it as a lower bound; we are stricter), at least one otherwise.  Every miss is an observed
deviation (sigma:evtx, sigma:json, sigma:norule, sigma:missing) and must be listed in
sigma-deviations.tsv with a reason; a NEW, CHANGED or VANISHED one fails (docs/testing.md).

Usage: sigma_regression.py --kizuki BUILD/kizuki [--jobs 2] [--update] [--show REL_DIR]
--show prints, for one regression folder (relative to regression_data, or its rule id), every
detection of the run on its files and `kizuki rules check` of the named rule.
Stdlib only.  Exit 0 pass, 1 fail, 77 skip (no shared data).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "sigma-deviations.tsv")
KIND_PREFIX = "sigma:"
# The jsonl keys of `kizuki hunt -f jsonl` (docs/output.md): exactly these.
HUNT_KEYS = {"Timestamp", "RuleTitle", "Level", "Computer", "Channel", "EventID", "RecordID",
             "Details", "ExtraFieldInfo", "RuleID", "RuleAuthor", "File"}


# --- kizuki hunt (also used by sigma_golden.py and hunt_roundtrip.py) ---------------------------

def run_hunt(kizuki, args, cwd=None, stdin=None, what="kizuki hunt"):
    """Runs `kizuki hunt -f jsonl ARGS`, with --no-rule-cache unless ARGS name a --rule-cache
    (the rules are compiled: the reference path), and TMPDIR and XDG_CACHE_HOME a private
    directory removed after (nothing is written to the user's cache or /tmp); returns (exit
    code, [detection objects], summary lines of stderr about rules and detections, seconds).
    Exit codes other than 0/1 fail the test at once with kizuki's stderr; a line that is not a
    JSON object with exactly HUNT_KEYS fails it too."""
    cache = [] if "--rule-cache" in args else ["--no-rule-cache"]
    cmd = [kizuki, "hunt", "-f", "jsonl"] + cache + list(args)
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="kz-conf-") as tmp:
        env = dict(os.environ, TMPDIR=tmp, XDG_CACHE_HOME=tmp)
        p = subprocess.run(cmd, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
    secs = time.time() - t0
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 1):
        kzconf.fail("%s exited %d (0 or 1 expected); command: %s\nits stderr ends:\n%s"
                    % (what, p.returncode, " ".join(cmd[:12]) + (" ..." if len(cmd) > 12 else ""),
                       err.strip()[-3000:]))
    summary = "\n".join(line.replace(tmp, "$TMPDIR") for line in err.split("\n")
                        if re.match(r"kizuki: (rules:|[\d,]+ detections?|no detection)", line))
    return p.returncode, parse_jsonl(p.stdout, what), summary, secs


def parse_jsonl(raw, what):
    dets = []
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError:
            kzconf.fail("%s: output line %d is not JSON: %r" % (what, n, line[:200]))
        if not isinstance(d, dict) or set(d) != HUNT_KEYS:
            kzconf.fail("%s: output line %d does not have exactly the jsonl keys %s: %r"
                        % (what, n, sorted(HUNT_KEYS), line[:300]))
        dets.append(d)
    return dets


def rule_ids(tree):
    """{rule id: path} of every .yml under tree (the top-level `id:` line; stdlib only)."""
    out = {}
    for rel in kzconf.find_files(tree, ".yml"):
        p = os.path.join(tree, rel)
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"id:\s*['\"]?([0-9A-Fa-f-]{36})", line)
                if m:
                    out[m.group(1).lower()] = p
                    break
    return out


# --- info.yml ---------------------------------------------------------------------------------

def parse_info(path):
    """The fields of one info.yml this test needs: {"rule": id, "title": text, "tests":
    [{"path": ..., "match_count": int or None}]}.  The files have one fixed shape (SOURCE.md);
    commented-out lines are ignored, as YAML does."""
    info = {"rule": None, "title": None, "tests": []}
    section = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("#") or not line.strip():
                continue
            if not line.startswith(" "):
                section = line.split(":", 1)[0].strip()
                continue
            m = re.match(r"\s*-?\s*(\w+):\s*(.*?)\s*$", line)
            if not m:
                continue
            key, val = m.group(1), m.group(2).strip("'\"")
            new_item = line.strip().startswith("- ")
            if section == "rule_metadata":
                if key == "id" and info["rule"] is None:
                    info["rule"] = val.lower()
                elif key == "title" and info["title"] is None:
                    info["title"] = val
            elif section == "regression_tests_info":
                if new_item or not info["tests"]:
                    info["tests"].append({"path": None, "match_count": None, "type": None})
                t = info["tests"][-1]
                if key == "path":
                    t["path"] = val
                elif key == "match_count":
                    t["match_count"] = int(val)
                elif key == "type":
                    t["type"] = val
    return info


def expect_text(mc):
    return "%d" % mc if mc is not None else ">=1"


def ok_count(n, mc):
    return n == mc if mc is not None else n >= 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kizuki", help="path of the kizuki binary")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true",
                    help="rewrite sigma-deviations.tsv from this run")
    ap.add_argument("--show", help="regression folder (relative to regression_data) or rule id")
    a = ap.parse_args()
    sigma = kzconf.data_dir_or_skip("sigma")
    data = kzconf.data_dir_or_skip("sigma", "regression_data")
    kizuki = os.path.abspath(kzconf.need_kizuki(a.kizuki))

    infos = []       # (folder relative to regression_data, info)
    untested = []
    for rel in kzconf.find_files(data, "info.yml"):
        info = parse_info(os.path.join(data, rel))
        (infos if info["tests"] else untested).append((os.path.dirname(rel), info))
    if not infos:
        kzconf.fail("no info.yml with regression tests under %s" % data)
    trees = sorted({folder.split(os.sep)[0] for folder, _ in infos})
    ids = {}
    for t in trees:
        ids.update(rule_ids(os.path.join(sigma, t)))

    # ONE hunt over every .evtx and .json named by the info.yml files, paths relative to data
    inputs = []
    for folder, info in infos:
        for t in info["tests"]:
            rel = os.path.relpath(os.path.join(sigma, t["path"] or ""), data)
            for p in (rel, rel[:-len(".evtx")] + ".json" if rel.endswith(".evtx") else None):
                if p and os.path.isfile(os.path.join(data, p)):
                    inputs.append(p)
    args = ["--no-default-rules", "--no-dedup", "-j", str(max(1, a.jobs))]
    for t in trees:
        args += ["-r", os.path.join(sigma, t)]
    rc, dets, err, secs = run_hunt(kizuki, args + inputs, cwd=data)
    hits = {}        # (File, RuleID) -> count
    for d in dets:
        key = (d["File"], str(d["RuleID"]).lower())
        hits[key] = hits.get(key, 0) + 1

    if a.show:
        return show(kizuki, a.show, infos, ids, dets, data, sigma)

    observed = []
    passed = 0
    for folder, info in infos:
        rid = info["rule"]
        good = True
        where = os.path.join("sigma", "regression_data", folder)
        if rid not in ids:
            observed.append((where, KIND_PREFIX + "norule", "rule %s not found in %s"
                             % (rid, ",".join(trees))))
            good = False
        for t in info["tests"]:
            evtx = os.path.relpath(os.path.join(sigma, t["path"] or ""), data)
            twins = [("evtx", evtx)]
            if evtx.endswith(".evtx"):
                twins.append(("json", evtx[:-len(".evtx")] + ".json"))
            for kind, rel in twins:
                if not os.path.isfile(os.path.join(data, rel)):
                    observed.append((where, KIND_PREFIX + "missing", "%s file %s absent"
                                     % (kind, os.path.basename(rel))))
                    good = False
                    continue
                n = hits.get((rel, rid), 0)
                if not ok_count(n, t["match_count"]):
                    others = sorted({r for (f, r) in hits if f == rel and r != rid})
                    observed.append((where, KIND_PREFIX + kind, "fired=%d expected=%s others=%d"
                                     % (n, expect_text(t["match_count"]), len(others))))
                    good = False
        passed += good
    print("%d regression tests (%d info.yml without a test: %s), %d inputs, rule trees %s: "
          "%d detections in %.1f s (hunt exit %d); %d/%d pass, %d deviations"
          % (len(infos), len(untested), ",".join(f for f, _ in untested) or "-", len(inputs),
             ",".join(trees), len(dets), secs, rc, passed, len(infos), len(observed)))
    for line in err.split("\n"):
        if line.strip():
            print("  hunt: " + line)
    for where, kind, det in observed:
        print("  deviation: %s %s %s" % (where, kind, det))
    regen = "%s %s --kizuki %s" % (os.path.basename(sys.executable), os.path.abspath(__file__),
                                    kizuki)
    ok = kzconf.check_manifest(MANIFEST, observed, lambda k: k.startswith(KIND_PREFIX),
                               a.update, regen)
    if a.update:
        print("UPDATED (an --update run compares nothing)")
        return 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def show(kizuki, what, infos, ids, dets, data, sigma):
    """--show: detections on one regression folder's files and the named rule's check."""
    what = what.rstrip("/").lower()
    for folder, info in infos:
        if folder.lower() != what and info["rule"] != what and \
                not folder.lower().endswith("/" + what):
            continue
        rid = info["rule"]
        print("folder %s\nrule %s %s -> %s" % (folder, rid, info["title"], ids.get(rid)))
        for t in info["tests"]:
            print("expected match_count %s on %s" % (expect_text(t["match_count"]), t["path"]))
        files = {os.path.relpath(os.path.join(sigma, t["path"]), data) for t in info["tests"]}
        files |= {f[:-5] + ".json" for f in files if f.endswith(".evtx")}
        for d in dets:
            if d["File"] in files:
                mark = "*" if str(d["RuleID"]).lower() == rid else " "
                print("%s %s #%s EID %s %s %s" % (mark, os.path.basename(d["File"]), d["RecordID"],
                                                  d["EventID"], d["RuleID"], d["RuleTitle"]))
        if rid in ids:
            p = subprocess.run([kizuki, "rules", "check", ids[rid]], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            print("kizuki rules check:\n" + p.stdout.decode("utf-8", "replace").rstrip())
        return 0
    kzconf.fail("--show %s: no such regression folder or rule id" % what)


if __name__ == "__main__":
    sys.exit(main())
