#!/bin/sh
# graph.sh - report.html's interactive graph and attack-navigator.json
# checked as a reader would parse them (docs/report.md, Graph and
# attack-navigator.json).
#
# Usage: graph.sh TEST_NAVIGATOR WORKDIR
# TEST_NAVIGATOR is the unit-test binary of navigator.c; `TEST_NAVIGATOR
# --render DIR MODE` writes report.html and attack-navigator.json of a
# small graph with hostile labels (MODE interactive: the model asks for
# the graph library; static: it does not) and prints whether this build
# embeds the library ("embedded" / "absent").
# python3 checks:
#  - static, and interactive in a build without the library: the SVG
#    graph, exactly two script elements, no #kz-cy;
#  - interactive with the library: the library inlined exactly once, the
#    init script once, four script elements each allowed by its SHA-256 in
#    the CSP (and nothing else allowed), the SVG still in the page inside
#    #kz-graph-svg, no "http://", "https://" or "://" anywhere, no
#    fetching API named in the init script;
#  - both: the graph's JSON data block parses and gives the hostile labels
#    back; attack-navigator.json parses, has the layer 4.5 keys, integer
#    scores, and the hostile rule title back exactly.
# With node, the init script runs against a stub DOM and a stub cytoscape:
# it builds 6 nodes and 5 edges (one node named "__proto__"), hides the SVG
# and shows the container; it does nothing when the library is missing or
# puts everything back when cytoscape throws; prototype names, a repeated
# id and an edge to no node are handled.
# Exit 77 without python3.
set -eu

BIN=$1
WORK=$2
command -v python3 >/dev/null 2>&1 || exit 77
rm -rf "$WORK"
mkdir -p "$WORK/interactive" "$WORK/static"
have=$("$BIN" --render "$WORK/interactive" interactive)
"$BIN" --render "$WORK/static" static >/dev/null
echo "graph.sh: graph library $have in this build"

python3 - "$WORK" "$have" <<'PY'
import base64, hashlib, json, re, sys
from html.parser import HTMLParser

work, have = sys.argv[1], sys.argv[2]
bad = []

def fail(where, msg):
    bad.append("%s: %s" % (where, msg))

class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts = []
        self.cur = None
        self.ids = {}
        self.csp = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = (tag, a)
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content")
        if tag == "script":
            self.cur = [a, ""]
    def handle_endtag(self, tag):
        if tag == "script" and self.cur is not None:
            self.scripts.append(self.cur)
            self.cur = None
    def handle_data(self, data):
        if self.cur is not None:
            self.cur[1] += data

def sha(text):
    d = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-%s'" % base64.b64encode(d).decode()

HOSTILE = ["</script><script>alert(1)</script>", "see http://evil.example/x",
           "__proto__"]

