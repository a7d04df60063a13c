#!/usr/bin/env python3
"""pyevtx_diff - differential test: python-evtx vs kizuki, record by record.

For each file of pyevtx-subset.txt (paths relative to the shared data directory), reads the
records with python-evtx's parser and with `kizuki dump`, matches them by EventRecordID (in
physical order) and compares the System fields and every EventData/UserData name and value
after the normalisation of docs/testing.md.  What differs becomes an observed disagreement;
the run passes when the observations equal the pyevtx:* rows of expected-disagreements.tsv.

python-evtx's parser finds the structure (templates, substitutions, values); the values are
then rendered here the way Windows (and kizuki) render them, from python-evtx's decoded
values or, where python-evtx's own rendering is lossy, from the bytes at the offset python-evtx
found (FILETIME: float error; bool: negative = false; SYSTEMTIME: ms as µs).  python-evtx's XML
view is not used: it drops character references, double-escapes entity references, strips
control characters and loses value types.

Usage: pyevtx_diff.py --kizuki BUILD/kizuki [--jobs 2] [--update] [--only FILE...]
       pyevtx_diff.py --show FILE [--rid N]   (print both canonical forms, for investigating)
Needs python3-evtx (import Evtx); re-runs itself under /usr/bin/python3 if this Python lacks it.
"""

import argparse
import multiprocessing
import os
import re
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kzconf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "expected-disagreements.tsv")
SUBSET = os.path.join(HERE, "pyevtx-subset.txt")
KIND_PREFIX = "pyevtx:"


def import_evtx():
    try:
        import Evtx.Evtx  # noqa: F401
        import Evtx.Nodes  # noqa: F401
        return
    except ImportError:
        pass
    sysp = "/usr/bin/python3"
    if os.path.exists(sysp) and os.path.realpath(sys.executable) != os.path.realpath(sysp) \
            and not os.environ.get("KZ_PYEVTX_REEXEC"):
        os.environ["KZ_PYEVTX_REEXEC"] = "1"
        os.execv(sysp, [sysp] + sys.argv)
    kzconf.fail("python-evtx is missing (import Evtx failed under %s): install the Debian package "
                "python3-evtx (scripts/deps.sh --test)" % sys.executable)


# --- python-evtx side --------------------------------------------------------------------------

class El(object):
    """An element as rendered from python-evtx's node tree."""
    __slots__ = ("name", "attrs", "kids", "text", "array")

    def __init__(self, name):
        self.name = name
        self.attrs = []   # [(name, text)]
        self.kids = []    # [El]
        self.text = []    # text parts
        self.array = None  # items of an array substitution (element repeats per item)


class FloatText(str):
    """A float value's text, with the value and its width (4 or 8 bytes) for comparison."""
    def __new__(cls, value, width):
        s = str.__new__(cls, "%.17g" % value)
        s.value = value
        s.width = width
        return s


ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def raw(node, n):
    off = node.offset()
    b = bytes(node._buf[off:off + n])
    if len(b) != n:
        raise ValueError("value runs past the buffer")
    return b


def variant(node):
    """One substitution value -> ("null", None) | ("text", str) | ("array", [str]) |
    ("bxml", RootNode)."""
    import Evtx.Nodes as N
    t = type(node)
    if t is N.NullTypeNode:
        return "null", None
    if t is N.BXmlTypeNode:
        return "bxml", node.root()
    if t is N.WstringArrayTypeNode:
        s = node.binary().decode("utf-16-le", "surrogatepass")
        if s.endswith("\x00"):
            s = s[:-1]
        return "array", (s.split("\x00") if s else [])
    if t is N.BooleanTypeNode:
        return "text", "true" if struct.unpack("<i", raw(node, 4))[0] != 0 else "false"
    if t is N.BinaryTypeNode:
        return "text", bytes(node.binary()).hex().upper()
    if t is N.GuidTypeNode:
        return "text", "{" + node.guid().upper() + "}"
    if t is N.SizeTypeNode:
        return "text", "0x%x" % node.num()
    if t is N.Hex32TypeNode:
        return "text", "0x%x" % struct.unpack("<I", raw(node, 4))[0]
    if t is N.Hex64TypeNode:
        return "text", "0x%x" % struct.unpack("<Q", raw(node, 8))[0]
    if t is N.FiletimeTypeNode:
        q = struct.unpack("<Q", raw(node, 8))[0]
        try:
            return "text", kzconf.ticks_text(q)
        except (OverflowError, ValueError):
            return "text", "0x%x" % q
    if t is N.SystemtimeTypeNode:
        w = struct.unpack("<8H", raw(node, 16))
        try:
            import datetime
            dt = datetime.datetime(w[0], w[1], w[3], w[4], w[5], w[6])
            d = dt - datetime.datetime(1601, 1, 1)
            ticks = (d.days * 86400 + d.seconds) * 10000000 + w[7] * 10000
            if w[7] > 999:
                raise ValueError
            return "text", kzconf.ticks_text(ticks)
        except (ValueError, OverflowError):
            return "text", "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ" % (w[0], w[1], w[3], w[4],
                                                                    w[5], w[6], w[7])
    if t is N.FloatTypeNode:
        return "text", FloatText(struct.unpack("<f", raw(node, 4))[0], 4)
    if t is N.DoubleTypeNode:
        return "text", FloatText(struct.unpack("<d", raw(node, 8))[0], 8)
    # strings, integers, SID: python-evtx's own text
    return "text", node.string()


