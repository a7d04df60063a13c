#!/usr/bin/env python3
"""gen_evtx_fixtures.py OUTDIR - EVTX unit fixtures for tests/unit/test_evtx.c.

Builds, with tests/tools/evtx_writer.py, one small EVTX file per binary-XML
token, value type and kind of damage, and writes OUTDIR/expected.tsv: what
kizuki must read from each. The expectations are written here by hand (not
computed by the writer), so the writer and the reader cannot agree on a
mistake.

expected.tsv lines (tab-separated; in values \\t \\n \\\\ are escaped):
  fixture  NAME  FILE  FLAGS         FLAGS: "-" or "carve"
  event    RECORD_ID  EVENT_ID  CHANNEL  COMPUTER  TIME  FLAGS
           (FLAGS: letters q=qualifiers present, r=recovered; "-" for none)
  field    NAME  VALUE
  events   COUNT                     total events of the fixture
  problem  KIND  COUNT               problems of that kind (summary name)
  lost     BYTES                     total bytes reported unreadable (or "any>0")
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evtx_writer as W  # noqa: E402
from evtx_writer import E, V, Event, Text, CData, CharRef, EntityRef, PI  # noqa: E402

T0 = "2021-07-04T13:05:09.2500000Z"


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def system(eid=7, channel="Test/Operational", computer="HOST1", provider="Kizuki-Test",
           qualifiers=None, time=T0):
    eid_el = (E("EventID", {"Qualifiers": V("uint16", qualifiers)}, V("uint16", eid))
              if qualifiers is not None else E("EventID", None, V("uint16", eid)))
    return E("System", None,
             E("Provider", {"Name": provider}),
             eid_el,
             E("Level", None, V("uint8", 4)),
             E("TimeCreated", {"SystemTime": V("filetime", time)}),
             E("Channel", None, V("string", channel)),
             E("Computer", None, V("string", computer)))


def event_with(*data_children, **kw):
    return E("Event", None, system(**kw), E("EventData", None, *data_children))


def data(name, value):
    return E("Data", {"Name": name}, value)


class Fixtures(object):
    def __init__(self, out):
        self.out = out
        self.lines = []

    def add(self, name, events, expect, damage=None, carve=False, problems=(), lost=None,
            total=None, **writer_kw):
        """events: Event list; expect: list of (record_id, event_id, channel, computer, time,
        flags, [(field, value)...]) checked in order (a prefix when total is larger)."""
        path = os.path.join(self.out, name + ".evtx")
        W.write_evtx(path, events, damage_opts=damage, **writer_kw)
        self.lines.append("fixture\t%s\t%s\t%s" % (name, name + ".evtx",
                                                   "carve" if carve else "-"))
        for rid, eid, ch, comp, t, flags, fields in expect:
            self.lines.append("event\t%d\t%d\t%s\t%s\t%s\t%s" % (rid, eid, esc(ch), esc(comp),
                                                                 t, flags or "-"))
            for fname, fval in fields:
                self.lines.append("field\t%s\t%s" % (esc(fname), esc(fval)))
        self.lines.append("events\t%d" % (len(expect) if total is None else total))
        for kind, count in problems:
            self.lines.append("problem\t%s\t%d" % (kind, count))
        if lost is not None:
            self.lines.append("lost\t%s" % lost)

    def one(self, name, children, fields, eid=7, **kw):
        """A one-record fixture whose EventData holds children."""
        ev = Event(event_with(*children, eid=eid), record_id=1)
        self.add(name, [ev], [(1, eid, "Test/Operational", "HOST1", T0, "-", fields)], **kw)

    def write(self):
        with open(os.path.join(self.out, "expected.tsv"), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write("\n".join(self.lines) + "\n")


def value_types(fx):
    rows = [
        ("string", "hello", "hello"),
        ("string_nuls", V("string", "padded", nul=True), "padded"),
        ("string_japanese", "日本語のログ", "日本語のログ"),
        ("string_emoji", "a\U0001F600b", "a\U0001F600b"),
        ("int8", V("int8", -5), "-5"),
        ("uint8", V("uint8", 250), "250"),
        ("int16", V("int16", -300), "-300"),
        ("uint16", V("uint16", 65000), "65000"),
        ("int32", V("int32", -70000), "-70000"),
        ("uint32", V("uint32", 4000000000), "4000000000"),
        ("int64", V("int64", -5000000000), "-5000000000"),
        ("uint64", V("uint64", 18446744073709551615), "18446744073709551615"),
        ("real32", V("real32", 1.5), "1.5"),
        ("real64", V("real64", -2.25), "-2.25"),
        ("bool_true", V("bool", True), "true"),
        ("bool_false", V("bool", False), "false"),
        ("bool_irregular", V("bool", raw="02000000"), "true"),
        ("binary", V("binary", b"\x00\x01\xab\xff"), "0001ABFF"),
        ("guid", V("guid", "{54849625-5478-4994-A5BA-3E3B0328C30D}"),
         "{54849625-5478-4994-A5BA-3E3B0328C30D}"),
        ("size_t4", V("size_t", 1000, size=4), "0x3e8"),
        ("size_t8", V("size_t", 1 << 40, size=8), "0x10000000000"),
        ("filetime", V("filetime", "2016-07-08T18:12:51.6816408Z"),
         "2016-07-08T18:12:51.6816408Z"),
        ("systemtime", V("systemtime", "2021-07-04T13:05:09.250Z"),
         "2021-07-04T13:05:09.2500000Z"),
        ("sid", V("sid", "S-1-5-21-1111-2222-3333-1106"), "S-1-5-21-1111-2222-3333-1106"),
        ("sid_system", V("sid", "S-1-5-18"), "S-1-5-18"),
        ("hexint32", V("hexint32", 0x3e7), "0x3e7"),
        ("hexint64", V("hexint64", 0x8020000000000000), "0x8020000000000000"),
        ("ansi_cp1252", V("ansi", "caf\u00e9 \u20ac"), "caf\u00e9 \u20ac"),
    ]
    for name, val, want in rows:
        v = val if isinstance(val, W.Value) else V("string", val)
        fx.one("value_" + name, [data("X", v)], [("X", want)])
    # arrays repeat the element
    fx.one("value_array_string", [data("L", V("string[]", ["a", "bc", "d"]))],
           [("L", "a"), ("L", "bc"), ("L", "d")])
    fx.one("value_array_uint32", [data("N", V("uint32[]", [1, 2, 3]))],
           [("N", "1"), ("N", "2"), ("N", "3")])
    # Null: an optional substitution drops the element, a normal one leaves it empty
    fx.one("value_null_optional", [data("A", V("string", "x")),
                                   data("Gone", V("null", None, optional=True)),
                                   data("B", V("string", "y"))],
           [("A", "x"), ("B", "y")])
    fx.one("value_null_normal", [data("Empty", V("null", None, optional=False))],
           [("Empty", "")])
    # an unpaired surrogate survives (WTF-8 in the view, rendered as bytes)
    fx.one("value_lone_surrogate", [data("S", V("string", raw="41003dd84200"))],
           [("S", "A\xed\xa0\xbdB".encode("latin-1").decode("utf-8", "surrogateescape"))])


def tokens(fx):
    fx.one("token_unnamed_data", [E("Data", None, V("string", "first")),
                                  E("Data", None, V("string", "second"))],
           [("Data", "first"), ("Data", "second")])
    fx.one("token_literal_text", [E("Data", {"Name": "Lit"}, Text("fixed text"))],
           [("Lit", "fixed text")])
    fx.one("token_mixed_content", [E("Data", {"Name": "Mix"}, Text("pid="),
                                     V("uint32", 42), Text(";"))],
           [("Mix", "pid=42;")])
    fx.one("token_cdata", [E("Data", {"Name": "C"}, CData("<raw & text>"))],
           [("C", "<raw & text>")])
    fx.one("token_charref", [E("Data", {"Name": "R"}, Text("a"), CharRef(0x263A), Text("b"))],
           [("R", "a\u263ab")])
    fx.one("token_entityref", [E("Data", {"Name": "Ent"}, Text("a"), EntityRef("amp"),
                                 Text("b"), EntityRef("lt"), EntityRef("gt"))],
           [("Ent", "a&b<>")])
    fx.one("token_pi", [PI("xml-stylesheet", "href=x"), data("After", V("string", "pi"))],
           [("After", "pi")])
    fx.one("token_binary_element", [E("Binary", None, V("binary", b"\xde\xad"))],
           [("Binary", "DEAD")])
    # EventID with Qualifiers
    ev = Event(event_with(data("S", V("string", "svc")), eid=7045, qualifiers=16384),
               record_id=5)
    fx.add("token_qualifiers", [ev],
           [(5, 7045, "Test/Operational", "HOST1", T0, "q", [("S", "svc")])])
    # UserData: fields named below the root element
    ud = E("Event", None, system(eid=1149),
           E("UserData", None,
             E("EventXML", {"xmlns": "Event_NS"},
               E("Param1", None, V("string", "alice")),
               E("Param3", None, V("string", "203.0.113.7")),
               E("Nested", None, E("Inner", {"kind": "x"}, V("uint16", 3))))))
    fx.add("token_userdata", [Event(ud, record_id=2)],
           [(2, 1149, "Test/Operational", "HOST1", T0, "-",
             [("Param1", "alice"), ("Param3", "203.0.113.7"), ("Nested.Inner@kind", "x"),
              ("Nested.Inner", "3")])])
    # a record written directly: no template, no dependency ids
    direct = event_with(data("D", V("string", "direct")))
    fx.add("token_direct_element", [Event(direct, template=False, record_id=3)],
           [(3, 7, "Test/Operational", "HOST1", T0, "-", [("D", "direct")])])
    # BinXml value holding a nested template instance (as Windows writes EventData)
    nested = E("EventData", None, data("Inner", V("string", "nested")))
    ev = E("Event", None, system(), V("binxml", nested))
    fx.add("token_binxml_template", [Event(ev, record_id=4)],
           [(4, 7, "Test/Operational", "HOST1", T0, "-", [("Inner", "nested")])])
    # BinXml value with elements written directly inside it
    ev = E("Event", None, system(), V("binxml", nested, template=False))
    fx.add("token_binxml_direct", [Event(ev, record_id=6)],
           [(6, 7, "Test/Operational", "HOST1", T0, "-", [("Inner", "nested")])])
    # several records sharing a template (back-references) across two chunks
    evs, want = [], []
    for i in range(1, 401):
        evs.append(Event(event_with(data("N", V("uint32", i)),
                                    data("Pad", V("string", "x" * 200))), record_id=i))
        want.append((i, 7, "Test/Operational", "HOST1", T0, "-",
                     [("N", str(i)), ("Pad", "x" * 200)]))
    fx.add("token_template_reuse", evs, want)


def base_events(n, start=1):
    evs, want = [], []
    for i in range(start, start + n):
        evs.append(Event(event_with(data("N", V("uint32", i)),
                                    data("Pad", V("string", "p" * 300))), record_id=i))
        want.append((i, 7, "Test/Operational", "HOST1", T0, "-", [("N", str(i))]))
    return evs, want


def damage(fx):
    # 400 records of ~900 bytes: about 6 chunks.
    evs, want = base_events(400)
    fx.add("damage_none", evs, want, problems=[], lost=0)
    fx.add("damage_dirty", evs, want, damage={"dirty": True}, lost=0)
    fx.add("damage_bad_header_crc", evs, want, damage={"bad_header_crc": True},
           problems=[("evtx file header", 1)], lost=0)
    fx.add("damage_bad_chunk_crc", evs, want, damage={"bad_chunk_crc": [1]},
           problems=[("evtx chunk checksum", 1)], lost=0)
    fx.add("damage_bad_data_crc", evs, want, damage={"bad_data_crc": [2]},
           problems=[("evtx chunk checksum", 1)], lost=0)
    fx.add("damage_bad_chunk_magic", evs, want, damage={"bad_chunk_magic": [1]},
           problems=[("evtx chunk signature", 1)])
    # a zeroed or garbage chunk loses its records and nothing else
    per_chunk = _records_per_chunk(evs)
    lost_ids = set(range(per_chunk[0] + 1, per_chunk[0] + per_chunk[1] + 1))
    kept = [w for w in want if w[0] not in lost_ids]
    fx.add("damage_zero_chunk", evs, kept, damage={"zero_chunk": [1]},
           problems=[("evtx chunk signature", 1)], lost=65536)
    fx.add("damage_garbage_chunk", evs, kept, damage={"garbage_chunk": [1], "seed": 7},
           problems=[("evtx chunk signature", 1)], lost="any>0")
    # a broken record costs that record only
    first_of_1 = per_chunk[0] + 1
    kept = [w for w in want if w[0] != first_of_1 + 3]
    fx.add("damage_corrupt_record_size", evs, kept,
           damage={"corrupt_record": [(1, 3, "huge-size")]},
           problems=[("evtx record framing", 1)], lost="any>0")
    fx.add("damage_corrupt_record_binxml", evs, kept,
           damage={"corrupt_record": [(1, 3, "binxml")]},
           problems=[("evtx record content", 1)], lost="any>0")
    # trailing copy wrong but content intact: kept, reported without loss
    fx.add("damage_corrupt_record_trailer", evs, want,
           damage={"corrupt_record": [(1, 3, "trailer")]},
           problems=[("evtx record framing", 1)], lost=0)
    # truncated in the middle of chunk 2: chunks 0-1 whole, part of chunk 2
    cut = 4096 + 2 * 65536 + 20000
    fx.add("damage_truncate", evs, want[:per_chunk[0] + per_chunk[1]],
           damage={"truncate": cut}, problems=[("evtx truncated", 1)],
           total=-1)
    # slack: the last 5 records of the last chunk deleted; --carve recovers them
    last = len(per_chunk) - 1
    fx.add("damage_slack_default", evs, want[:-5], damage={"slack": [(last, 5)]}, lost=0)
    rec = [(w[0], w[1], w[2], w[3], w[4], "r", w[6]) for w in want[-5:]]
    fx.add("damage_slack_carve", evs, want[:-5] + rec, damage={"slack": [(last, 5)]},
           carve=True, lost=0)


def _records_per_chunk(evs):
    data = W.build_evtx(evs)
    counts = []
    for off in range(4096, len(data), 65536):
        first, last = (int.from_bytes(data[off + 8:off + 16], "little"),
                       int.from_bytes(data[off + 16:off + 24], "little"))
        if data[off:off + 8] == b"ElfChnk\x00":
            counts.append(last - first + 1)
    return counts


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fx = Fixtures(out)
    value_types(fx)
    tokens(fx)
    damage(fx)
    fx.write()
    print("%d fixtures in %s" % (sum(1 for l in fx.lines if l.startswith("fixture")), out))


if __name__ == "__main__":
    main()