for mode in ("interactive", "static"):
    where = mode
    raw = open("%s/%s/report.html" % (work, mode), "rb").read()
    html = raw.decode("utf-8")
    for u in (b"http://", b"https://", b"://"):
        if u in raw:
            fail(where, "%r in report.html" % u)
    p = P()
    p.feed(html)
    p.close()
    code = [s for s in p.scripts if "type" not in s[0]]
    data = [s for s in p.scripts if s[0].get("type") == "application/json"]
    if len(data) != 1:
        fail(where, "%d graph data blocks" % len(data))
    else:
        g = json.loads(data[0][1])
        ids = [n["id"] for n in g["nodes"]]
        for h in HOSTILE:
            if h not in ids:
                fail(where, "hostile node id not given back: %r" % h)
        if len(g["edges"]) != 5:
            fail(where, "%d edges" % len(g["edges"]))
    if "<svg" not in html:
        fail(where, "no SVG graph")
    # every code script allowed by its hash, and only those
    allowed = re.findall(r"'sha256-[A-Za-z0-9+/=]+'",
                         (p.csp or "").split("; style-src")[0])
    if sorted(allowed) != sorted(sha(s[1]) for s in code):
        fail(where, "script-src hashes do not match the scripts")
    if "default-src 'none'" not in (p.csp or ""):
        fail(where, "CSP lost default-src 'none'")
    interactive = mode == "interactive" and have == "embedded"
    if not interactive:
        if len(p.scripts) != 2:
            fail(where, "%d script elements, want 2" % len(p.scripts))
        if "kz-cy" in p.ids:
            fail(where, "#kz-cy without the library")
        continue
    if len(p.scripts) != 4:
        fail(where, "%d script elements, want 4" % len(p.scripts))
    banner = "The Cytoscape Consortium"
    lib = [s for s in code if banner in s[1]]
    if len(lib) != 1 or html.count(banner) != 1:
        fail(where, "library inlined %d times" % html.count(banner))
    init = [s for s in code if "cytoscape({container" in s[1]]
    if len(init) != 1:
        fail(where, "%d init scripts" % len(init))
    else:
        for api in ("fetch", "XMLHttpRequest", "WebSocket", "import(",
                    "Worker", ".src", "eval", "innerHTML"):
            if api in init[0][1]:
                fail(where, "init script names %s" % api)
        open("%s/init.js" % work, "w").write(init[0][1])
    if "hidden" not in p.ids.get("kz-cy", ("", {}))[1]:
        fail(where, "#kz-cy missing or not hidden before the script")
    if "kz-graph-svg" not in p.ids:
        fail(where, "SVG box missing")
    if not re.search(r'<div id="kz-graph-svg"><svg', html):
        fail(where, "SVG not inside #kz-graph-svg")

for mode in ("interactive", "static"):
    where = mode + "/attack-navigator.json"
    raw = open("%s/%s/attack-navigator.json" % (work, mode), "rb").read()
    if b"://" in raw:
        fail(where, "a URL")
    lay = json.loads(raw)
    for k in ("name", "versions", "domain", "description", "filters",
              "sorting", "layout", "hideDisabled", "techniques", "gradient",
              "legendItems", "metadata", "links"):
        if k not in lay:
            fail(where, "no %s" % k)
    if lay["versions"].get("layer") != "4.5" or lay["domain"] != "enterprise-attack":
        fail(where, "versions/domain %r %r" % (lay["versions"], lay["domain"]))
    t = lay["techniques"]
    if len(t) != 1 or t[0]["techniqueID"] != "T1021.001" or \
            t[0]["tactic"] != "lateral-movement" or t[0]["score"] != 1 or \
            not isinstance(t[0]["score"], int):
        fail(where, "techniques %r" % t)
    elif t[0]["comment"] != 'RDP "logon" </script>':
        fail(where, "comment %r" % t[0]["comment"])
    gr = lay["gradient"]
    if len(gr["colors"]) < 2 or not gr["maxValue"] > gr["minValue"]:
        fail(where, "gradient %r" % gr)

if bad:
    print("\n".join(bad))
    sys.exit(1)
print("graph.sh: html and layer checks passed (%s)" % have)
PY

# The init script against a stub DOM and a stub cytoscape (with node).
if [ "$have" = embedded ] && command -v node >/dev/null 2>&1; then
    node - "$WORK/init.js" "$WORK/interactive/report.html" <<'JS'
const fs = require('fs');
const vm = require('vm');
const init = fs.readFileSync(process.argv[2], 'utf8');
const html = fs.readFileSync(process.argv[3], 'utf8');
const data = /<script type="application\/json" id="kz-graph-data">([\s\S]*?)<\/script>/.exec(html)[1];
function el(id) { return { id, hidden: true, style: {}, attrs: {},
  setAttribute(k, v) { this.attrs[k] = v; } }; }
