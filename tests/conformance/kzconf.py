"""kzconf - shared code of kizuki's conformance and differential tests.

Python 3 standard library only.  Used by evtxexport_counts.py, pyevtx_diff.py and
regression_twins.py (see docs/testing.md):

* where the shared data lives (KZ_SHARED) and the skip rule (exit 77 without it);
* running `kizuki dump` and reading its JSON lines;
* turning one evtx_dump-shaped event into a canonical, comparable form
  (System fields + ordered data fields), with the normalisation rules of docs/testing.md;
* the disagreement manifests (TSV): load, compare with what a run observed, print the
  difference, rewrite on --update.
"""

import datetime
import json
import os
import re
import subprocess
import sys

SKIP = 77

HERE = os.path.dirname(os.path.abspath(__file__))


# --- data -------------------------------------------------------------------------------------

def shared_dir():
    """The shared read-only tree: $KZ_SHARED, else ../shared next to the repository."""
    env = os.environ.get("KZ_SHARED")
    if env:
        return os.path.abspath(env)
    return os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared"))


def data_dir_or_skip(*sub):
    """The shared data directory (or a part of it); exits 77 (skip) when it is absent."""
    d = os.path.join(shared_dir(), "data", *sub)
    if not os.path.isdir(d):
        print("SKIP: shared test data not found at %s (set KZ_SHARED to the shared tree)" % d)
        sys.exit(SKIP)
    return d


def find_files(root, ext):
    """Every regular file under root whose name ends in ext, as sorted relative paths."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in filenames:
            if f.endswith(ext):
                out.append(os.path.relpath(os.path.join(dirpath, f), root))
    out.sort()
    return out


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def need_kizuki(path):
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        fail("kizuki binary not found or not executable: %r (pass --kizuki BUILD/kizuki)" % path)
    return path


def need_tool(name, package):
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    fail("reference tool %s is missing (Debian package %s; scripts/deps.sh --test installs it)"
         % (name, package))


# --- kizuki dump ------------------------------------------------------------------------------

def kizuki_dump(kizuki, path, extra=()):
    """Runs `kizuki dump -q [extra] path`; returns (exit code, [event objects], stderr text).
    A line that is not JSON becomes {"__bad_line__": text} so that it is counted and shown."""
    p = subprocess.run([kizuki, "dump", "-q"] + list(extra) + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events = []
    for line in p.stdout.split(b"\n"):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line.decode("utf-8", "surrogateescape")))
        except ValueError:
            events.append({"__bad_line__": line[:200].decode("utf-8", "replace")})
    err = p.stderr.decode("utf-8", "replace")
    check_kizuki_exit(p.returncode, path, err)
    return p.returncode, events, err


def check_kizuki_exit(rc, path, stderr):
    """kizuki exits 0 (done) or 1 (done, some input unreadable); anything else (a crash, a
    sanitizer report, a usage error) fails the test at once, with kizuki's stderr."""
    if rc in (0, 1):
        return
    fail("kizuki dump exited %d on %s (0 or 1 expected); its stderr ends:\n%s"
         % (rc, path, stderr.strip()[-3000:]))


def json_objects(text):
    """All JSON values in text: one document, JSON lines, or pretty objects back to back."""
    dec = json.JSONDecoder()
    i, n, out = 0, len(text), []
    while True:
        while i < n and text[i] in " \t\r\n\ufeff":
            i += 1
        if i >= n:
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


# --- canonical event --------------------------------------------------------------------------
#
# canonical event = {"system": {key: str or None}, "data": {path: [values]}}
# System keys are the evtx_dump paths, "Element" or "Element@Attribute".  Data paths are
# "EventData/Name" (a named <Data>), "EventData/Data" (unnamed <Data>, in order),
# "EventData@Attr", "UserData/Root/Child", "UserData/Root@xmlns", ...

SYSTEM_KEYS = [
    "Provider@Name", "Provider@Guid", "EventID", "EventID@Qualifiers", "Version", "Level",
    "Task", "Opcode", "Keywords", "TimeCreated@SystemTime", "EventRecordID",
    "Correlation@ActivityID", "Correlation@RelatedActivityID", "Execution@ProcessID",
    "Execution@ThreadID", "Channel", "Computer", "Security@UserID",
]

_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                   r"[0-9A-Fa-f]{12})\}?$")
_HEX = re.compile(r"^0[xX]([0-9A-Fa-f]+)$")
_TIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                   r"(Z|[+-]\d\d:?\d\d)?$")
_EPOCH_1601 = datetime.datetime(1601, 1, 1)


