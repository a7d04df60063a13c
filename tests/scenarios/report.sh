#!/bin/sh
# report.sh - the incident report's files checked as a reader would parse
# them (docs/report.md).
#
# Usage: report.sh TEST_REPORT WORKDIR
# TEST_REPORT is the unit-test binary of the renderers; `TEST_REPORT
# --render DIR LANG KIND` writes report.html, report.md, report.json and
# manifest.json of a sample model (KIND hostile: log strings with markup,
# script, formulas, U+2028, ESC and long strings in every field; sample:
# plain strings; empty: no data at all). python3 then checks, for en and
# ja: report.html is well-formed (every element closed in order), has
# its sections and headings in the Japanese report order, exactly two
# script elements (the graph's JSON data block and the table script), no
# event-handler attribute, no "://" anywhere; the embedded graph JSON and
# report.json parse with json and give back the hostile strings exactly;
# manifest.json parses and lists the inputs; with node, the table
# script sorts and filters. Exit 77 without python3.
set -eu

BIN=$1
WORK=$2
command -v python3 >/dev/null 2>&1 || exit 77
rm -rf "$WORK"
mkdir -p "$WORK"

for lang in en ja; do
    for kind in hostile sample empty; do
        mkdir -p "$WORK/$lang-$kind"
        "$BIN" --render "$WORK/$lang-$kind" "$lang" "$kind"
    done
done

python3 - "$WORK" <<'PY'
import json, sys
from html.parser import HTMLParser

work = sys.argv[1]
KEYS = ["summary", "response", "preserved", "traces", "tools", "lateral",
        "entities", "scope", "limits", "cause", "prevention", "provenance"]
HEADINGS = {
    "en": ["Incident summary", "Response timeline",
           "Preserved devices and evidence", "Traces of compromise",
           "Malware and tools", "Lateral movement", "Entities", "Impact scope",
           "Limits of the investigation", "Root cause", "Countermeasures",
           "Provenance"],
    "ja": ["発生事象", "対応経緯", "保全機器", "侵害の痕跡",
           "マルウェア・ツール", "横展開", "関係エンティティ", "影響範囲", "調査の制約", "原因",
           "再発防止策", "来歴"],
}
HOSTILE = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "</script><script>alert(3)</script>",
    "=cmd|' /C calc'!A0",
    "line\u2028sep\u2029para",
    "\x1b[31mred\x1b[0m \x07bell",
]
VOID = {"meta", "input", "br", "img", "hr", "link", "wbr", "source",
        "area", "base", "col", "embed", "param", "track"}
failures = []


def fail(where, msg):
    failures.append("%s: %s" % (where, msg))