function run(withLib, json, throws) {
  const els = { 'kz-cy': el('kz-cy'), 'kz-graph-svg': el('kz-graph-svg'),
    'kz-cy-info': el('kz-cy-info'),
    'kz-graph-data': { textContent: json || data } };
  els['kz-graph-svg'].hidden = false;
  const head = { kids: [], appendChild(x) { this.kids.push(x); els[x.id] = x; } };
  let opts = null, handlers = [];
  const ctx = {
    document: { getElementById: (id) => els[id] || null, head,
      createElement: (t) => ({ tag: t }) },
    JSON, Math,
  };
  if (withLib)
    ctx.cytoscape = function (o) {
      opts = o;
      if (throws) throw new Error('bad graph');
      return { on: (...a) => handlers.push(a) };
    };
  vm.runInNewContext(init, ctx);
  return { els, opts, handlers, head };
}
const bad = [];
const a = run(true);
if (!a.opts) bad.push('cytoscape not called');
else {
  const nodes = a.opts.elements.filter(e => e.group === 'nodes');
  const edges = a.opts.elements.filter(e => e.group === 'edges');
  if (nodes.length !== 6 || edges.length !== 5)
    bad.push(`elements ${nodes.length} nodes ${edges.length} edges`);
  if (!nodes.some(n => n.data.label === '</script><script>alert(1)</script>'))
    bad.push('hostile label not given back');
  if (a.opts.container !== a.els['kz-cy']) bad.push('container');
  if (a.els['kz-cy'].hidden || !a.els['kz-graph-svg'].hidden)
    bad.push('visibility: container hidden or SVG shown');
  if (a.els['kz-cy'].attrs['data-ready'] !== '1') bad.push('not ready');
  if (!a.head.kids.some(k => k.id === '__________cytoscape_stylesheet'))
    bad.push('no stylesheet placeholder');
  if (a.handlers.length !== 1) bad.push('tap handler');
}
const b = run(false);
if (b.els['kz-graph-svg'].hidden || !b.els['kz-cy'].hidden)
  bad.push('without the library the SVG must stay');
// hostile ids: prototype names, a repeated id, an edge to no node
const h = run(true, JSON.stringify({
  nodes: [{ id: '__proto__', label: 'p', kind: 'constructor', rank: 0 },
          { id: 'a', kind: 'host' }, { id: 'a', kind: 'host' }],
  edges: [{ source: 'constructor', target: 'a', count: 1 },
          { source: '__proto__', target: 'a', count: 2 },
          { source: 'a', target: 'toString', count: 1 }] }));
if (!h.opts) bad.push('hostile ids: cytoscape not called');
else {
  const n = h.opts.elements.filter(e => e.group === 'nodes');
  const e = h.opts.elements.filter(e => e.group === 'edges');
  if (n.length !== 2 || e.length !== 1 || e[0].data.from !== '__proto__' ||
      e[0].data.source !== 'n0' || n[0].data.id !== 'n0' ||
      n[0].data.key !== '__proto__')
    bad.push(`hostile ids: ${n.length} nodes ${e.length} edges`);
  if (n[0].data.color !== '#805ad5') bad.push('kind "constructor" colour');
}
// cytoscape throwing: everything as it was
const t = run(true, null, true);
if (t.els['kz-graph-svg'].hidden || !t.els['kz-cy'].hidden)
  bad.push('a failing cytoscape must leave the SVG');
if (bad.length) { console.log(bad.join('\n')); process.exit(1); }
console.log('graph.sh: init script checks passed');
JS
fi

# In a real browser, when chromium is installed (the browser tests of a
# later slice install it): the page runs the library under its own CSP,
# draws into #kz-cy (data-ready) and hides the SVG. A browser that cannot
# start here skips this part; one that renders the page must pass.
if [ "$have" = embedded ] && command -v chromium >/dev/null 2>&1; then
    dom=$(timeout 60 chromium --headless=new --no-sandbox --disable-gpu \
        --virtual-time-budget=3000 --dump-dom \
        "$WORK/interactive/report.html" 2>/dev/null || true)
    case $dom in
    *'</html>'*)
        case $dom in
        *'id="kz-cy"'*'data-ready="1"'*) ;;
        *) echo "graph.sh: chromium: the graph was not drawn"; exit 1 ;;
        esac
        case $dom in
        *'<div id="kz-graph-svg" hidden'*) ;;
        *) echo "graph.sh: chromium: the SVG was not hidden"; exit 1 ;;
        esac
        echo "graph.sh: chromium drew the graph"
        ;;
    *) echo "graph.sh: chromium did not start, browser check skipped" ;;
    esac
fi
exit 0
