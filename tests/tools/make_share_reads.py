#!/usr/bin/env python3
"""make_share_reads.py - N Security 5145 reads of distinct files, as JSON
Lines in kizuki dump's shape, copied from the first 5145 of a dump.

  make_share_reads.py DUMP.jsonl OUT.jsonl N

Every copy keeps the template's account, address, share and host, and gets
EventRecordID 900000000 + i, a time in the template's minute (millisecond
steps, wrapping every 59 s) and RelativeTargetName
stress\\dirNNNN\\fileNNNNNNN.dat. So every read is attributed to the same
incident as the template, and each is a distinct object of the impact
scope. Used by bench/investigate.sh and tests/scenarios/investigate_memory.py.
"""
import json
import sys


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    src, dst, n = argv[1], argv[2], int(argv[3])
    tmpl = None
    with open(src, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["Event"]["System"].get("EventID") == 5145:
                tmpl = e
                break
    if tmpl is None:
        sys.exit("make_share_reads.py: no 5145 in %s" % src)
    s = tmpl["Event"]["System"]
    d = tmpl["Event"]["EventData"]
    tc = s["TimeCreated"]["#attributes"]
    head = tc["SystemTime"][:17]  # "YYYY-MM-DDTHH:MM:"
    with open(dst, "w", encoding="utf-8") as f:
        for i in range(n):
            s["EventRecordID"] = 900000000 + i
            tc["SystemTime"] = "%s%09.6fZ" % (head, 0.001 * (i % 59000))
            d["RelativeTargetName"] = "stress\\dir%04d\\file%07d.dat" % (i // 1000, i)
            f.write(json.dumps(tmpl, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv)