class Checker(HTMLParser):
    def __init__(self, where):
        super().__init__(convert_charrefs=True)
        self.where = where
        self.stack = []
        self.scripts = []       # (attrs, text)
        self.sections = []
        self.h2 = []
        self.humans = 0
        self.cur_script = None
        self.in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k.startswith("on"):
                fail(self.where, "event handler attribute %s on <%s>" % (k, tag))
            if v is not None and "://" in v:
                fail(self.where, "URL in attribute %s=%r" % (k, v))
        if tag == "script":
            self.cur_script = [a, ""]
        if tag == "section":
            self.sections.append(a.get("data-section"))
        if tag == "h2":
            self.in_h2 = True
            self.h2.append("")
        if "data-human" in a:
            self.humans += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        for k, v in attrs:
            if k.startswith("on"):
                fail(self.where, "event handler attribute %s" % k)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            fail(self.where, "</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if tag == "script":
            self.scripts.append(self.cur_script)
            self.cur_script = None
        if tag == "h2":
            self.in_h2 = False

    def handle_data(self, data):
        if self.cur_script is not None:
            self.cur_script[1] += data
        if self.in_h2:
            self.h2[-1] += data


for lang in ("en", "ja"):
    for kind in ("hostile", "sample", "empty"):
        d = "%s/%s-%s" % (work, lang, kind)
        where = "%s-%s" % (lang, kind)
        raw = open(d + "/report.html", "rb").read()
        if b"://" in raw:
            fail(where, "'://' in report.html")
        text = raw.decode("utf-8")
        c = Checker(where + "/html")
        c.feed(text)
        c.close()
        if c.stack:
            fail(where, "unclosed elements: %s" % c.stack)
        if c.sections != KEYS:
            fail(where, "sections %s" % c.sections)
        got = [h.split(". ", 1)[-1] for h in c.h2]
        if got != HEADINGS[lang]:
            fail(where, "headings %s" % got)
        if c.humans != 4:
            fail(where, "%d human sections" % c.humans)
        if len(c.scripts) != 2:
            fail(where, "%d script elements" % len(c.scripts))
        else:
            data = [s for s in c.scripts if s[0].get("type") == "application/json"]
            if len(data) != 1:
                fail(where, "no graph data block")
            else:
                g = json.loads(data[0][1])
                labels = [n["label"] for n in g["nodes"]]
                if kind == "hostile" and labels[:len(HOSTILE)] != HOSTILE:
                    fail(where, "graph labels do not round-trip: %r" % labels[:3])
        rep = json.load(open(d + "/report.json", encoding="utf-8"))
        if rep["schema"] != "kizuki-report/1":
            fail(where, "schema %r" % rep["schema"])
        if [s["key"] for s in rep["sections"]] != KEYS[:-1]:
            fail(where, "json sections")
        if rep["meta"]["lang"] != lang:
            fail(where, "json lang")
        if kind == "hostile":
            hosts = [r["host"] for r in rep["timeline"]["items"]]
            for h in HOSTILE:
                if h not in hosts:
                    fail(where, "host %r not in report.json" % h)
            if not any(len(h) == 2048 for h in hosts):
                fail(where, "long string not cut to 2048 bytes")
            ent = rep["entities"]
            got = {x["name"] for x in ent["hosts"]["items"]}
            got |= {x["name"] for x in ent["accounts"]["items"]}
            got |= {x["address"] for x in ent["addresses"]["items"]}
            got |= {y for x in ent["hosts"]["items"] for y in x["spellings"]}
            for h in HOSTILE:
                if h not in got:
                    fail(where, "entity %r not in report.json" % h)
        if kind == "empty":
            if rep["timeline"]["items"] or rep["summary"]["first_host_determined"]:
                fail(where, "empty model has data")
        man = json.load(open(d + "/manifest.json", encoding="utf-8"))
        if man["schema"] != "kizuki-manifest/1":
            fail(where, "manifest schema")
        if len(man["inputs"]["items"]) != len(rep["inputs"]["items"]):
            fail(where, "manifest inputs differ from report.json")
        md = open(d + "/report.md", encoding="utf-8").read()
        for h in HEADINGS[lang][:-1]:
            if ("## " not in md) or (h not in md):
                fail(where, "report.md lacks %s" % h)
        if "<script" in md or "<img" in md:
            fail(where, "raw markup in report.md")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY

# The table script itself, when node is installed: sorting (numbers, the
# data-k keys of time cells, text) and filtering on a minimal stand-in of
# the DOM.
if command -v node >/dev/null 2>&1; then
    python3 - "$WORK/en-sample/report.html" "$WORK/table.js" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w").write(re.findall(r"<script>(.*?)</script>", html, re.S)[0])
PY
    cat > "$WORK/dom_test.js" <<'JS'
// A minimal DOM stand-in: enough of table/row/cell/input for the
// report's table script; checks sorting (numbers, data-k times, text)
// and filtering.
const fs = require('fs');
const code = fs.readFileSync(process.argv[2], 'utf8');
function el(attrs, text) {
  const a = Object.assign({}, attrs || {});
  const h = {};
  return {
    textContent: text || '', hidden: false, tabIndex: -1,
    getAttribute: k => (k in a ? a[k] : null),
    setAttribute: (k, v) => { a[k] = String(v); },
    removeAttribute: k => { delete a[k]; },
    addEventListener: (t, f) => { h[t] = f; },
    fire: (t, e) => h[t](e || {}),
  };
}
function row(cells) {
  const r = el({}, cells.map(c => c.textContent).join(' '));
  r.cells = cells;
  return r;
}
const tbody = { rows: [] };
tbody.appendChild = r => { tbody.rows.splice(tbody.rows.indexOf(r), 1); tbody.rows.push(r); };
tbody.rows.push(row([el({}, '10'), el({ 'data-k': '300' }, 'c'), el({}, 'beta')]));
tbody.rows.push(row([el({}, '9'), el({ 'data-k': '100' }, 'a'), el({}, 'alpha')]));
tbody.rows.push(row([el({}, '100'), el({ 'data-k': '200' }, 'b'), el({}, 'Gamma')]));
const ths = [el(), el(), el()];
const hr = { cells: ths };
ths.forEach(t => { t.parentNode = hr; });
const input = el(); input.value = '';
const wrap = { querySelector: () => input };
const table = { tBodies: [tbody], tHead: { rows: [hr] }, parentNode: wrap };
global.document = { querySelectorAll: () => [table] };
eval(code);
const col = i => tbody.rows.map(r => r.cells[i].textContent).join(',');
let bad = 0;
function want(got, exp, what) { if (got !== exp) { console.error(what + ': ' + got + ' != ' + exp); bad++; } }
ths[0].fire('click'); want(col(0), '9,10,100', 'numeric ascending');
ths[0].fire('click'); want(col(0), '100,10,9', 'numeric descending');
want(ths[0].getAttribute('aria-sort'), 'descending', 'aria-sort');
ths[1].fire('keydown', { key: 'Enter' }); want(col(1), 'a,b,c', 'data-k sort');
want(ths[0].getAttribute('aria-sort'), null, 'other heading cleared');
input.value = 'ALP'; input.fire('input');
want(tbody.rows.filter(r => !r.hidden).length, 1, 'filter hides');
input.value = ''; input.fire('input');
want(tbody.rows.filter(r => !r.hidden).length, 3, 'filter cleared');
process.exit(bad ? 1 : 0);
JS
    node "$WORK/dom_test.js" "$WORK/table.js"
fi