def render_root(root, parent):
    """Renders a RootNode (template instance + substitutions) into parent's children."""
    subs = root.substitutions()
    for c in root.template().children():
        render_node(c, subs, parent)


def sub_value(node, subs):
    idx = node.index()
    if idx >= len(subs):
        raise IndexError("substitution index %d of %d" % (idx, len(subs)))
    return variant(subs[idx])


def render_node(node, subs, parent):
    import Evtx.Nodes as N
    t = type(node)
    if t is N.OpenStartElementNode:
        el = El(node.tag_name())
        for child in node.children():
            if type(child) is N.AttributeNode:
                name = child.attribute_name().string()
                vnode = child.attribute_value()
                vt = type(vnode)
                if vt in (N.NormalSubstitutionNode, N.ConditionalSubstitutionNode):
                    kind, val = sub_value(vnode, subs)
                    if kind == "null":
                        if vt is N.ConditionalSubstitutionNode:
                            continue  # optional Null: the attribute is not emitted
                        val = ""
                    elif kind == "array":
                        val = ", ".join(val)
                    elif kind == "bxml":
                        val = ""
                    el.attrs.append((name, val))
                elif vt is N.ValueNode:
                    el.attrs.append((name, variant(vnode.value())[1] or ""))
                else:
                    el.attrs.append((name, ""))
            else:
                render_node(child, subs, el)
        if el.array is not None:
            for item in el.array:
                copy = El(el.name)
                copy.attrs = el.attrs
                copy.text = [item]
                parent.kids.append(copy)
        else:
            parent.kids.append(el)
    elif t is N.ValueNode:
        kind, val = variant(node.value())
        if val:
            parent.text.append(val)
    elif t in (N.NormalSubstitutionNode, N.ConditionalSubstitutionNode):
        kind, val = sub_value(node, subs)
        if kind == "text":
            parent.text.append(val)
        elif kind == "array":
            parent.array = val
        elif kind == "bxml":
            render_root(val, parent)
    elif t is N.CDataSectionNode:
        parent.text.append(node.cdata())
    elif t is N.CharacterReferenceNode:
        parent.text.append(chr(node.entity()))
    elif t is N.EntityReferenceNode:
        name = node.entity_reference()[1:-1]
        parent.text.append(ENTITIES.get(name, "&%s;" % name))
    elif t is N.TemplateInstanceNode:
        raise ValueError("template instance inside a template")
    # close tokens, end of stream, PI: nothing


def el_text(el):
    if len(el.text) == 1:
        return el.text[0]
    return "".join(el.text)


def flatten_el(el, prefix, out, eventdata):
    """Same paths as kzconf.flatten_json gives for the evtx_dump JSON of the element."""
    for a, v in el.attrs:
        out.setdefault(prefix + "@" + a, []).append(v)
    for k in el.kids:
        name = k.name
        attrs = k.attrs
        if eventdata and name == "Data":
            named = [v for a, v in k.attrs if a == "Name"]
            if named:
                name = named[0]
                attrs = [(a, v) for a, v in k.attrs if a != "Name"]
        kk = El(name)
        kk.attrs, kk.kids, kk.text = attrs, k.kids, k.text
        path = prefix + "/" + name
        if kk.kids:
            flatten_el(kk, path, out, False)
            t = el_text(kk)
            if t.strip():
                out.setdefault(path, []).append(t)
        else:
            for a, v in kk.attrs:
                out.setdefault(path + "@" + a, []).append(v)
            out.setdefault(path, []).append(el_text(kk) if kk.text else None)


