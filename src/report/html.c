/*
 * html.c - report.html: one self-contained page (docs/report.md).
 *
 * No resource is loaded when the page is opened: CSS and the table
 * script are inline and allowed by their SHA-256 in a Content-Security-
 * Policy meta tag (default-src 'none'; nothing else may run or load);
 * the chart and the graph are inline SVG drawn in C (svg.c); the graph's
 * data is also embedded as JSON in a non-executed <script
 * type="application/json">; when the build embeds cytoscape.js
 * (KZ_REPORT_GRAPH_JS, report.h) and the model asks for it
 * (meta.interactive_graph), the library and a small init script that
 * draws the graph from that data are inlined too, allowed by their
 * hashes, and the SVG is hidden while the script runs (it stays in the
 * page: the fallback). No URL of any scheme appears in
 * the file: log strings go through kz_rpt_html_text, which also breaks
 * "://", and the embedded JSON escapes '/'.
 */
#include "report/report.h"

#include <string.h>

#include "report/report_int.h"
#include "write/escape.h"

/* The page's style sheet (no url(), no @import). */
static const char css[] =
    "body{font-family:system-ui,'Hiragino Sans','Noto Sans JP',"
    "'Yu Gothic',sans-serif;margin:0;color:#1a202c;background:#fff}"
    "header,main,nav{max-width:1200px;margin:0 auto;padding:0 16px}"
    "h1{font-size:1.6em;margin:16px 0 4px}"
    "h2{font-size:1.25em;border-bottom:2px solid #2b6cb0;padding-bottom:4px;"
    "margin-top:32px}"
    ".meta,.src{color:#4a5568;font-size:.9em}"
    ".nodata{color:#718096;font-style:italic}"
    ".human{border:2px dashed #dd6b20;background:#fffaf0;padding:8px 12px}"
    ".human .fill{font-weight:bold;color:#c05621}"
    ".human .blank{min-height:4em;border-top:1px dotted #dd6b20}"
    ".tbl{overflow-x:auto;margin:8px 0}"
    "table{border-collapse:collapse;font-size:.85em;width:100%}"
    "th,td{border:1px solid #cbd5e0;padding:3px 6px;text-align:left;"
    "vertical-align:top;word-break:break-all}"
    "th{background:#edf2f7;cursor:pointer;white-space:nowrap}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    "tr.critical td,tr.high td{background:#fff5f5}"
    "input.kz-filter{margin:4px 0;padding:3px 6px;width:20em}"
    "dl.facts{display:grid;grid-template-columns:max-content auto;"
    "gap:2px 16px}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}"
    "svg{max-width:100%;height:auto;border:1px solid #e2e8f0}"
    "svg text{font-family:inherit}"
    ".legend span{margin-right:16px}"
    "@media print{input.kz-filter,nav{display:none}}";

/* Sorting and filtering of every table.kz (clicking or Enter on a
 * heading sorts; data-k holds a sort key where the text is not one). */
static const char js[] =
    "(function(){'use strict';"
    "function key(c){if(!c)return'';var k=c.getAttribute('data-k');"
    "return k!==null?k:c.textContent.trim();}"
    "var ts=document.querySelectorAll('table.kz');"
    "Array.prototype.forEach.call(ts,function(t){"
    "var tb=t.tBodies[0];if(!tb||!t.tHead)return;"
    "var f=t.parentNode.querySelector('input.kz-filter');"
    "if(f){f.addEventListener('input',function(){"
    "var q=f.value.toLowerCase();"
    "Array.prototype.forEach.call(tb.rows,function(r){"
    "r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});}"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
    "th.tabIndex=0;"
    "function sort(){var asc=th.getAttribute('aria-sort')!=='ascending';"
    "Array.prototype.forEach.call(th.parentNode.cells,function(o){"
    "o.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');"
    "var rows=Array.prototype.slice.call(tb.rows);"
    "rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]),c;"
    "var nx=Number(x),ny=Number(y);"
    "if(x!==''&&y!==''&&!isNaN(nx)&&!isNaN(ny))c=nx-ny;"
    "else c=x<y?-1:x>y?1:0;return asc?c:-c;});"
    "rows.forEach(function(r){tb.appendChild(r);});}"
    "th.addEventListener('click',sort);"
    "th.addEventListener('keydown',function(e){"
    "if(e.key==='Enter')sort();});});});})();";

typedef struct hw {
    kz_strbuf *b;         /* output */
    kz_strbuf tmp;        /* escaper scratch */
    const kz_report *r;   /* model */
    kz_status st;         /* first failure, sticky */
} hw;

kz_status
kz_rpt_html_text(kz_strbuf *b, kz_strbuf *tmp, const char *s)
{
    kz_status st;
    size_t i, start = 0;

    if (s == NULL || s[0] == '\0')
        return kz_strbuf_addc(b, '-');
    kz_strbuf_reset(tmp);
    if ((st = kz_visible_escape(tmp, s, strlen(s),
                                KZ_VIS_WS_NAMES | KZ_VIS_LINE_SEPS)) !=
        KZ_OK)
        return st;
    for (i = 0; i < tmp->len; i++) {
        const char *rep = NULL;

        switch (tmp->data[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case ':':
            if (i + 2 < tmp->len && tmp->data[i + 1] == '/' &&
                tmp->data[i + 2] == '/')
                rep = "&#58;";
            break;
        default:
            break;
        }
        if (rep == NULL)
            continue;
        if ((st = kz_strbuf_add(b, tmp->data + start, i - start)) != KZ_OK ||
            (st = kz_strbuf_adds(b, rep)) != KZ_OK)
            return st;
        start = i + 1;
    }
    return kz_strbuf_add(b, tmp->data + start, tmp->len - start);
}

kz_status
kz_rpt_script_json(kz_strbuf *b, const char *json, size_t n)
{
    kz_status st;
    size_t i, start = 0;

    for (i = 0; i < n; i++) {
        const char *rep = NULL;

        switch (json[i]) {
        case '<': rep = "\\u003c"; break;
        case '>': rep = "\\u003e"; break;
        case '&': rep = "\\u0026"; break;
        case '/': rep = "\\/"; break;
        default: break;
        }
        if (rep == NULL)
            continue;
        if ((st = kz_strbuf_add(b, json + start, i - start)) != KZ_OK ||
            (st = kz_strbuf_adds(b, rep)) != KZ_OK)
            return st;
        start = i + 1;
    }
    return kz_strbuf_add(b, json + start, n - start);
}

/* The interactive graph (only with KZ_REPORT_GRAPH_JS): draws
 * #kz-graph-data with cytoscape.js into #kz-cy and hides the SVG; does
 * nothing when the library or the data is missing, and puts everything
 * back when cytoscape throws (the SVG stays). Cytoscape gets ids of its
 * own ("n0", "n1"...; a log's host or account name such as "__proto__"
 * never becomes one), looked up in prototype-less objects, and a
 * repeated node id is drawn once. It reads the DOM only and fetches nothing. Cytoscape adds a <style>
 * element unless one with its id exists: a placeholder <meta> with that
 * id stands in (the CSP would refuse the style anyway), and the one rule
 * it wanted (position: relative) is set on the container directly. */
#ifdef KZ_REPORT_GRAPH_JS
static const char graph_init_js[] =
    "(function(){'use strict';var d=document,"
    "c=d.getElementById('kz-cy'),v=d.getElementById('kz-graph-svg'),"
    "g=d.getElementById('kz-graph-data'),o=d.getElementById('kz-cy-info');"
    "if(!c||!g||typeof cytoscape!=='function')return;"
    "var m;try{m=JSON.parse(g.textContent);}catch(e){return;}"
    "if(!m||!m.nodes||!m.nodes.length)return;"
    "var ids=Object.create(null),col=Object.create(null),el=[],cy,n=0;"
    "col.host='#2b6cb0';col.account='#dd6b20';col.address='#718096';"
    "m.nodes.forEach(function(x){var i=String(x.id);if(ids[i])return;"
    "ids[i]='n'+n++;el.push({group:'nodes',data:{id:ids[i],key:i,"
    "label:String(x.label||i),kind:String(x.kind||''),rank:+x.rank||0,"
    "color:col[x.kind]||'#805ad5'}});});"
    "(m.edges||[]).forEach(function(e){var s=ids[e.source],t=ids[e.target];"
    "if(!s||!t)return;var k=Math.max(1,+e.count||1);el.push({group:'edges',"
    "data:{source:s,target:t,from:String(e.source),to:String(e.target),"
    "label:String(e.label||''),count:k,"
    "first:e.first||'-',last:e.last||'-',"
    "w:Math.min(6,1+Math.log(k)/Math.LN2)}});});"
    "if(!d.getElementById('__________cytoscape_stylesheet')){"
    "var p=d.createElement('meta');p.id='__________cytoscape_stylesheet';"
    "d.head.appendChild(p);}"
    "c.hidden=false;c.style.position='relative';c.style.height='560px';"
    "c.style.border='1px solid #e2e8f0';"
    "try{cy=cytoscape({container:c,elements:el,style:["
    "{selector:'node',style:{'background-color':'data(color)',"
    "label:'data(label)','font-size':10,'text-valign':'bottom',"
    "'text-margin-y':2,'text-wrap':'ellipsis','text-max-width':'160px',"
    "width:'mapData(rank,0,1,12,36)',height:'mapData(rank,0,1,12,36)'}},"
    "{selector:'edge',style:{width:'data(w)','line-color':'#a0aec0',"
    "'target-arrow-color':'#a0aec0','target-arrow-shape':'triangle',"
    "'curve-style':'bezier',label:'data(label)','font-size':8,"
    "color:'#4a5568','text-rotation':'autorotate'}},"
    "{selector:':selected',style:{'border-width':3,'border-color':"
    "'#e53e3e','line-color':'#e53e3e','target-arrow-color':'#e53e3e'}}],"
    "layout:{name:'breadthfirst',directed:true,spacingFactor:1.1,"
    "animate:false}});}catch(e){c.hidden=true;return;}"
    "if(v)v.hidden=true;"
    "cy.on('tap','node,edge',function(ev){var x=ev.target.data(),t;"
    "if(ev.target.isNode())t=x.label+' ('+x.kind+', rank '+"
    "x.rank.toFixed(3)+')';else t=x.from+' \\u2192 '+x.to+' '+"
    "x.label+' \\u00d7'+x.count+' '+x.first+' \\u2026 '+x.last;"
    "if(o){o.textContent=t;o.hidden=false;}});"
    "c.setAttribute('data-ready','1');})();";
#endif

/* Appends 'sha256-<base64 of the digest of s>' for a CSP source. */
static kz_status
csp_hash(kz_strbuf *b, const char *s)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t d[KZ_SHA256_LEN + 1];
    kz_sha256 c;
    char out[48];
    size_t i, o = 0;

    kz_sha256_init(&c);
    kz_sha256_update(&c, s, strlen(s));
    kz_sha256_final(&c, d);
    d[KZ_SHA256_LEN] = 0;
    /* 32 bytes: ten full groups of three, then two bytes and one '=' */
    for (i = 0; i + 3 <= KZ_SHA256_LEN; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];

        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;

        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return kz_strbuf_addf(b, "'sha256-%s'", out);
}

static void
raw(hw *h, const char *s)
{
    if (h->st == KZ_OK)
        h->st = kz_strbuf_adds(h->b, s);
}

static void
text(hw *h, const char *s)
{
    if (h->st == KZ_OK)
        h->st = kz_rpt_html_text(h->b, &h->tmp, s);
}

static void
u64(hw *h, uint64_t v)
{
    if (h->st == KZ_OK)
        h->st = kz_strbuf_add_u64(h->b, v);
}

static void
time_(hw *h, kz_time t)
{
    if (h->st == KZ_OK)
        h->st = kz_rpt_time(h->b, h->r, t);
}

static const char *
tr(hw *h, kz_rpt_text id)
{
    return kz_rpt_tr(h->r->meta.lang, id);
}

/* ---- tables --------------------------------------------------------- */

static void
tbl_begin(hw *h, const char *id, const kz_rpt_text *cols, size_t n)
{
    raw(h, "<div class=\"tbl\"><input type=\"search\" class=\"kz-filter\" "
           "placeholder=\"");
    raw(h, tr(h, KZ_L_FILTER));
    raw(h, "\" aria-label=\"");
    raw(h, tr(h, KZ_L_FILTER));
    raw(h, "\"><table class=\"kz\" id=\"");
    raw(h, id);
    raw(h, "\"><thead><tr>");
    for (size_t i = 0; i < n; i++) {
        raw(h, "<th scope=\"col\">");
        raw(h, tr(h, cols[i]));
        raw(h, "</th>");
    }
    raw(h, "</tr></thead><tbody>\n");
}

static void
tbl_end(hw *h, uint64_t omitted)
{
    raw(h, "</tbody></table></div>\n");
    if (omitted != 0) {
        raw(h, "<p class=\"omitted\">");
        if (h->st == KZ_OK)
            h->st = kz_rpt_omitted(h->b, h->r, omitted);
        raw(h, "</p>\n");
    }
}

static void
td_text(hw *h, const char *s)
{
    raw(h, "<td>");
    text(h, s);
    raw(h, "</td>");
}

static void
td_u64(hw *h, uint64_t v)
{
    raw(h, "<td>");
    u64(h, v);
    raw(h, "</td>");
}

/* A time cell, sorted by its UTC microseconds since 1970 (exact in a JS
 * number for any real date; written without overflow for any kz_time). */
static void
td_time(hw *h, kz_time t)
{
    if (t == KZ_TIME_NONE) {
        raw(h, "<td data-k=\"\">-</td>");
        return;
    }
    raw(h, "<td data-k=\"");
    if (h->st == KZ_OK)
        h->st = kz_strbuf_add_i64(h->b, t / 10 - KZ_UNIX_EPOCH_TICKS / 10);
    raw(h, "\">");
    time_(h, t);
    raw(h, "</td>");
}

static void
names(hw *h, const char *const *v, size_t n, uint64_t omitted)
{
    raw(h, "<td>");
    if (n == 0 && omitted == 0)
        raw(h, "-");
    for (size_t i = 0; i < n; i++) {
        if (i != 0)
            raw(h, ", ");
        text(h, v[i]);
    }
    if (omitted != 0) {
        raw(h, " (+");
        u64(h, omitted);
        raw(h, ")");
    }
    raw(h, "</td>");
}

static void
no_data(hw *h)
{
    raw(h, "<p class=\"nodata\">");
    raw(h, tr(h, KZ_L_NO_DATA));
    raw(h, "</p>\n");
}

/* ---- sections ------------------------------------------------------- */

static void
fact(hw *h, kz_rpt_text label)
{
    raw(h, "<dt>");
    raw(h, tr(h, label));
    raw(h, "</dt><dd>");
}

/* The incidents found: one row each. */
static void
incidents_table(hw *h)
{
    static const kz_rpt_text cols[] = {
        KZ_L_INCIDENT, KZ_L_FIRST_ACT, KZ_L_LAST_ACT, KZ_L_LEVEL,
        KZ_L_SEEDS,    KZ_L_HOSTS,     KZ_L_ACCOUNT,  KZ_L_TECHNIQUES,
        KZ_L_STEPS,    KZ_L_FIRST_HOST, KZ_L_REASON,
    };
    const kz_report *r = h->r;

    if (r->incidents.n == 0)
        return;
    raw(h, "<h3>");
    raw(h, tr(h, KZ_L_INCIDENTS));
    raw(h, "</h3>\n");
    for (size_t i = 0; i < r->incidents.n && h->st == KZ_OK; i++) {
        kz_strbuf t;

        kz_strbuf_init(&t, 0);
        if ((h->st = kz_rpt_incident_text(
                 &t, r, KZ_REPORT_AT(&r->incidents, kz_report_incident, i))) ==
            KZ_OK) {
            raw(h, "<p class=\"narrative\">");
            text(h, t.data);
            raw(h, "</p>\n");
        }
        kz_strbuf_fini(&t);
    }
    tbl_begin(h, "t-incidents", cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < r->incidents.n; i++) {
        const kz_report_incident *x =
            KZ_REPORT_AT(&r->incidents, kz_report_incident, i);

        raw(h, "<tr>");
        td_u64(h, x->id);
        td_time(h, x->first);
        td_time(h, x->last);
        td_text(h, x->level);
        td_u64(h, x->seeds);
        names(h, x->hosts, x->n_hosts, x->hosts_omitted);
        names(h, x->accounts, x->n_accounts, x->accounts_omitted);
        td_u64(h, x->techniques);
        td_u64(h, x->steps);
        if (x->first_host != NULL)
            td_text(h, x->first_host);
        else
            td_text(h, tr(h, KZ_L_UNDETERMINED));
        td_text(h, x->reason);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->incidents.omitted);
}

static void
sec_summary(hw *h)
{
    const kz_report_summary *s = &h->r->summary;

    if (kz_rpt_section_items(h->r, "summary") == 0)
        no_data(h);
    raw(h, "<dl class=\"facts\">");
    fact(h, KZ_L_FIRST_ACT);
    time_(h, s->first_activity);
    raw(h, "</dd>");
    fact(h, KZ_L_LAST_ACT);
    time_(h, s->last_activity);
    raw(h, "</dd>");
    fact(h, KZ_L_FIRST_HOST);
    if (s->first_host != NULL)
        text(h, s->first_host);
    else
        raw(h, tr(h, KZ_L_UNDETERMINED));
    raw(h, "</dd>");
    fact(h, KZ_L_REASON);
    text(h, s->first_host_reason);
    raw(h, "</dd>");
    fact(h, KZ_L_EVENTS);
    u64(h, s->events);
    raw(h, "</dd>");
    fact(h, KZ_L_DETECTIONS);
    u64(h, s->detections);
    raw(h, "</dd>");
    fact(h, KZ_L_ALERTS);
    u64(h, s->alerts);
    raw(h, "</dd>");
    fact(h, KZ_L_HOST_COUNT);
    u64(h, s->hosts);
    raw(h, "</dd>");
    fact(h, KZ_L_ACCOUNT_COUNT);
    u64(h, s->accounts);
    raw(h, "</dd></dl>\n");
    incidents_table(h);
    raw(h, "<h3>");
    raw(h, tr(h, KZ_L_CHART));
    raw(h, "</h3>\n");
    if (h->r->buckets.n == 0) {
        no_data(h);
        return;
    }
    if (h->st == KZ_OK)
        h->st = kz_rpt_svg_chart(h->b, &h->tmp, h->r);
    if (h->r->buckets.omitted != 0) {
        raw(h, "<p class=\"omitted\">");
        if (h->st == KZ_OK)
            h->st = kz_rpt_omitted(h->b, h->r, h->r->buckets.omitted);
        raw(h, "</p>\n");
    }
}

static void
sec_human(hw *h, const kz_rpt_section *s)
{
    raw(h, "<div class=\"human\" data-human=\"");
    raw(h, s->key);
    raw(h, "\"><p class=\"fill\">");
    raw(h, tr(h, KZ_L_TO_FILL));
    raw(h, "</p><p class=\"guide\">");
    raw(h, tr(h, s->guidance));
    raw(h, "</p><div class=\"blank\"></div></div>\n");
}

static void
sec_preserved(hw *h)
{
    static const kz_rpt_text cols[] = { KZ_L_PATH, KZ_L_SIZE, KZ_L_SHA256,
                                        KZ_L_NOTE };
    const kz_report *r = h->r;

    raw(h, "<h3>");
    raw(h, tr(h, KZ_L_INPUTS));
    raw(h, "</h3>\n");
    if (r->inputs.n == 0) {
        no_data(h);
        return;
    }
    tbl_begin(h, "t-inputs", cols, 4);
    for (size_t i = 0; i < r->inputs.n; i++) {
        const kz_report_input *in =
            KZ_REPORT_AT(&r->inputs, kz_report_input, i);

        raw(h, "<tr>");
        td_text(h, in->path);
        td_u64(h, in->size);
        td_text(h, in->sha256);
        td_text(h, in->note);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->inputs.omitted);
}

static void
sec_traces(hw *h)
{
    static const kz_rpt_text cols[] = {
        KZ_L_INCIDENT, KZ_L_TIME,    KZ_L_HOST,     KZ_L_ACCOUNT,
        KZ_L_ACTIVITY, KZ_L_TACTIC,  KZ_L_FILE,     KZ_L_CHANNEL,
        KZ_L_EVENT_ID, KZ_L_RECORD,  KZ_L_RULE,     KZ_L_LEVEL,
    };
    const kz_report *r = h->r;

    if (r->rows.n == 0) {
        no_data(h);
        return;
    }
    tbl_begin(h, "t-traces", cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < r->rows.n; i++) {
        const kz_report_row *x = KZ_REPORT_AT(&r->rows, kz_report_row, i);
        const char *lv = x->level != NULL ? x->level : "";

        /* the class is one of ours, never the logged text */
        raw(h, strcmp(lv, "critical") == 0 ? "<tr class=\"critical\">"
               : strcmp(lv, "high") == 0   ? "<tr class=\"high\">"
                                           : "<tr>");
        if (x->incident != 0)
            td_u64(h, x->incident);
        else
            raw(h, "<td>-</td>");
        td_time(h, x->time);
        td_text(h, x->host);
        td_text(h, x->account);
        td_text(h, x->activity);
        td_text(h, x->tactic);
        td_text(h, x->file);
        td_text(h, x->channel);
        if (x->event_id != 0)
            td_u64(h, x->event_id);
        else
            raw(h, "<td>-</td>");
        if (x->record_id != KZ_REPORT_NO_RECORD)
            td_u64(h, x->record_id);
        else
            raw(h, "<td>-</td>");
        td_text(h, x->rule_id);
        td_text(h, x->level);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->rows.omitted);
}

static void
sec_tools(hw *h)
{
    static const kz_rpt_text cols[] = { KZ_L_NAME, KZ_L_PATH, KZ_L_SHA256,
                                        KZ_L_FIRST_EXEC, KZ_L_HOSTS };
    const kz_report *r = h->r;

    if (r->tools.n == 0) {
        no_data(h);
        return;
    }
    tbl_begin(h, "t-tools", cols, 5);
    for (size_t i = 0; i < r->tools.n; i++) {
        const kz_report_tool *t = KZ_REPORT_AT(&r->tools, kz_report_tool, i);

        raw(h, "<tr>");
        td_text(h, t->name);
        td_text(h, t->path);
        td_text(h, t->sha256);
        td_time(h, t->first);
        names(h, t->hosts, t->n_hosts, t->hosts_omitted);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->tools.omitted);
}

/* True when report.html inlines the graph library: the build embeds it,
 * the model asks for it and there is a graph to draw. */
static bool
interactive(const hw *h)
{
#ifdef KZ_REPORT_GRAPH_JS
    return h->r->meta.interactive_graph && h->r->nodes.n != 0;
#else
    (void)h;
    return false;
#endif
}

static void
graph_tables(hw *h)
{
    static const kz_rpt_text ncols[] = { KZ_L_NAME, KZ_L_KIND, KZ_L_RANK };
    static const kz_rpt_text ecols[] = { KZ_L_SOURCE, KZ_L_TARGET,
                                         KZ_L_LABEL, KZ_L_COUNT,
                                         KZ_L_FIRST_ACT, KZ_L_LAST };
    const kz_report *r = h->r;
    size_t i;

    raw(h, "<details><summary>");
    raw(h, tr(h, KZ_L_NODES));
    raw(h, " / ");
    raw(h, tr(h, KZ_L_EDGES));
    raw(h, "</summary>\n");
    tbl_begin(h, "t-nodes", ncols, 3);
    for (i = 0; i < r->nodes.n; i++) {
        const kz_report_node *n = KZ_REPORT_AT(&r->nodes, kz_report_node, i);
        double rk = n->rank >= 0.0 && n->rank <= 1.0 ? n->rank : 0.0;

        raw(h, "<tr>");
        td_text(h, n->label != NULL ? n->label : n->id);
        if (n->role != NULL && n->role[0] != '\0') {
            raw(h, "<td>");
            text(h, n->kind);
            raw(h, " (");
            text(h, n->role);
            raw(h, ")</td>");
        } else {
            td_text(h, n->kind);
        }
        if (h->st == KZ_OK)
            h->st = kz_strbuf_addf(h->b, "<td>%.4f</td>", rk);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->nodes.omitted);
    tbl_begin(h, "t-edges", ecols, 6);
    for (i = 0; i < r->edges.n; i++) {
        const kz_report_edge *e = KZ_REPORT_AT(&r->edges, kz_report_edge, i);

        raw(h, "<tr>");
        td_text(h, e->source);
        td_text(h, e->target);
        td_text(h, e->label);
        td_u64(h, e->count);
        td_time(h, e->first);
        td_time(h, e->last);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->edges.omitted);
    raw(h, "</details>\n");
}

static void
sec_lateral(hw *h)
{
    static const kz_rpt_text cols[] = { KZ_L_STEP, KZ_L_TIME, KZ_L_FROM,
                                        KZ_L_TO, KZ_L_ACCOUNT, KZ_L_METHOD,
                                        KZ_L_EVIDENCE };
    const kz_report *r = h->r;

    if (r->steps.n == 0 && r->nodes.n == 0) {
        no_data(h);
        return;
    }
    if (r->steps.n != 0) {
        tbl_begin(h, "t-steps", cols, 7);
        for (size_t i = 0; i < r->steps.n; i++) {
            const kz_report_step *s =
                KZ_REPORT_AT(&r->steps, kz_report_step, i);

            raw(h, "<tr>");
            td_u64(h, i + 1);
            td_time(h, s->time);
            td_text(h, s->from);
            td_text(h, s->to);
            td_text(h, s->account);
            td_text(h, s->method);
            td_text(h, s->evidence);
            raw(h, "</tr>\n");
        }
        tbl_end(h, r->steps.omitted);
    }
    if (r->nodes.n == 0)
        return;
    raw(h, "<h3>");
    raw(h, tr(h, KZ_L_GRAPH));
    raw(h, "</h3>\n<p class=\"legend\"><span>\xe2\x97\x8f host</span>"
           "<span>\xe2\x97\x8f account</span><span>\xe2\x97\x8f address"
           "</span></p>\n");
    if (interactive(h)) {
        raw(h, "<div id=\"kz-cy\" hidden></div>\n"
               "<p id=\"kz-cy-info\" class=\"meta\" hidden></p>\n"
               "<div id=\"kz-graph-svg\">");
    }
    if (h->st == KZ_OK)
        h->st = kz_rpt_svg_graph(h->b, &h->tmp, r);
    if (interactive(h))
        raw(h, "</div>\n");
    graph_tables(h);
}

/* ---- entities ------------------------------------------------------- */

static void
td_yes(hw *h, bool v)
{
    td_text(h, tr(h, v ? KZ_L_YES : KZ_L_NO));
}

static void
h3(hw *h, kz_rpt_text id)
{
    raw(h, "<h3>");
    raw(h, tr(h, id));
    raw(h, "</h3>\n");
}

static void
sec_entities(hw *h)
{
    static const kz_rpt_text hcols[] = { KZ_L_HOST, KZ_L_ROLE,
                                         KZ_L_SPELLINGS, KZ_L_ADDRESSES,
                                         KZ_L_LOGS_READ, KZ_L_EVENTS,
                                         KZ_L_FIRST_SEEN, KZ_L_LAST };
    static const kz_rpt_text acols[] = { KZ_L_ACCOUNT, KZ_L_ADMIN,
                                         KZ_L_ADMIN_ON, KZ_L_SIDS, KZ_L_UPN,
                                         KZ_L_HOSTS, KZ_L_LOGONS,
                                         KZ_L_FAILURES, KZ_L_FIRST_SEEN,
                                         KZ_L_LAST };
    static const kz_rpt_text dcols[] = { KZ_L_SOURCE, KZ_L_INTERNAL,
                                         KZ_L_BELONGS, KZ_L_BASIS,
                                         KZ_L_LOGONS, KZ_L_FAILURES,
                                         KZ_L_FIRST_SEEN, KZ_L_LAST };
    const kz_report *r = h->r;
    size_t i;

    if (r->ent_hosts.n + r->ent_accounts.n + r->ent_addrs.n == 0) {
        no_data(h);
        return;
    }
    h3(h, KZ_L_ENT_HOSTS);
    tbl_begin(h, "t-ent-hosts", hcols, 8);
    for (i = 0; i < r->ent_hosts.n; i++) {
        const kz_report_ent_host *x =
            KZ_REPORT_AT(&r->ent_hosts, kz_report_ent_host, i);

        raw(h, "<tr>");
        td_text(h, x->name);
        td_text(h, x->role);
        names(h, x->spellings, x->n_spellings, x->spellings_omitted);
        names(h, x->addresses, x->n_addresses, x->addresses_omitted);
        td_yes(h, x->logs_read);
        td_u64(h, x->events);
        td_time(h, x->first);
        td_time(h, x->last);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->ent_hosts.omitted);
    h3(h, KZ_L_ENT_ACCOUNTS);
    tbl_begin(h, "t-ent-accounts", acols, 10);
    for (i = 0; i < r->ent_accounts.n; i++) {
        const kz_report_ent_account *x =
            KZ_REPORT_AT(&r->ent_accounts, kz_report_ent_account, i);

        raw(h, "<tr>");
        td_text(h, x->name);
        td_yes(h, x->admin);
        names(h, x->admin_hosts, x->n_admin_hosts, x->admin_hosts_omitted);
        names(h, x->sids, x->n_sids, x->sids_omitted);
        td_text(h, x->upn);
        names(h, x->hosts, x->n_hosts, x->hosts_omitted);
        td_u64(h, x->logons);
        td_u64(h, x->failures);
        td_time(h, x->first);
        td_time(h, x->last);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->ent_accounts.omitted);
    h3(h, KZ_L_ENT_ADDRS);
    tbl_begin(h, "t-ent-addrs", dcols, 8);
    for (i = 0; i < r->ent_addrs.n; i++) {
        const kz_report_ent_addr *x =
            KZ_REPORT_AT(&r->ent_addrs, kz_report_ent_addr, i);

        raw(h, "<tr>");
        td_text(h, x->address);
        td_yes(h, x->internal);
        td_text(h, x->host);
        td_text(h, x->basis);
        td_u64(h, x->logons);
        td_u64(h, x->failures);
        td_time(h, x->first);
        td_time(h, x->last);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->ent_addrs.omitted);
}

static void
sec_scope(hw *h)
{
    static const kz_rpt_text cols[] = {
        KZ_L_INCIDENT, KZ_L_HOST,    KZ_L_SHARE,      KZ_L_READ,
        KZ_L_WRITTEN,  KZ_L_DELETED, KZ_L_TOTAL,      KZ_L_ACCOUNT,
        KZ_L_FIRST_SEEN, KZ_L_LAST,  KZ_L_NAMES };
    const kz_report *r = h->r;

    if (r->scope.n == 0) {
        no_data(h);
        return;
    }
    tbl_begin(h, "t-scope", cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < r->scope.n; i++) {
        const kz_report_scope *s =
            KZ_REPORT_AT(&r->scope, kz_report_scope, i);

        raw(h, "<tr>");
        td_u64(h, s->incident);
        td_text(h, s->host);
        if (s->share != NULL)
            td_text(h, s->share);
        else
            td_text(h, tr(h, s->kind != NULL && strcmp(s->kind, "mailbox") == 0
                                 ? KZ_L_SCOPE_MAILBOX
                                 : KZ_L_SCOPE_LOCAL));
        td_u64(h, s->files_read);
        td_u64(h, s->files_written);
        td_u64(h, s->files_deleted);
        td_u64(h, s->total);
        names(h, s->accounts, s->n_accounts, s->accounts_omitted);
        td_time(h, s->first);
        td_time(h, s->last);
        names(h, s->names, s->n_names, s->names_omitted);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->scope.omitted);
    if (r->scope_file != NULL) {
        raw(h, "<p class=\"note\">");
        raw(h, tr(h, KZ_L_SCOPE_LIST));
        raw(h, " <code>");
        text(h, r->scope_file);
        raw(h, "</code>.</p>\n");
    }
}

static void
sec_limits(hw *h)
{
    static const kz_rpt_text cols[] = { KZ_L_KIND, KZ_L_WHAT,
                                        KZ_L_CONSEQUENCE };
    const kz_report *r = h->r;

    if (r->limits.n == 0) {
        no_data(h);
        return;
    }
    tbl_begin(h, "t-limits", cols, 3);
    for (size_t i = 0; i < r->limits.n; i++) {
        const kz_report_limit *l =
            KZ_REPORT_AT(&r->limits, kz_report_limit, i);

        raw(h, "<tr>");
        td_text(h, l->kind);
        td_text(h, l->what);
        td_text(h, l->consequence);
        raw(h, "</tr>\n");
    }
    tbl_end(h, r->limits.omitted);
}

static void
sec_provenance(hw *h)
{
    static const kz_rpt_text cols[] = { KZ_L_PATH, KZ_L_LOADED,
                                        KZ_L_FAILED };
    const kz_report_meta *m = &h->r->meta;
    size_t i;

    raw(h, "<section id=\"s-provenance\" data-section=\"provenance\"><h2>");
    raw(h, tr(h, KZ_S_PROVENANCE));
    raw(h, "</h2>\n<dl class=\"facts\">");
    fact(h, KZ_L_VERSION);
    raw(h, "kizuki ");
    text(h, m->tool_version);
    raw(h, "</dd>");
    fact(h, KZ_L_GENERATED);
    time_(h, m->generated_at);
    raw(h, "</dd>");
    fact(h, KZ_L_ZONE);
    text(h, m->zone_label);
    raw(h, "</dd>");
    fact(h, KZ_L_LANG);
    raw(h, m->lang == KZ_LANG_JA ? "ja" : "en");
    raw(h, "</dd>");
    fact(h, KZ_L_FLAGS);
    if (m->flags.n == 0)
        raw(h, "-");
    for (i = 0; i < m->flags.n; i++) {
        raw(h, i != 0 ? " <code>" : "<code>");
        text(h, *KZ_REPORT_AT(&m->flags, kz_report_str, i));
        raw(h, "</code>");
    }
    raw(h, "</dd>");
    fact(h, KZ_L_RULES);
    u64(h, m->rules_loaded);
    raw(h, " / ");
    u64(h, m->rules_failed);
    raw(h, "</dd>");
    fact(h, KZ_L_CUT);
    u64(h, h->r->strings_cut);
    raw(h, "</dd></dl>\n<h3>");
    raw(h, tr(h, KZ_L_RULE_SOURCES));
    raw(h, "</h3>\n");
    if (m->rule_sources.n == 0) {
        no_data(h);
    } else {
        tbl_begin(h, "t-rules", cols, 3);
        for (i = 0; i < m->rule_sources.n; i++) {
            const kz_report_rule_source *s =
                KZ_REPORT_AT(&m->rule_sources, kz_report_rule_source, i);

            raw(h, "<tr>");
            td_text(h, s->path);
            td_u64(h, s->loaded);
            td_u64(h, s->failed);
            raw(h, "</tr>\n");
        }
        tbl_end(h, m->rule_sources.omitted);
    }
    raw(h, "</section>\n");
}

/* ---- page ----------------------------------------------------------- */

static void
head(hw *h)
{
    raw(h, "<!DOCTYPE html>\n<html lang=\"");
    raw(h, h->r->meta.lang == KZ_LANG_JA ? "ja" : "en");
    raw(h, "\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\""
           "default-src 'none'; script-src ");
    if (h->st == KZ_OK)
        h->st = csp_hash(h->b, js);
#ifdef KZ_REPORT_GRAPH_JS
    if (interactive(h)) {
        raw(h, " ");
        if (h->st == KZ_OK)
            h->st = csp_hash(h->b, kz_report_graph_js);
        raw(h, " ");
        if (h->st == KZ_OK)
            h->st = csp_hash(h->b, graph_init_js);
    }
#endif
    raw(h, "; style-src ");
    if (h->st == KZ_OK)
        h->st = csp_hash(h->b, css);
    raw(h, "; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"referrer\" content=\"no-referrer\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, "
           "initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"kizuki\">\n<title>");
    raw(h, tr(h, KZ_T_TITLE));
    raw(h, "</title>\n<style>");
    raw(h, css);
    raw(h, "</style>\n</head>\n<body>\n<header><h1>");
    raw(h, tr(h, KZ_T_TITLE));
    raw(h, "</h1><p class=\"meta\">");
    raw(h, tr(h, KZ_L_ZONE));
    raw(h, ": ");
    text(h, h->r->meta.zone_label);
    raw(h, " \xc2\xb7 ");
    raw(h, tr(h, KZ_L_GENERATED));
    raw(h, ": ");
    time_(h, h->r->meta.generated_at);
    raw(h, " \xc2\xb7 kizuki ");
    text(h, h->r->meta.tool_version);
    raw(h, " \xc2\xb7 ");
    raw(h, tr(h, KZ_L_SORT_HINT));
    raw(h, "</p></header>\n");
}

static void
toc(hw *h, const kz_rpt_section *s, size_t n)
{
    raw(h, "<nav><ol>");
    for (size_t i = 0; i < n; i++) {
        raw(h, "<li><a href=\"#s-");
        raw(h, s[i].key);
        raw(h, "\">");
        raw(h, tr(h, s[i].heading));
        raw(h, "</a></li>");
    }
    raw(h, "<li><a href=\"#s-provenance\">");
    raw(h, tr(h, KZ_S_PROVENANCE));
    raw(h, "</a></li></ol></nav>\n");
}

/* The graph as JSON in a data block the browser never executes, made
 * unable to end the element (kz_rpt_script_json). */
static void
graph_data(hw *h)
{
    kz_strbuf j;

    kz_strbuf_init(&j, 0);
    raw(h, "<script type=\"application/json\" id=\"kz-graph-data\">");
    if (h->st == KZ_OK)
        h->st = kz_rpt_json_graph(h->r, &j);
    if (h->st == KZ_OK && j.len != 0)
        h->st = kz_rpt_script_json(h->b, j.data, j.len);
    raw(h, "</script>\n");
    kz_strbuf_fini(&j);
}

kz_status
kz_report_html(const kz_report *r, kz_strbuf *out, kz_error *err)
{
    hw h = { .b = out, .r = r };
    size_t n, i;
    const kz_rpt_section *s = kz_rpt_sections(&n);

    kz_strbuf_init(&h.tmp, 4 * KZ_REPORT_STR_MAX + 64);
    head(&h);
    toc(&h, s, n);
    raw(&h, "<main>\n");
    for (i = 0; i < n; i++) {
        raw(&h, "<section id=\"s-");
        raw(&h, s[i].key);
        raw(&h, "\" data-section=\"");
        raw(&h, s[i].key);
        raw(&h, "\"><h2>");
        if (h.st == KZ_OK)
            h.st = kz_strbuf_addf(out, "%zu. ", i + 1);
        raw(&h, tr(&h, s[i].heading));
        raw(&h, "</h2>\n<p class=\"src\">");
        raw(&h, tr(&h, KZ_L_DATA_SOURCE));
        raw(&h, ": ");
        raw(&h, tr(&h, s[i].source));
        raw(&h, "</p>\n");
        if (s[i].human)
            sec_human(&h, &s[i]);
        if (strcmp(s[i].key, "summary") == 0)
            sec_summary(&h);
        else if (strcmp(s[i].key, "preserved") == 0)
            sec_preserved(&h);
        else if (strcmp(s[i].key, "traces") == 0)
            sec_traces(&h);
        else if (strcmp(s[i].key, "tools") == 0)
            sec_tools(&h);
        else if (strcmp(s[i].key, "lateral") == 0)
            sec_lateral(&h);
        else if (strcmp(s[i].key, "entities") == 0)
            sec_entities(&h);
        else if (strcmp(s[i].key, "scope") == 0)
            sec_scope(&h);
        else if (strcmp(s[i].key, "limits") == 0)
            sec_limits(&h);
        raw(&h, "</section>\n");
    }
    sec_provenance(&h);
    raw(&h, "</main>\n");
    graph_data(&h);
    raw(&h, "<script>");
    raw(&h, js);
    raw(&h, "</script>\n");
#ifdef KZ_REPORT_GRAPH_JS
    if (interactive(&h)) {
        raw(&h, "<script>");
        raw(&h, kz_report_graph_js);
        raw(&h, "</script>\n<script>");
        raw(&h, graph_init_js);
        raw(&h, "</script>\n");
    }
#endif
    raw(&h, "</body>\n</html>\n");
    kz_strbuf_fini(&h.tmp);
    if (h.st != KZ_OK)
        return kz_error_set(err, h.st, "report.html: %s",
                            kz_status_str(h.st));
    return KZ_OK;
}
