#!/usr/bin/env python3
"""evtxexport_counts - record counts of kizuki vs libevtx's evtxexport, for every shared EVTX file.

Files: every .evtx under DATA/evtx and under DATA/sigma/regression_data (DATA = $KZ_SHARED/data).
For each: `kizuki dump -q FILE` (events = non-empty output lines) and `evtxexport -f xml FILE`
(events = lines starting with "<Event "), with both exit codes.  A file where the counts differ or
either tool exits non-zero is an observed disagreement; the run passes when the observations
equal the count:* rows of expected-disagreements.tsv (docs/testing.md).

Usage: evtxexport_counts.py --kizuki BUILD/kizuki [--jobs 2] [--update] [--verbose]
Stdlib only.  Exit 0 pass, 1 fail, 77 skip (no shared data).
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "expected-disagreements.tsv")
KIND = "count:evtxexport"
ROOTS = ("evtx", os.path.join("sigma", "regression_data"))


def count_ref(evtxexport, path):
    p = subprocess.run([evtxexport, "-f", "xml", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    n = sum(1 for line in p.stdout.split(b"\n") if line.startswith(b"<Event "))
    err = p.stderr.decode("utf-8", "replace").strip().split("\n")
    # libevtx prints its error chain innermost first: keep the first line that says why
    why = ""
    for line in err:
        if "unsupported" in line or "invalid" in line or "unable to read" in line:
            why = line.strip()
            break
    return p.returncode, n, why


def count_kz(kizuki, path):
    p = subprocess.run([kizuki, "dump", "-q", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    kzconf.check_kizuki_exit(p.returncode, path, p.stderr.decode("utf-8", "replace"))
    lines = [line for line in p.stdout.split(b"\n") if line.strip()]
    bad = sum(1 for line in lines if not line.startswith(b"{"))
    return p.returncode, len(lines), bad, p.stderr.decode("utf-8", "replace")


def one(args):
    kizuki, evtxexport, data, rel = args
    path = os.path.join(data, rel)
    t0 = time.time()
    rrc, rn, why = count_ref(evtxexport, path)
    t1 = time.time()
    krc, kn, bad, kerr = count_kz(kizuki, path)
    t2 = time.time()
    return rel, (rrc, rn, why), (krc, kn, bad, kerr), t1 - t0, t2 - t1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kizuki", help="path of the kizuki binary")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true",
                    help="rewrite the count:* rows of the manifest from this run")
    ap.add_argument("--verbose", action="store_true", help="print every file")
    a = ap.parse_args()
    data = kzconf.data_dir_or_skip()
    kizuki = kzconf.need_kizuki(a.kizuki)
    evtxexport = kzconf.need_tool("evtxexport", "libevtx-utils")
    files = []
    for root in ROOTS:
        d = os.path.join(data, root)
        if not os.path.isdir(d):
            kzconf.fail("missing data directory %s" % d)
        files += [os.path.join(root, f) for f in kzconf.find_files(d, ".evtx")]
    t0 = time.time()
    observed = []
    tk = tr = 0.0
    sums = [0, 0]
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        results = list(ex.map(one, [(kizuki, evtxexport, data, f) for f in files]))
    for rel, (rrc, rn, why), (krc, kn, bad, kerr), dr, dk in results:
        tr += dr
        tk += dk
        sums[0] += kn
        sums[1] += rn
        if a.verbose:
            print("%6d kizuki (exit %d) %6d evtxexport (exit %d)  %s" % (kn, krc, rn, rrc, rel))
        if bad:
            kzconf.fail("kizuki dump wrote %d lines that are not JSON objects for %s" % (bad, rel))
        if kn != rn or rrc != 0 or krc != 0:
            det = "kizuki=%d kizuki_exit=%d evtxexport=%d evtxexport_exit=%d" % (kn, krc, rn, rrc)
            if why:
                det += " evtxexport_error=" + why[:120]
            observed.append((rel, KIND, det))
            if not a.verbose:
                print("%6d kizuki (exit %d) %6d evtxexport (exit %d)  %s" % (kn, krc, rn, rrc, rel))
    print("%d files: kizuki %d events (%.1f s of process time), evtxexport %d events (%.1f s); "
          "%d disagreements; %.1f s wall" % (len(files), sums[0], tk, sums[1], tr, len(observed),
                                            time.time() - t0))
    regen = "%s %s --kizuki %s" % (os.path.basename(sys.executable), os.path.abspath(__file__),
                                    kizuki)
    ok = kzconf.check_manifest(MANIFEST, observed, lambda k: k == KIND, a.update, regen)
    if a.update:
        print("UPDATED (an --update run compares nothing)")
        return 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