def scalar_text(v):
    """A JSON scalar as the text XML would hold: numbers in decimal, booleans true/false."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == int(v) and abs(v) < 2 ** 63:
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True)


def time_ticks(s):
    """ISO time text -> 100 ns ticks since 1601 (UTC), or None if it is not a time."""
    m = _TIME.match(s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    frac = (m.group(7) or "")
    try:
        dt = datetime.datetime(y, mo, d, h, mi, se)
    except ValueError:
        return None
    ticks = int((frac + "0000000")[:7]) if frac else 0
    rest = frac[7:]
    if rest and int(rest[0]) >= 5:  # 8-9 digits: round to 100 ns
        ticks += 1
    z = m.group(8)
    off = 0
    if z and z != "Z":
        zz = z.replace(":", "")
        off = (int(zz[1:3]) * 60 + int(zz[3:5])) * (1 if zz[0] == "+" else -1)
    delta = dt - _EPOCH_1601 - datetime.timedelta(minutes=off)
    return (delta.days * 86400 + delta.seconds) * 10000000 + ticks


def ticks_text(t):
    """100 ns ticks since 1601 -> "YYYY-MM-DDTHH:MM:SS.fffffffZ" (Windows XML style)."""
    dt = _EPOCH_1601 + datetime.timedelta(microseconds=t // 10)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%07dZ" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
        dt.microsecond * 10 + t % 10)


def norm_guid(s):
    """Rule GUID: any GUID text -> "{UPPER}"; other text unchanged."""
    m = _GUID.match(s)
    return "{" + m.group(1).upper() + "}" if m else s


def norm_hex(s):
    """Rule HEXINT: "0x00000000000003e7" -> "0x3e7" (lower case, no zero padding)."""
    m = _HEX.match(s)
    return "0x%x" % int(m.group(1), 16) if m else s


def norm_text(s):
    """Rule STRING: text as the comparison sees it: NULs at the end dropped."""
    if s is None:
        return None
    return s.rstrip("\x00")


def empty(v):
    return v is None or v == ""


def flatten_json(obj, prefix, out):
    """Flattens the evtx_dump JSON of an element into out[path] = [value, ...].
    "#attributes" -> path@name, "#text" -> path, children -> path/child, arrays repeat."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "#attributes" and isinstance(v, dict):
                for a, av in v.items():
                    out.setdefault(prefix + "@" + a, []).append(scalar_text(av))
            elif k == "#text":
                for item in (v if isinstance(v, list) else [v]):
                    out.setdefault(prefix, []).append(scalar_text(item))
            else:
                flatten_json(v, prefix + "/" + k if prefix else k, out)
    elif isinstance(obj, list):
        for item in obj:
            flatten_json(item, prefix, out)
    else:
        out.setdefault(prefix, []).append(scalar_text(obj))


def canon_from_dump(obj):
    """A canonical event from one evtx_dump-shaped object ({"Event": {...}})."""
    ev = obj.get("Event", obj) if isinstance(obj, dict) else {}
    flat = {}
    flatten_json(ev.get("System") or {}, "", flat)
    system = {}
    for k in SYSTEM_KEYS:
        vals = flat.get(k)
        system[k] = vals[0] if vals else None
    data = {}
    for part in ("EventData", "UserData"):
        if part in ev:
            flatten_json(ev[part], part, data)
    return {"system": system, "data": data}


def norm_system_value(key, v):
    """The normalised text of one System value (rules in docs/testing.md)."""
    if empty(v):
        return None
    v = v.strip()
    if key in ("Provider@Guid", "Correlation@ActivityID", "Correlation@RelatedActivityID"):
        return norm_guid(v)
    if key == "Keywords":
        return norm_hex(v)
    if key == "TimeCreated@SystemTime":
        t = time_ticks(v)
        return ticks_text(t) if t is not None else v
    return v


ZERO_WHEN_ABSENT = {"Version": "0", "Level": "0", "Task": "0", "Opcode": "0", "Keywords": "0x0"}


def norm_system(system, loose=True):
    """All System values normalised (docs/testing.md): Version/Level/Task/Opcode absent = 0 and
    Keywords absent = 0x0 (kizuki always writes them); Execution with ProcessID and ThreadID both
    0 = absent (kizuki leaves it out); empty = absent.  loose (JSON twins) also applies
    norm_system_value: GUID braces/case, HexInt padding, time text."""
    if loose:
        out = {k: norm_system_value(k, system.get(k)) for k in SYSTEM_KEYS}
    else:
        out = {k: None if empty(system.get(k)) else system.get(k) for k in SYSTEM_KEYS}
        # Rule SYS-GUID-CASE: the event view holds Provider@Guid in upper case
        # (event.h), whatever case a literal GUID text had in the file.
        if out["Provider@Guid"] is not None:
            out["Provider@Guid"] = out["Provider@Guid"].upper()
    for k, zero in ZERO_WHEN_ABSENT.items():
        if out[k] is None:
            out[k] = zero
    if out["Execution@ProcessID"] in (None, "0") and out["Execution@ThreadID"] in (None, "0"):
        out["Execution@ProcessID"] = out["Execution@ThreadID"] = None
    return out