def canon_from_el(event):
    system = {}
    data = {}
    for part in event.kids:
        if part.name == "System":
            for k in part.kids:
                for a, v in k.attrs:
                    system.setdefault(k.name + "@" + a, v)
                if k.text:
                    system.setdefault(k.name, el_text(k))
        else:
            flatten_el(part, part.name, data, part.name == "EventData")
            if part.text and el_text(part).strip():
                data.setdefault(part.name, []).append(el_text(part))
    return {"system": {k: system.get(k) for k in kzconf.SYSTEM_KEYS}, "data": data}


def short_error(e):
    msg = "%s: %s" % (type(e).__name__, e)
    msg = " ".join(msg.split())
    return msg[:120]


def read_pyevtx(path):
    """[(rid, canonical event or None, error or None)] in physical order, and a file-level
    error (python-evtx stopped reading) or None."""
    import Evtx.Evtx as E
    recs = []
    stop = None
    try:
        with E.Evtx(path) as log:
            for rec in log.records():
                try:
                    rid = rec.record_num()
                except Exception as e:  # noqa: BLE001 - the reference may fail anyhow
                    recs.append((None, None, short_error(e)))
                    continue
                try:
                    doc = El("#doc")
                    render_root(rec.root(), doc)
                    if len(doc.kids) != 1 or doc.kids[0].name != "Event":
                        raise ValueError("root is not one <Event>")
                    c = canon_from_el(doc.kids[0])
                    # match by the EventRecordID of System, as kizuki reports it (the record
                    # header's identifier differs in exported logs, which renumber records)
                    try:
                        rid = int(c["system"]["EventRecordID"])
                    except (TypeError, ValueError):
                        pass
                    recs.append((rid, c, None))
                except Exception as e:  # noqa: BLE001
                    recs.append((rid, None, short_error(e)))
    except Exception as e:  # noqa: BLE001
        stop = short_error(e)
    return recs, stop


# --- comparison --------------------------------------------------------------------------------

def same_value(kz, py):
    if isinstance(py, FloatText):
        try:
            k = float(kz)
        except (TypeError, ValueError):
            return False
        if py.width == 4:
            try:
                return struct.pack("<f", k) == struct.pack("<f", py.value)
            except OverflowError:
                return False
        return k == py.value or (k != k and py.value != py.value)
    if kzconf.empty(kz) and kzconf.empty(py):
        return True
    return kzconf.norm_text(kz) == kzconf.norm_text(py)


def compare_event(kz, py):
    """[(path, kizuki value, python-evtx value)] of the differences."""
    diffs = []
    ks = kzconf.norm_system(kz["system"], loose=False)
    ps = kzconf.norm_system(py["system"], loose=False)
    for k in kzconf.SYSTEM_KEYS:
        if ks[k] != ps[k]:
            diffs.append(("System/" + k, ks[k], ps[k]))
    kd, pd = kz["data"], py["data"]
    for path in sorted(set(kd) | set(pd)):
        if kzconf.is_xmlns(path):
            continue
        a = kd.get(path, [])
        b = pd.get(path, [])
        if all(kzconf.empty(x) for x in a) and all(kzconf.empty(x) for x in b):
            continue
        if len(a) != len(b) or not all(same_value(x, y) for x, y in zip(a, b)):
            diffs.append((path, a if len(a) != 1 else a[0], b if len(b) != 1 else b[0]))
    return diffs


_TYPED = re.compile(r"^(-?\d+|0x[0-9a-f]+|\{[0-9A-F-]{36}\}|S-1-[0-9-]+|[0-9A-F]+|"
                    r"\d{4}-\d\d-\d\dT[0-9:.]+Z|true|false|-?[0-9.]+(e[-+]?\d+)?)$")


