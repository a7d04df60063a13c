/*
 * logon_export.c - the logon graph as files: Cytoscape JSON (elements
 * with a data object each) and GraphML (keys declared, every string
 * XML-escaped). Both stream through a write callback in pieces of about
 * 64 KiB; the order is the collector's (nodes by kind and id, edges by
 * kind, source, target). Reference: docs/logons.md "Exports".
 */
#include "investigate/logon.h"

#include <string.h>

#include "base/utf.h"
#include "write/escape.h"

#define FLUSH_AT (64 * 1024)

static const char *const node_kinds[] = {"account", "host", "address"};
static const char *const edge_kinds[] = {"logon", "from"};

typedef struct out {
    kz_strbuf b;         /* pending bytes */
    kz_logon_write_fn w; /* sink */
    void *wctx;
    kz_logon_time_fn tf; /* time format, NULL = ISO UTC */
    void *tctx;
    kz_status st; /* first error */
} out;

static void
flush(out *o, bool force)
{
    if (o->st == KZ_OK && o->b.len > 0 && (force || o->b.len >= FLUSH_AT)) {
        o->st = o->w(o->wctx, o->b.data, o->b.len);
        kz_strbuf_reset(&o->b);
    }
}

static void
put(out *o, const char *s)
{
    if (o->st == KZ_OK)
        o->st = kz_strbuf_adds(&o->b, s);
}

static void
put_u64(out *o, uint64_t v)
{
    if (o->st == KZ_OK)
        o->st = kz_strbuf_add_u64(&o->b, v);
}

static void
put_time(out *o, kz_time t)
{
    if (o->st != KZ_OK)
        return;
    if (t == KZ_TIME_NONE)
        o->st = kz_strbuf_adds(&o->b, "");
    else if (o->tf != NULL)
        o->st = o->tf(o->tctx, &o->b, t);
    else
        o->st = kz_time_format_iso(&o->b, t, 0);
}

/* ---- Cytoscape JSON ------------------------------------------------- */

static void
jstr(out *o, const char *key, const char *s)
{
    put(o, ",\"");
    put(o, key);
    put(o, "\":");
    if (o->st == KZ_OK)
        o->st = kz_json_string(&o->b, s, strlen(s));
}

static void
jtime(out *o, const char *key, kz_time t)
{
    put(o, ",\"");
    put(o, key);
    put(o, "\":");
    if (t == KZ_TIME_NONE) {
        put(o, "null");
        return;
    }
    put(o, "\"");
    put_time(o, t);
    put(o, "\"");
}

static void
jnum(out *o, const char *key, double v)
{
    put(o, ",\"");
    put(o, key);
    put(o, "\":");
    if (o->st == KZ_OK)
        o->st = kz_strbuf_addf(&o->b, "%.6f", v);
}

static void
jids(out *o, uint32_t mask)
{
    size_t i, k = 0;
    const kz_logon_source *s;

    put(o, ",\"event_ids\":[");
    for (i = 0; i < 32 && (s = kz_logon_source_at(i)) != NULL; i++)
        if (mask & (1u << i)) {
            if (k++ > 0)
                put(o, ",");
            put_u64(o, s->event_id);
        }
    put(o, "]");
}

