#!/usr/bin/env python3
"""integrity_samples - the log integrity analytics (D11) on named shared samples.

One `kizuki hunt --no-default-rules -f jsonl` run per sample (so keys of different files never
meet); the integrity findings (RuleID kz_a_log_gap, kz_a_log_unreadable, kz_a_time_backwards,
kz_a_json_coverage) are counted and some of their Details checked against what the file is
known to hold (docs/analytics-integrity.md, "Measured on the shared samples"):

* damaged files give unreadable findings, never gaps;
* exports (EventRecordIDs of another log) give a coverage note, never gaps;
* shadow-copy remnants give the gaps that are really there;
* a system time change gives kz_a_time_backwards.

Exits 77 (skip) when the shared data is absent.  Python 3 standard library only.
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402

IDS = ("kz_a_log_gap", "kz_a_log_unreadable", "kz_a_time_backwards", "kz_a_json_coverage")
SHORT = {"kz_a_log_gap": "gap", "kz_a_log_unreadable": "unreadable",
         "kz_a_time_backwards": "backwards", "kz_a_json_coverage": "coverage"}

RS = "evtx/evtx-rs-samples/"
MITRE = "evtx/hayabusa-sample-evtx/EVTX-to-MITRE-Attack/"

# path under data/, expected counts (None = any), [(analytic, Details key, expected value)]
CASES = [
    # Intact logs: nothing missing, nothing unreadable.
    (RS + "security.evtx", {"gap": 0, "unreadable": 0, "backwards": 0, "coverage": 0}, []),
    (RS + "2-system-Microsoft-Windows-LiveId%4Operational.evtx",
     {"gap": 0, "unreadable": 0, "coverage": 0}, []),
    # Stale-time records after sleep: time backwards, but no gap.
    (RS + "system.evtx", {"gap": 0, "unreadable": 0, "coverage": 0, "backwards": None}, []),
    # Damage: unreadable ranges, not gaps.
    (RS + "sample_with_a_bad_chunk_magic.evtx", {"gap": 0, "unreadable": 3, "coverage": 0}, []),
    (RS + "Microsoft-Windows-HelloForBusiness%4Operational.evtx",
     {"gap": 0, "unreadable": 1, "coverage": 0},
     [("kz_a_log_unreadable", "RecordIds", "6-20 (declared by the chunk header)")]),
    (RS + "Microsoft-Windows-LanguagePackSetup%4Operational.evtx",
     {"gap": 0, "unreadable": 1, "coverage": 0},
     [("kz_a_log_unreadable", "RecordIds", "17-20 (declared by the chunk header)")]),
    (RS + "sample-with-zero-data-size-event.evtx", {"gap": 0, "unreadable": 1, "coverage": 0},
     [("kz_a_log_unreadable", "RecordIds", "3 (declared by the chunk header)")]),
    # Exports: another log's EventRecordIDs, a coverage note only.
    (RS + "new-user-security.evtx", {"gap": 0, "unreadable": 0, "coverage": 1},
     [("kz_a_json_coverage", "RecordIds", "111-116")]),
    (RS + "Security_short_selected.evtx", {"gap": 0, "unreadable": 0, "coverage": 1}, []),
    (MITRE + "TA0005-Defense Evasion/T1070.001-Clear Windows event logs/"
     "ID104-1102-Event log cleared.evtx", {"gap": 0, "unreadable": 0, "coverage": 2}, []),
    # A shadow-copy remnant: ids really missing between chunks of different days.
    (RS + "2-vss_7-System.evtx", {"gap": 1, "unreadable": 0, "coverage": 0},
     [("kz_a_log_gap", "MissingIds", "1156-1417"), ("kz_a_log_gap", "Missing", "262")]),
    # System time set back (4616).
    (MITRE + "TA0005-Defense Evasion/T1070.006-Timestomp/ID4616-system time changed.evtx",
     {"gap": 0, "backwards": 1}, []),
]


def hunt(kizuki, paths, jobs):
    path = " ".join(paths)
    p = subprocess.run([kizuki, "hunt", "-q", "--no-default-rules", "-f", "jsonl",
                        "-j", str(jobs)] + list(paths),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        kzconf.fail("kizuki hunt exit %d on %s: %s"
                    % (p.returncode, path, p.stderr.decode("utf-8", "replace")[:400]))
    rows = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            kzconf.fail("not JSON from kizuki hunt on %s: %r" % (path, line[:200]))
        if row.get("RuleID") in IDS:
            rows.append(row)
    return rows


def pairs(row):
    """Details and ExtraFieldInfo of a row as one dict (objects, or "k: v ¦ ..." text)."""
    out = {}
    for key in ("Details", "ExtraFieldInfo"):
        v = row.get(key)
        if isinstance(v, dict):
            out.update({k: str(x) for k, x in v.items()})
        elif isinstance(v, str):
            for part in v.split(" ¦ "):
                k, _, x = part.partition(": ")
                out[k] = x
    return out


def synthetic(kizuki, data, jobs, bad):
    """Archives and damage made from security.evtx in a temporary directory (never kept):
    the file cut in two at a chunk boundary joins (no gap); the same with one chunk left out
    gives exactly that chunk's ids as a gap at the file boundary; that chunk zeroed in place
    gives an unreadable range with those ids, not a gap; the last record cut off while the
    chunk header still declares it gives a gap after the last record read."""
    import struct
    import tempfile
    import zlib
    src = open(os.path.join(data, RS + "security.evtx"), "rb").read()
    head, cut = src[:4096], 10
    chunk = lambda i: src[4096 + i * 65536:4096 + (i + 1) * 65536]  # noqa: E731
    nchunks = (len(src) - 4096) // 65536
    used = [i for i in range(nchunks) if chunk(i)[:8] == b"ElfChnk\0"]
    first, last = struct.unpack_from("<QQ", chunk(cut), 24)
    with tempfile.TemporaryDirectory(prefix="kz-integrity-") as tmp:
        def write(name, chunks):
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(head + b"".join(chunk(i) for i in chunks))
            return p

        a = write("Archive-Security-1.evtx", [i for i in used if i < cut])
        b = write("Security.evtx", [i for i in used if i >= cut])
        c = write("Security-hole.evtx", [i for i in used if i > cut])
        z = os.path.join(tmp, "zeroed.evtx")
        with open(z, "wb") as f:
            f.write(src[:4096 + cut * 65536] + bytes(65536) + src[4096 + (cut + 1) * 65536:])
        # The last record of the last chunk cut off, the chunk header (and both its checksums)
        # still declaring it: records deleted at the end of a log.
        t = bytearray(chunk(used[-1]))
        last_id = struct.unpack_from("<Q", t, 32)[0]
        last_off = struct.unpack_from("<I", t, 44)[0]
        t[last_off:] = bytes(len(t) - last_off)
        struct.pack_into("<I", t, 48, last_off)
        struct.pack_into("<I", t, 52, zlib.crc32(bytes(t[512:last_off])) & 0xFFFFFFFF)
        struct.pack_into("<I", t, 124, zlib.crc32(bytes(t[:120] + t[128:512])) & 0xFFFFFFFF)
        tail = os.path.join(tmp, "tail-cut.evtx")
        with open(tail, "wb") as f:
            f.write(head + b"".join(chunk(i) for i in used[:-1]) + bytes(t))
        runs = [
            ("last record cut, header declares it", [tail], {"gap": 1, "unreadable": 0},
             [("kz_a_log_gap", "MissingIds", "%d" % last_id)]),
            ("archives join", [b, a], {"gap": 0, "unreadable": 0}, []),
            ("archives with a chunk left out", [a, c], {"gap": 1, "unreadable": 0},
             [("kz_a_log_gap", "MissingIds", "%d-%d" % (first, last)),
              ("kz_a_log_gap", "BeforeFile", a)]),
            ("chunk zeroed in place", [z], {"gap": 0, "unreadable": 1},
             [("kz_a_log_unreadable", "RecordIds",
               "%d-%d (between the records read around it; header unknown)" % (first, last))]),
        ]
        for name, paths, want, details in runs:
            rows = hunt(kizuki, paths, jobs)
            check("synthetic: " + name, rows, want, details, bad)


def check(label, rows, want, details, bad):
    got = {s: 0 for s in SHORT.values()}
    for r in rows:
        got[SHORT[r["RuleID"]]] += 1
    for k, n in want.items():
        if n is not None and got[k] != n:
            bad.append("%s: %s findings %d, expected %d" % (label, k, got[k], n))
    for analytic, key, value in details:
        vals = [pairs(r).get(key) for r in rows if r["RuleID"] == analytic]
        if value not in vals:
            bad.append("%s: no %s with %s = %r (got %r)" % (label, analytic, key, value, vals))
    print("%-90s %s" % (label[-90:], " ".join("%s=%d" % (k, got[k]) for k in sorted(got))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kizuki", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    kizuki = kzconf.need_kizuki(a.kizuki)
    data = kzconf.data_dir_or_skip()
    bad = []
    for rel, want, details in CASES:
        path = os.path.join(data, rel)
        if not os.path.isfile(path):
            bad.append("%s: sample missing" % rel)
            continue
        check(rel, hunt(kizuki, [path], a.jobs), want, details, bad)
    synthetic(kizuki, data, a.jobs, bad)
    if bad:
        kzconf.fail("%d mismatches:\n  %s" % (len(bad), "\n  ".join(bad)))
    print("OK: %d samples, 4 synthetic cases" % len(CASES))


if __name__ == "__main__":
    main()