def text_in_bytes(v, blob):
    """None if v is not text worth checking (short, or the rendering of a typed value);
    else whether every piece of it between entity characters occurs in blob as UTF-16LE (or,
    for ANSI strings, as windows-1252)."""
    if not isinstance(v, str) or len(v) < 4 or _TYPED.match(v):
        return None
    pieces = [x for x in re.split(r"[\"&<>'\r\n]", v) if len(x) >= 4]
    if not pieces:
        return None
    for x in pieces:
        try:
            if x.encode("utf-16-le", "surrogatepass") in blob:
                continue
        except UnicodeError:
            return None
        try:
            if x.encode("cp1252") in blob:
                continue
        except UnicodeError:
            pass
        return False
    return True


def ranges(ids):
    ids = sorted(set(ids))
    out = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else "%d-%d" % (ids[i], ids[j]))
        i = j + 1
    s = ",".join(out)
    return s if len(s) <= 200 else s[:200] + "...(%d ids)" % len(ids)


def show(v):
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ",".join(show(x) for x in v) + "]"
    s = ascii(str(v))[1:-1]
    return s if len(s) <= 60 else s[:60] + "..."


def diff_file(args):
    """Worker: compares one file; returns (relpath, observed rows, stats, seconds)."""
    kizuki, data, rel = args
    t0 = time.time()
    path = os.path.join(data, rel)
    py, stop = read_pyevtx(path)
    rc, events, err = kzconf.kizuki_dump(kizuki, path)
    kz = []
    bad = 0
    for ev in events:
        if "__bad_line__" in ev:
            bad += 1
            continue
        c = kzconf.canon_from_dump(ev)
        try:
            rid = int(c["system"]["EventRecordID"])
        except (TypeError, ValueError):
            rid = None
        kz.append((rid, c))
    rows = []
    # match by EventRecordID, n-th occurrence with n-th occurrence, in physical order
    py_ok = {}
    py_err = {}
    for rid, c, e in py:
        if e is None:
            py_ok.setdefault(rid, []).append(c)
        else:
            py_err.setdefault(rid, []).append(e)
    kz_by = {}
    for rid, c in kz:
        kz_by.setdefault(rid, []).append(c)
    errors = {}
    for rid, es in py_err.items():
        for e in es:
            # offsets in python-evtx's messages vary per record: group by the message's shape
            e = re.sub(r"0x[0-9a-fA-F]+|\d+", "N", e)
            errors.setdefault(e, []).append(rid if rid is not None else -1)
    for e, rids in sorted(errors.items()):
        rows.append((rel, KIND_PREFIX + "error", "records=%d first_header_id=%d %s" % (
            len(rids), min(rids), e)))
    if stop:
        rows.append((rel, KIND_PREFIX + "stopped", stop))
    only_kz = [r for r in kz_by if r not in py_ok]
    only_py = [r for r in py_ok if r not in kz_by]
    dup = [r for r in set(kz_by) & set(py_ok) if len(kz_by[r]) != len(py_ok[r])]
    if only_kz or only_py or dup or bad:
        rows.append((rel, KIND_PREFIX + "records",
                     "kizuki=%d python-evtx=%d only_kizuki=[%s] only_python-evtx=[%s]%s%s" % (
                         len(kz), sum(len(v) for v in py_ok.values()),
                         ranges(r for r in only_kz if r is not None),
                         ranges(r for r in only_py if r is not None),
                         " count_differs=[%s]" % ranges(dup) if dup else "",
                         " bad_json_lines=%d" % bad if bad else "")))
    # Records that python-evtx does not give: check kizuki's text values against the file's
    # bytes (a value written as UTF-16 text must occur in the file; typed values are skipped)
    unverified = []
    checked = 0
    if only_kz:
        with open(path, "rb") as f:
            blob = f.read()
        for rid in only_kz:
            for c in kz_by[rid]:
                for p, vals in sorted(c["data"].items()):
                    for v in vals:
                        n = text_in_bytes(v, blob)
                        if n is None:
                            continue
                        checked += 1
                        if not n:
                            unverified.append((rid if rid is not None else -1, p, v))
    if unverified:
        rid, p, v = min(unverified)
        rows.append((rel, KIND_PREFIX + "unverified", "values=%d first=%d %s=%s" % (
            len(unverified), rid, p, show(v))))
    fields = {}
    compared = 0
    for rid, pcs in py_ok.items():
        kcs = kz_by.get(rid, [])
        for kc, pc in zip(kcs, pcs):
            compared += 1
            for path, a, b in compare_event(kc, pc):
                fields.setdefault(path, []).append((rid, a, b))
    for path, lst in sorted(fields.items()):
        lst.sort(key=lambda x: x[0] if x[0] is not None else -1)
        rid, a, b = lst[0]
        rows.append((rel, KIND_PREFIX + "field:" + path,
                     "records=%d first=%s kizuki=%s python-evtx=%s" % (
                         len(lst), rid, show(a), show(b))))
    stats = {"kizuki": len(kz), "py": len(py), "py_errors": sum(len(v) for v in py_err.values()),
             "compared": compared, "kz_exit": rc, "checked": checked}
    return rel, rows, stats, time.time() - t0