kz_status
kz_logon_write_cytoscape(const kz_logon *l, kz_logon_write_fn w, void *wctx,
                         kz_logon_time_fn tf, void *tctx)
{
    out o = {.w = w, .wctx = wctx, .tf = tf, .tctx = tctx, .st = KZ_OK};
    size_t i, nn = kz_logon_n_nodes(l), ne = kz_logon_n_edges(l);

    kz_strbuf_init(&o.b, 0);
    put(&o, "{\"elements\":{\"nodes\":[");
    for (i = 0; i < nn && o.st == KZ_OK; i++) {
        const kz_logon_node *n = kz_logon_node_at(l, i);

        put(&o, i > 0 ? ",\n" : "\n");
        put(&o, "{\"data\":{\"id\":");
        if (o.st == KZ_OK)
            o.st = kz_json_string(&o.b, n->id, strlen(n->id));
        jstr(&o, "label", n->label);
        jstr(&o, "kind", node_kinds[n->kind]);
        jnum(&o, "rank", n->rank);
        jnum(&o, "rank_norm", n->rank_norm);
        if (n->kind == KZ_NODE_ACCOUNT) {
            jstr(&o, "sid", n->sid);
            put(&o, n->admin ? ",\"admin\":true" : ",\"admin\":false");
        } else if (n->kind == KZ_NODE_ADDRESS) {
            put(&o, n->external ? ",\"external\":true" : ",\"external\":false");
        } else if (n->kind == KZ_NODE_HOST && n->roles != 0) {
            jstr(&o, "role", kz_logon_roles_str(n->roles));
        }
        put(&o, "}}");
        flush(&o, false);
    }
    put(&o, "],\"edges\":[");
    for (i = 0; i < ne && o.st == KZ_OK; i++) {
        const kz_logon_edge *e = kz_logon_edge_at(l, i);

        put(&o, i > 0 ? ",\n" : "\n");
        put(&o, "{\"data\":{\"id\":\"e");
        put_u64(&o, i + 1);
        put(&o, "\"");
        jstr(&o, "kind", edge_kinds[e->kind]);
        jstr(&o, "source", kz_logon_node_at(l, e->source)->id);
        jstr(&o, "target", kz_logon_node_at(l, e->target)->id);
        if (e->kind == KZ_EDGE_LOGON) {
            jstr(&o, "via",
                 e->via != SIZE_MAX ? kz_logon_node_at(l, e->via)->id : "");
            put(&o, ",\"logon_type\":");
            if (e->logon_type < 0)
                put(&o, "null");
            else
                put_u64(&o, (uint64_t)e->logon_type);
            jstr(&o, "auth", e->auth);
        }
        put(&o, ",\"count\":");
        put_u64(&o, e->count);
        put(&o, ",\"failed\":");
        put_u64(&o, e->failed);
        jtime(&o, "first", e->first);
        jtime(&o, "last", e->last);
        jids(&o, e->event_mask);
        put(&o, "}}");
        flush(&o, false);
    }
    put(&o, "\n]}}\n");
    flush(&o, true);
    kz_strbuf_fini(&o.b);
    return o.st;
}

/* ---- GraphML -------------------------------------------------------- */

/* True if XML 1.0 allows cp in text. */
static bool
xml_char(uint32_t cp)
{
    return cp == 0x9 || cp == 0xa || cp == 0xd ||
           (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
           (cp >= 0x10000 && cp <= 0x10ffff);
}

kz_status
kz_xml_escape(kz_strbuf *b, const char *s, size_t n)
{
    size_t i = 0, k;
    uint32_t cp;
    kz_status st = KZ_OK;

    while (i < n && st == KZ_OK) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '&':
            st = kz_strbuf_adds(b, "&amp;");
            i++;
            continue;
        case '<':
            st = kz_strbuf_adds(b, "&lt;");
            i++;
            continue;
        case '>':
            st = kz_strbuf_adds(b, "&gt;");
            i++;
            continue;
        case '"':
            st = kz_strbuf_adds(b, "&quot;");
            i++;
            continue;
        case '\'':
            st = kz_strbuf_adds(b, "&apos;");
            i++;
            continue;
        case '\t':
            st = kz_strbuf_adds(b, "&#9;");
            i++;
            continue;
        case '\n':
            st = kz_strbuf_adds(b, "&#10;");
            i++;
            continue;
        case '\r':
            st = kz_strbuf_adds(b, "&#13;");
            i++;
            continue;
        default:
            break;
        }
        k = kz_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || !xml_char(cp)) {
            /* Invalid UTF-8, a surrogate or a forbidden control. */
            st = kz_strbuf_adds(b, "\xef\xbf\xbd");
            i += k == 0 ? 1 : k;
            continue;
        }
        st = kz_strbuf_add(b, s + i, k);
        i += k;
    }
    return st;
}

static void
xstr(out *o, const char *s)
{
    if (o->st == KZ_OK)
        o->st = kz_xml_escape(&o->b, s, strlen(s));
}

/* <data key="k">text</data> */
static void
xdata(out *o, const char *key, const char *s)
{
    put(o, "<data key=\"");
    put(o, key);
    put(o, "\">");
    xstr(o, s);
    put(o, "</data>");
}

static void
xdata_u64(out *o, const char *key, uint64_t v)
{
    put(o, "<data key=\"");
    put(o, key);
    put(o, "\">");
    put_u64(o, v);
    put(o, "</data>");
}

static void
xdata_time(out *o, const char *key, kz_time t)
{
    put(o, "<data key=\"");
    put(o, key);
    put(o, "\">");
    put_time(o, t);
    put(o, "</data>");
}

static void
xdata_num(out *o, const char *key, double v)
{
    put(o, "<data key=\"");
    put(o, key);
    put(o, "\">");
    if (o->st == KZ_OK)
        o->st = kz_strbuf_addf(&o->b, "%.6f", v);
    put(o, "</data>");
}

