#!/usr/bin/env python3
"""sigma_golden - detections of every SigmaHQ Windows rule on every shared EVTX, against a golden file.

ONE `kizuki hunt --no-default-rules --no-analytics --no-dedup -f jsonl` run over every .evtx under DATA/evtx
(recursively; paths given relative to DATA, so File is "evtx/...") with the SigmaHQ Windows rules:
  -r sigma/rules/windows -r sigma/rules-threat-hunting/windows -r sigma/rules-emerging-threats
("Windows" = the windows/ folders of rules/ and rules-threat-hunting/, plus all of
rules-emerging-threats/, which is sorted by year, not product: kizuki's loader skips its rules
whose logsource is not Windows, as it skips any rule it cannot load; docs/testing.md).  Each
detection is reduced to its stable columns File, RecordID, EventID, RuleID, Level (no times,
titles or rendered details, which change with output work, not with detection), the rows are
sorted and compared with the committed sigma-golden.tsv.  On a difference the test fails and
prints, per rule, +n (new detections) / -n (lost detections) with its title and a few examples.

Any change to sigma-golden.tsv must be explained in the commit message (docs/testing.md).

Usage: sigma_golden.py --kizuki BUILD/kizuki [--jobs 2] [--update] [--rule ID]
--rule prints the golden and the current rows of one rule.
Stdlib only.  Exit 0 pass, 1 fail, 77 skip (no shared data).
"""

import argparse
import collections
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402
from sigma_regression import run_hunt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "sigma-golden.tsv")
RULE_DIRS = (("rules", "windows"), ("rules-threat-hunting", "windows"), ("rules-emerging-threats",))
COLUMNS = ("File", "RecordID", "EventID", "RuleID", "Level")
HEAD = """# sigma-golden.tsv - every detection of the SigmaHQ Windows rules (rules/windows,
# rules-threat-hunting/windows, rules-emerging-threats) on every .evtx under the shared
# data/evtx, one row per detection: File (relative to the shared data directory), RecordID,
# EventID, RuleID, Level; TAB-separated, sorted.  Written by sigma_golden.py --update, checked by
# ctest conformance.sigma_golden.  Any change to this file is explained in the commit message
# that makes it (docs/testing.md, "Sigma golden detections").
# File\tRecordID\tEventID\tRuleID\tLevel
"""


def row(d):
    return "\t".join(kzconf.tsv_field(str(d[c])) for c in COLUMNS)


def load_golden():
    rows = []
    if not os.path.exists(GOLDEN):
        return None
    with open(GOLDEN, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rows.append(line.rstrip("\n"))
    return rows


def write_golden(rows):
    tmp = GOLDEN + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for r in rows:
            f.write(r + "\n")
    os.replace(tmp, GOLDEN)


def diff_summary(old, new, titles):
    """Prints per rule +n/-n (multiset difference) with examples; returns (added, removed)."""
    co, cn = collections.Counter(old), collections.Counter(new)
    plus, minus = cn - co, co - cn
    per = collections.defaultdict(lambda: [0, 0, [], []])
    for r, n in plus.items():
        e = per[r.split("\t")[3]]
        e[0] += n
        e[2].append(r)
    for r, n in minus.items():
        e = per[r.split("\t")[3]]
        e[1] += n
        e[3].append(r)
    na, nr = sum(plus.values()), sum(minus.values())
    print("\nDETECTIONS DIFFER FROM %s: +%d -%d, %d rules" % (GOLDEN, na, nr, len(per)))
    print("  %-7s %-7s %-36s %s" % ("+new", "-lost", "rule id", "title"))
    for rid, (a, r, ea, er) in sorted(per.items(), key=lambda kv: (-kv[1][0] - kv[1][1], kv[0])):
        print("  %-7s %-7s %-36s %s" % ("+%d" % a, "-%d" % r, rid, titles.get(rid, "(not in this run)")))
        for x in sorted(ea)[:3]:
            print("      + " + x)
        for x in sorted(er)[:3]:
            print("      - " + x)
    files = collections.Counter(r.split("\t")[0] for r in list(plus) + list(minus))
    print("  files involved: %d (most: %s)" % (len(files), ", ".join(
        "%s (%d)" % fc for fc in files.most_common(3))))
    return na, nr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kizuki", help="path of the kizuki binary")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true", help="rewrite sigma-golden.tsv from this run")
    ap.add_argument("--rule", help="print the golden and current rows of this rule id")
    a = ap.parse_args()
    data = kzconf.data_dir_or_skip()
    kzconf.data_dir_or_skip("evtx")
    sigma = kzconf.data_dir_or_skip("sigma")
    kizuki = os.path.abspath(kzconf.need_kizuki(a.kizuki))
    inputs = [os.path.join("evtx", f) for f in kzconf.find_files(os.path.join(data, "evtx"), ".evtx")]
    # Sigma semantics only: the analytics (kz_a_*) have their own tests
    args = ["--no-default-rules", "--no-analytics", "--no-dedup", "-j", str(max(1, a.jobs))]
    for parts in RULE_DIRS:
        args += ["-r", os.path.join(sigma, *parts)]
    rc, dets, err, secs = run_hunt(kizuki, args + inputs, cwd=data)
    for d in dets:
        if os.path.isabs(str(d["File"])):
            kzconf.fail("File %r is absolute: inputs were given relative to %s" % (d["File"], data))
    new = sorted(row(d) for d in dets)
    titles = {str(d["RuleID"]): str(d["RuleTitle"]) for d in dets}
    nrules = len(titles)
    print("%d files, %d detections of %d rules in %.1f s (hunt exit %d)"
          % (len(inputs), len(new), nrules, secs, rc))
    for line in err.split("\n"):
        if line.strip():
            print("  hunt: " + line)
    old = load_golden()
    if a.rule:
        for name, rows in (("golden", old or []), ("now", new)):
            for r in rows:
                if r.split("\t")[3] == a.rule:
                    print("%s\t%s" % (name, r))
        return 0
    if a.update:
        write_golden(new)
        if old is not None and old != new:
            diff_summary(old, new, titles)
        print("UPDATED %s (%d rows); explain the change in the commit message" % (GOLDEN, len(new)))
        return 0
    if old is None:
        kzconf.fail("%s is missing: create it with %s --kizuki %s --update"
                    % (GOLDEN, os.path.abspath(__file__), kizuki))
    if old == new:
        print("PASS: %d detections equal the golden file" % len(new))
        return 0
    diff_summary(old, new, titles)
    print("\nIf the change is intended, regenerate with:\n  %s %s --kizuki %s --update\n"
          "and explain it in the commit message." % (os.path.basename(sys.executable),
                                                     os.path.abspath(__file__), kizuki))
    print("FAIL")
    return 1


if __name__ == "__main__":
    sys.exit(main())