def load_subset(data):
    files = []
    with open(SUBSET, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].rstrip()
            if not line:
                continue
            rel = line.split("\t")[0]
            files.append(rel)
    missing = [f for f in files if not os.path.isfile(os.path.join(data, f))]
    if missing:
        kzconf.fail("files of %s are missing under %s: %s" % (SUBSET, data, missing[:5]))
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kizuki", help="path of the kizuki binary")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--update", action="store_true",
                    help="rewrite the pyevtx:* rows of the manifest from this run")
    ap.add_argument("--only", nargs="*", help="compare only these files (relative paths)")
    ap.add_argument("--show", help="print python-evtx's and kizuki's canonical records of a file")
    ap.add_argument("--rid", type=int, help="with --show: only this EventRecordID")
    a = ap.parse_args()
    data = kzconf.data_dir_or_skip()
    import_evtx()
    if a.show:
        return show_file(a, data)
    kizuki = kzconf.need_kizuki(a.kizuki)
    files = a.only if a.only else load_subset(data)
    sizes = {f: os.path.getsize(os.path.join(data, f)) for f in files}
    order = sorted(files, key=lambda f: -sizes[f])  # longest first: balances the 2 workers
    t0 = time.time()
    results = {}
    with multiprocessing.Pool(max(1, a.jobs)) as pool:
        for rel, rows, stats, dt in pool.imap_unordered(
                diff_file, [(kizuki, data, f) for f in order]):
            results[rel] = (rows, stats, dt)
    observed = []
    tot = {"kizuki": 0, "py": 0, "py_errors": 0, "compared": 0, "checked": 0}
    for rel in files:
        rows, stats, dt = results[rel]
        observed.extend(rows)
        for k in tot:
            tot[k] += stats[k]
        print("%6.1fs %5d kz %5d py %4d py-err %5d compared %3d disagreements  %s" % (
            dt, stats["kizuki"], stats["py"], stats["py_errors"], stats["compared"], len(rows), rel))
    print("%d files, %.1f MB, %d records compared, %d python-evtx records, %d python-evtx errors, "
          "%d text values of records only kizuki reads checked against the file bytes, %.1f s" % (
              len(files), sum(sizes.values()) / 1e6, tot["compared"], tot["py"],
              tot["py_errors"], tot["checked"], time.time() - t0))
    if a.only:
        for r in observed:
            print("\t".join(r))
        return 0
    regen = "%s %s --kizuki %s" % (os.path.basename(sys.executable), os.path.abspath(__file__),
                                    kizuki)
    ok = kzconf.check_manifest(MANIFEST, observed, lambda k: k.startswith(KIND_PREFIX),
                               a.update, regen)
    if a.update:
        print("UPDATED (an --update run compares nothing)")
        return 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def show_file(a, data):
    import json
    path = a.show if os.path.isabs(a.show) else os.path.join(data, a.show)
    py, stop = read_pyevtx(path)
    for rid, c, e in py:
        if a.rid is None or rid == a.rid:
            print("python-evtx", rid, e or json.dumps(c, sort_keys=True, default=str))
    if stop:
        print("python-evtx stopped:", stop)
    if a.kizuki:
        rc, events, err = kzconf.kizuki_dump(a.kizuki, path)
        for ev in events:
            c = kzconf.canon_from_dump(ev)
            if a.rid is None or str(a.rid) == c["system"]["EventRecordID"]:
                print("kizuki", c["system"]["EventRecordID"], json.dumps(c, sort_keys=True))
        print("kizuki exit", rc, err[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