def is_xmlns(path):
    """Rule DATA-XMLNS: namespace declarations are not data (kizuki does not keep them)."""
    at = path.rfind("@")
    return at >= 0 and (path[at + 1:] == "xmlns" or path[at + 1:].startswith("xmlns:"))


def norm_data_value(v):
    """The normalised text of one data value: GUIDs upper with braces, hex unpadded."""
    if empty(v):
        return ""
    v = norm_text(v)
    v = norm_guid(v)
    return norm_hex(v)


# --- manifests --------------------------------------------------------------------------------

HEADER = ("# file\tkind\treason\tdetails\n")


def load_manifest(path):
    """Lines of a manifest as a list of (file, kind, reason, details); '#' lines are comments."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                fail("%s:%d: expected 4 tab-separated columns, got %d" % (path, n, len(parts)))
            rows.append(tuple(parts))
    return rows


def tsv_field(s):
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def check_manifest(path, observed, owns, update, regen_cmd):
    """Compares observed rows (file, kind, details) with the manifest rows whose kind `owns`
    accepts.  NEW, CHANGED and VANISHED entries fail, as does an UNCLASSIFIED reason.
    With update, rewrites the manifest (keeping the reasons of unchanged (file, kind) keys
    and the rows of other tests).  Returns True when they agree."""
    rows = load_manifest(path)
    mine = [r for r in rows if owns(r[1])]
    others = [r for r in rows if not owns(r[1])]
    man = {}
    for f, k, reason, det in mine:
        man.setdefault((f, k), []).append((reason, det))
    obs = {}
    for f, k, det in observed:
        obs.setdefault((f, k), []).append(det)
    problems = []
    for key in sorted(set(man) | set(obs)):
        m = sorted(d for _, d in man.get(key, []))
        o = sorted(obs.get(key, []))
        if key not in man:
            for d in o:
                problems.append(("NEW", key, None, d))
        elif key not in obs:
            for r, d in man[key]:
                problems.append(("VANISHED", key, r, d))
        elif m != o:
            for r, d in man[key]:
                if d not in o:
                    problems.append(("CHANGED-was", key, r, d))
            for d in o:
                if d not in m:
                    problems.append(("CHANGED-now", key, None, d))
    unclassified = [r for r in mine if r[2] == "UNCLASSIFIED"]
    if update:
        new_rows = []
        for key in sorted(obs):
            reasons = [r for r, _ in man.get(key, [])]
            for d in sorted(obs[key]):
                same = [r for r, dd in man.get(key, []) if dd == d]
                reason = same[0] if same else (reasons[0] if reasons else "UNCLASSIFIED")
                new_rows.append((key[0], key[1], reason, d))
        write_manifest(path, others + new_rows)
        print("updated %s: %d rows for this test (%d rows of other tests kept)"
              % (path, len(new_rows), len(others)))
        left = [r for r in new_rows if r[2] == "UNCLASSIFIED"]
        if left:
            print("%d rows are UNCLASSIFIED: investigate each and give it a reason code" % len(left))
        return True
    ok = True
    if problems:
        ok = False
        print("\nDISAGREEMENTS DIFFER FROM THE MANIFEST %s:" % path)
        for what, (f, k), reason, d in problems:
            print("  %-11s %s\t%s\t%s\t%s" % (what, f, k, reason or "-", d))
        print("\nInvestigate each NEW/CHANGED line (docs/testing.md, 'Manifests'); when the change is"
              " understood, regenerate with:\n  %s --update\nthen set the reason codes of new lines"
              " (they are written as UNCLASSIFIED)." % regen_cmd)
    if unclassified:
        ok = False
        print("\n%d manifest rows have reason UNCLASSIFIED in %s:" % (len(unclassified), path))
        for r in unclassified:
            print("  " + "\t".join(r))
    return ok


def write_manifest(path, rows):
    head = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    head.append(line)
                else:
                    break
    if not head:
        head = [HEADER]
    rows = sorted(set(rows), key=lambda r: (r[0], r[1], r[3], r[2]))
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(head)
        for r in rows:
            f.write("\t".join(tsv_field(x) for x in r) + "\n")
    os.replace(tmp, path)


# --- self-test of the rules above (ctest conformance.kzconf_selftest) --------------------------

def selftest():
    """Checks the normalisation and manifest code on fixed inputs; no shared data needed."""
    import tempfile
    bad = []

    def eq(got, want, what):
        if got != want:
            bad.append("%s: got %r, want %r" % (what, got, want))

    # time: exact 100 ns round trip, evtx_dump/python-evtx spellings
    t = time_ticks("2016-07-08T18:12:51.6816408Z")
    eq(ticks_text(t), "2016-07-08T18:12:51.6816408Z", "ticks round trip")
    eq(time_ticks("2016-07-08 18:12:51.681641"), t - 8 + 10, "python-evtx text (6 digits)")
    eq(time_ticks("2016-07-08T18:12:51.681640Z") // 10, t // 10, "evtx_dump 6 digits, truncated")
    eq(time_ticks("2016-07-09T03:12:51.6816408+09:00"), t, "offset")
    eq(time_ticks("1601-01-01T00:00:00Z"), 0, "epoch")
    eq(time_ticks("not a time"), None, "not a time")
    # GUID, HexInt
    eq(norm_guid("5770385f-c22a-43e0-bf4c-06f5698ffbd9"), "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
       "guid braces and case")
    eq(norm_guid("{ABC}"), "{ABC}", "not a guid")
    eq(norm_hex("0x00000000000003e7"), "0x3e7", "hex padding")
    eq(norm_hex("0x0"), "0x0", "hex zero")
    eq(norm_hex("0xZZ"), "0xZZ", "not hex")
    # evtx_dump shapes
    ev = {"Event": {"#attributes": {"xmlns": "x"}, "System": {
        "Provider": {"#attributes": {"Name": "P", "Guid": "{A}"}},
        "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
        "TimeCreated": {"#attributes": {"SystemTime": "2020-01-01T00:00:00.0000000Z"}},
        "Correlation": None, "Execution": {"#attributes": {"ProcessID": 0, "ThreadID": 0}}},
        "EventData": {"A": 1, "B": True, "Data": ["x", "y"], "#attributes": {"Name": "N"}},
        "UserData": {"R": {"#attributes": {"xmlns": "u"}, "C": {"#attributes": {"a": "1"},
                                                                 "#text": "t"}}}}}
    c = canon_from_dump(ev)
    eq(c["system"]["EventID"], "7045", "EventID with qualifiers")
    eq(c["system"]["EventID@Qualifiers"], "16384", "Qualifiers")
    eq(c["system"]["Provider@Guid"], "{A}", "Provider Guid")
    eq(c["data"].get("EventData/A"), ["1"], "number as text")
    eq(c["data"].get("EventData/B"), ["true"], "bool as text")
    eq(c["data"].get("EventData/Data"), ["x", "y"], "unnamed Data in order")
    eq(c["data"].get("EventData@Name"), ["N"], "EventData attribute")
    eq(c["data"].get("UserData/R/C"), ["t"], "nested text")
    eq(c["data"].get("UserData/R/C@a"), ["1"], "nested attribute")
    eq(is_xmlns("UserData/R@xmlns"), True, "xmlns")
    eq(is_xmlns("UserData/R@xmlns:auto-ns3"), True, "xmlns:prefix")
    eq(is_xmlns("EventData@Name"), False, "not xmlns")
    s = norm_system(c["system"])
    eq((s["Execution@ProcessID"], s["Version"], s["Keywords"]), (None, "0", "0x0"),
       "System defaults")
    eq(norm_system({"Keywords": "0x8000000000000000"}, loose=False)["Keywords"],
       "0x8000000000000000", "strict keeps text")
    # manifests: NEW, CHANGED and VANISHED are reported; --update keeps reasons
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.tsv")
        write_manifest(p, [("f1", "k", "R1", "a=1"), ("f2", "k", "R2", "b=1"),
                           ("f3", "other", "R3", "c")])
        import io
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ok = check_manifest(p, [("f1", "k", "a=1"), ("f2", "k", "b=2"), ("f4", "k", "d")],
                                lambda k: k == "k", False, "regen")
        text = out.getvalue()
        eq(ok, False, "manifest mismatch fails")
        for word in ("NEW", "CHANGED-was", "CHANGED-now"):
            eq(word in text, True, "manifest reports " + word)
        with contextlib.redirect_stdout(io.StringIO()):
            ok = check_manifest(p, [("f1", "k", "a=1")], lambda k: k == "k", False, "regen")
        eq(ok, False, "vanished rows fail")
        with contextlib.redirect_stdout(io.StringIO()):
            check_manifest(p, [("f1", "k", "a=1"), ("f4", "k", "d")], lambda k: k == "k", True,
                           "regen")
        rows = load_manifest(p)
        eq(rows, [("f1", "k", "R1", "a=1"), ("f3", "other", "R3", "c"),
                  ("f4", "k", "UNCLASSIFIED", "d")], "update keeps reasons and other rows")
        with contextlib.redirect_stdout(io.StringIO()):
            ok = check_manifest(p, [("f1", "k", "a=1"), ("f4", "k", "d")], lambda k: k == "k",
                                False, "regen")
        eq(ok, False, "UNCLASSIFIED rows fail")
    if bad:
        for b in bad:
            print("FAIL: " + b)
        return 1
    print("PASS: kzconf self-test")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    print("usage: kzconf.py --selftest")
    sys.exit(2)