/* The declared keys: id, for, name, type. */
static const char *const keys[][4] = {
    {"n_label", "node", "label", "string"},
    {"n_kind", "node", "kind", "string"},
    {"n_rank", "node", "rank", "double"},
    {"n_rank_norm", "node", "rank_norm", "double"},
    {"n_sid", "node", "sid", "string"},
    {"n_admin", "node", "admin", "boolean"},
    {"n_external", "node", "external", "boolean"},
    {"n_role", "node", "role", "string"},
    {"e_kind", "edge", "kind", "string"},
    {"e_via", "edge", "via", "string"},
    {"e_logon_type", "edge", "logon_type", "int"},
    {"e_auth", "edge", "auth", "string"},
    {"e_count", "edge", "count", "long"},
    {"e_failed", "edge", "failed", "long"},
    {"e_first", "edge", "first", "string"},
    {"e_last", "edge", "last", "string"},
    {"e_event_ids", "edge", "event_ids", "string"},
};

kz_status
kz_logon_write_graphml(const kz_logon *l, kz_logon_write_fn w, void *wctx,
                       kz_logon_time_fn tf, void *tctx)
{
    out o = {.w = w, .wctx = wctx, .tf = tf, .tctx = tctx, .st = KZ_OK};
    size_t i, nn = kz_logon_n_nodes(l), ne = kz_logon_n_edges(l);
    kz_strbuf ids;

    kz_strbuf_init(&o.b, 0);
    kz_strbuf_init(&ids, 4096);
    put(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n");
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        put(&o, "<key id=\"");
        put(&o, keys[i][0]);
        put(&o, "\" for=\"");
        put(&o, keys[i][1]);
        put(&o, "\" attr.name=\"");
        put(&o, keys[i][2]);
        put(&o, "\" attr.type=\"");
        put(&o, keys[i][3]);
        put(&o, "\"/>\n");
    }
    put(&o, "<graph id=\"logons\" edgedefault=\"directed\">\n");
    for (i = 0; i < nn && o.st == KZ_OK; i++) {
        const kz_logon_node *n = kz_logon_node_at(l, i);

        put(&o, "<node id=\"");
        xstr(&o, n->id);
        put(&o, "\">");
        xdata(&o, "n_label", n->label);
        xdata(&o, "n_kind", node_kinds[n->kind]);
        xdata_num(&o, "n_rank", n->rank);
        xdata_num(&o, "n_rank_norm", n->rank_norm);
        if (n->kind == KZ_NODE_ACCOUNT) {
            xdata(&o, "n_sid", n->sid);
            xdata(&o, "n_admin", n->admin ? "true" : "false");
        } else if (n->kind == KZ_NODE_ADDRESS) {
            xdata(&o, "n_external", n->external ? "true" : "false");
        } else if (n->kind == KZ_NODE_HOST && n->roles != 0) {
            xdata(&o, "n_role", kz_logon_roles_str(n->roles));
        }
        put(&o, "</node>\n");
        flush(&o, false);
    }
    for (i = 0; i < ne && o.st == KZ_OK; i++) {
        const kz_logon_edge *e = kz_logon_edge_at(l, i);

        put(&o, "<edge id=\"e");
        put_u64(&o, i + 1);
        put(&o, "\" source=\"");
        xstr(&o, kz_logon_node_at(l, e->source)->id);
        put(&o, "\" target=\"");
        xstr(&o, kz_logon_node_at(l, e->target)->id);
        put(&o, "\">");
        xdata(&o, "e_kind", edge_kinds[e->kind]);
        if (e->kind == KZ_EDGE_LOGON) {
            xdata(&o, "e_via",
                  e->via != SIZE_MAX ? kz_logon_node_at(l, e->via)->id : "");
            if (e->logon_type >= 0)
                xdata_u64(&o, "e_logon_type", (uint64_t)e->logon_type);
            xdata(&o, "e_auth", e->auth);
        }
        xdata_u64(&o, "e_count", e->count);
        xdata_u64(&o, "e_failed", e->failed);
        xdata_time(&o, "e_first", e->first);
        xdata_time(&o, "e_last", e->last);
        kz_strbuf_reset(&ids);
        if (o.st == KZ_OK)
            o.st = kz_logon_mask_ids(&ids, e->event_mask);
        if (o.st == KZ_OK)
            o.st = kz_strbuf_addc(&ids, '\0');
        xdata(&o, "e_event_ids", ids.data != NULL ? ids.data : "");
        put(&o, "</edge>\n");
        flush(&o, false);
    }
    put(&o, "</graph>\n</graphml>\n");
    flush(&o, true);
    kz_strbuf_fini(&o.b);
    kz_strbuf_fini(&ids);
    return o.st;
}
