#!/usr/bin/env python3
"""investigate_memory.py - `kizuki investigate` stays within hunt's memory
plus its stated table bounds, and its impact scope does not grow with the
number of files (issue 5, docs/investigate.md "Procedure 6", docs/testing.md
"scenario.investigate_memory").

  investigate_memory.py KIZUKI SRCDIR WORKDIR

The OKI breach (tests/tools/make_scenario.py, seed 1, with background) plus
SMALL and LARGE (8x) 5145 reads of distinct files by the attacker account
(tests/tools/make_share_reads.py). Each input is read by `kizuki hunt` and
`kizuki investigate` (one thread); peak RSS from wait4. Checks:
  objects   impact_files.csv lists the breach's objects plus every
            generated read (the sorter spills, nothing is lost)
  flat      investigate's peak RSS grows from SMALL to LARGE by at most
            hunt's growth plus FLAT_MB (the sorter's 32 MiB in memory, and
            its merge buffers): the distinct objects are sorted on disk;
            kept in memory the 700,000 more would cost ~140 MB
  bound     investigate's peak RSS is at most hunt's on the same input
            plus BOUND_MB (the sorter's 32 MiB, the spool buffer, the
            logon, entity, incident and SID tables of this input)
Exit 0 = passed, 1 = a check failed, 2 = a run error, 77 = skipped (no
/usr/bin/time).
"""
import csv
import json
import os
import subprocess
import sys

SMALL, LARGE = 100000, 800000
FLAT_MB = 40
BOUND_MB = 64


def run(cmd, log):
    """Runs cmd under /usr/bin/time (wait4 from this process would also
    count the pages the child had before exec); returns (exit status,
    peak RSS in MB)."""
    with open(log, "w") as f:
        rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", log + ".rss"] + cmd,
                             stdout=f, stderr=subprocess.STDOUT)
    with open(log + ".rss") as f:
        kb = [line for line in f if line.strip()][-1]
    return rc, int(kb) / 1024.0


def main(argv):
    kz, src, work = argv[1], argv[2], argv[3]
    if not os.access("/usr/bin/time", os.X_OK):
        print("SKIP: /usr/bin/time not found (make test-deps installs it)")
        return 77
    os.makedirs(work, exist_ok=True)
    gen = os.path.join(work, "oki")
    if subprocess.call([sys.executable, os.path.join(src, "tests/tools/make_scenario.py"),
                        "--scenario", "oki", "--seed", "1", gen],
                       stdout=subprocess.DEVNULL) != 0:
        print("ERROR: make_scenario.py failed")
        return 2
    evtx = os.path.join(gen, "oki", "evtx")
    dump = os.path.join(work, "dump.jsonl")
    if subprocess.call([kz, "dump", "-q", "-o", dump, evtx]) != 0:
        print("ERROR: dump failed")
        return 2
    fails, rss = [], {}
    base = None
    for n in (SMALL, LARGE):
        reads = os.path.join(work, "reads-%d.jsonl" % n)
        if subprocess.call([sys.executable, os.path.join(src, "tests/tools/make_share_reads.py"),
                            dump, reads, str(n)]) != 0:
            print("ERROR: make_share_reads.py failed")
            return 2
        out = os.path.join(work, "inv-%d" % n)
        rc, r_inv = run([kz, "investigate", "-q", "-j", "1", "-o", out, evtx, reads],
                        out + ".log")
        rc2, r_hunt = run([kz, "hunt", "-q", "-j", "1", "-f", "jsonl", "-o", os.devnull,
                           evtx, reads], out + ".hunt.log")
        if rc != 0 or rc2 != 0:
            print("ERROR: investigate (%d) or hunt (%d) failed, see %s.log" % (rc, rc2, out))
            return 2
        rss[n] = (r_inv, r_hunt)
        nrows = stress = 0
        with open(os.path.join(out, "impact_files.csv"), encoding="utf-8") as f:
            for r in csv.DictReader(f):
                nrows += 1
                stress += r["Object"].startswith("stress\\")
        other = nrows - stress
        if base is None:
            base = other
        print("%d reads: investigate %.0f MB, hunt %.0f MB; impact_files.csv %d rows "
              "(%d generated)" % (n, r_inv, r_hunt, nrows, stress))
        if stress != n or other != base:
            fails.append("objects: %d reads gave %d generated rows and %d others "
                         "(want %d and %d)" % (n, stress, other, n, base))
        rep = json.load(open(os.path.join(out, "report.json"), encoding="utf-8"))
        if rep["impact_scope"].get("objects") != nrows:
            fails.append("objects: report.json says %s, the CSV has %d rows"
                         % (rep["impact_scope"].get("objects"), nrows))
        if r_inv > r_hunt + BOUND_MB:
            fails.append("bound: %d reads: investigate %.0f MB > hunt %.0f MB + %d MB"
                         % (n, r_inv, r_hunt, BOUND_MB))
    grow_inv = rss[LARGE][0] - rss[SMALL][0]
    grow_hunt = max(0.0, rss[LARGE][1] - rss[SMALL][1])
    if grow_inv > grow_hunt + FLAT_MB:
        fails.append("flat: investigate grew %.0f MB from %d to %d reads, hunt %.0f MB "
                     "(> hunt's + %d MB)" % (grow_inv, SMALL, LARGE, grow_hunt, FLAT_MB))
    for f in fails:
        print("FAIL " + f)
    print("FAILED" if fails else "passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
