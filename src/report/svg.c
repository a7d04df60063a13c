/*
 * svg.c - the two drawings of report.html, as inline SVG drawn here (no
 * script, no external resource): the events/alerts-over-time chart and
 * the logon/lateral-movement graph with kizuki's own deterministic
 * layout. Coordinates are integers (no locale-dependent decimals).
 *
 * Graph layout (docs/report.md, Graph): nodes are ordered by first seen
 * (the earliest first time of an edge touching them; nodes without a
 * timed edge last), then by rank (higher first), then by id; they fill
 * columns of at most GRAPH_MAX_ROWS rows (ceil(sqrt(n)) rows per column)
 * left to right, odd columns shifted by half a row, so the picture reads
 * left to right in time. The same model always gives the same picture.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_MAX_ROWS 12   /* nodes per column at most */
#define GRAPH_COL_GAP 180   /* px between columns */
#define GRAPH_ROW_GAP 64    /* px between rows */
#define GRAPH_MARGIN 50     /* px around the drawing */
#define GRAPH_LABEL_MAX 28  /* bytes of a label drawn (full in title) */

#define CHART_W 900         /* px */
#define CHART_H 230         /* px */
#define CHART_X0 70         /* plot left */
#define CHART_Y0 30         /* plot top */
#define CHART_PW 760        /* plot width */
#define CHART_PH 150        /* plot height */

typedef struct svg {
    kz_strbuf *b;        /* output */
    kz_strbuf *tmp;      /* escaper scratch */
    const kz_report *r;  /* model */
    kz_status st;        /* first failure, sticky */
} svg;

static void
raw(svg *s, const char *t)
{
    if (s->st == KZ_OK)
        s->st = kz_strbuf_adds(s->b, t);
}

static void
num(svg *s, long v)
{
    if (s->st == KZ_OK)
        s->st = kz_strbuf_add_i64(s->b, v);
}

static void
unum(svg *s, uint64_t v)
{
    if (s->st == KZ_OK)
        s->st = kz_strbuf_add_u64(s->b, v);
}

static void
text(svg *s, const char *t)
{
    if (s->st == KZ_OK)
        s->st = kz_rpt_html_text(s->b, s->tmp, t);
}

static void
time_(svg *s, kz_time t)
{
    if (s->st == KZ_OK)
        s->st = kz_rpt_time(s->b, s->r, t);
}

static const char *
tr(svg *s, kz_rpt_text id)
{
    return kz_rpt_tr(s->r->meta.lang, id);
}

/* ---- chart ---------------------------------------------------------- */

kz_status
kz_rpt_svg_chart(kz_strbuf *b, kz_strbuf *tmp, const kz_report *r)
{
    svg s = { .b = b, .tmp = tmp, .r = r };
    const kz_report_list *l = &r->buckets;
    uint64_t max_e = 0, max_a = 0;
    size_t i, n = l->n;
    long bw;

    if (n == 0)
        return KZ_OK;
    for (i = 0; i < n; i++) {
        const kz_report_bucket *k = KZ_REPORT_AT(l, kz_report_bucket, i);

        if (k->events > max_e)
            max_e = k->events;
        if (k->alerts > max_a)
            max_a = k->alerts;
    }
    bw = CHART_PW / (long)n;
    if (bw < 1)
        bw = 1;
    raw(&s, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 ");
    num(&s, CHART_W);
    raw(&s, " ");
    num(&s, CHART_H);
    raw(&s, "\" width=\"");
    num(&s, CHART_W);
    raw(&s, "\" height=\"");
    num(&s, CHART_H);
    raw(&s, "\"><title>");
    raw(&s, tr(&s, KZ_L_CHART));
    raw(&s, "</title>");
    /* axes */
    raw(&s, "<line x1=\"70\" y1=\"180\" x2=\"830\" y2=\"180\" "
            "stroke=\"#555\"/><line x1=\"70\" y1=\"30\" x2=\"70\" "
            "y2=\"180\" stroke=\"#555\"/>");
    for (i = 0; i < n; i++) {
        const kz_report_bucket *k = KZ_REPORT_AT(l, kz_report_bucket, i);
        long x = CHART_X0 + (long)i * CHART_PW / (long)n;
        long he = max_e ? (long)((double)k->events / (double)max_e *
                                 CHART_PH)
                        : 0;
        long ha = max_a ? (long)((double)k->alerts / (double)max_a *
                                 CHART_PH)
                        : 0;

        raw(&s, "<g><title>");
        time_(&s, k->start);
        raw(&s, " ");
        raw(&s, tr(&s, KZ_L_EVENTS));
        raw(&s, " ");
        unum(&s, k->events);
        raw(&s, ", ");
        raw(&s, tr(&s, KZ_L_ALERTS));
        raw(&s, " ");
        unum(&s, k->alerts);
        raw(&s, "</title><rect x=\"");
        num(&s, x);
        raw(&s, "\" y=\"");
        num(&s, CHART_Y0 + CHART_PH - he);
        raw(&s, "\" width=\"");
        num(&s, bw > 2 ? bw - 1 : bw);
        raw(&s, "\" height=\"");
        num(&s, he);
        raw(&s, "\" fill=\"#a0aec0\"/>");
        if (k->alerts != 0) {
            raw(&s, "<rect x=\"");
            num(&s, x + bw / 4);
            raw(&s, "\" y=\"");
            num(&s, CHART_Y0 + CHART_PH - ha);
            raw(&s, "\" width=\"");
            num(&s, bw / 2 > 0 ? bw / 2 : 1);
            raw(&s, "\" height=\"");
            num(&s, ha > 0 ? ha : 1);
            raw(&s, "\" fill=\"#c53030\"/>");
        }
        raw(&s, "</g>");
    }
    /* scale and time labels */
    raw(&s, "<text x=\"66\" y=\"36\" text-anchor=\"end\" font-size=\"11\">");
    unum(&s, max_e);
    raw(&s, "</text><text x=\"836\" y=\"36\" font-size=\"11\" "
            "fill=\"#c53030\">");
    unum(&s, max_a);
    raw(&s, "</text><text x=\"70\" y=\"198\" font-size=\"11\">");
    time_(&s, KZ_REPORT_AT(l, kz_report_bucket, 0)->start);
    raw(&s, "</text><text x=\"830\" y=\"198\" text-anchor=\"end\" "
            "font-size=\"11\">");
    time_(&s, KZ_REPORT_AT(l, kz_report_bucket, n - 1)->start);
    raw(&s, "</text><rect x=\"70\" y=\"210\" width=\"12\" height=\"10\" "
            "fill=\"#a0aec0\"/><text x=\"88\" y=\"219\" font-size=\"11\">");
    raw(&s, tr(&s, KZ_L_EVENTS));
    raw(&s, "</text><rect x=\"260\" y=\"210\" width=\"12\" height=\"10\" "
            "fill=\"#c53030\"/><text x=\"278\" y=\"219\" font-size=\"11\">");
    raw(&s, tr(&s, KZ_L_ALERTS));
    raw(&s, "</text></svg>\n");
    return s.st;
}

/* ---- graph ---------------------------------------------------------- */

typedef struct gnode {
    const kz_report_node *n; /* model node */
    kz_time first;           /* first seen, KZ_TIME_NONE if never */
    long x, y, rad;          /* layout */
} gnode;

typedef struct gkey {
    const char *id;  /* node id */
    size_t pos;      /* index into the laid-out order */
} gkey;

/* A node's rank for drawing and ordering: NaN and values outside 0..1
 * (hostile or broken input) count as 0, so the order stays total. */
static double
rank_of(const kz_report_node *n)
{
    return n->rank >= 0.0 && n->rank <= 1.0 ? n->rank : 0.0;
}

static int
cmp_gnode(const void *pa, const void *pb)
{
    const gnode *a = pa, *b = pb;
    double ra = rank_of(a->n), rb = rank_of(b->n);
    int c;

    if (a->first != b->first) {
        if (a->first == KZ_TIME_NONE)
            return 1;
        if (b->first == KZ_TIME_NONE)
            return -1;
        return a->first < b->first ? -1 : 1;
    }
    if (ra != rb)
        return ra > rb ? -1 : 1;
    c = strcmp(a->n->id ? a->n->id : "", b->n->id ? b->n->id : "");
    if (c != 0)
        return c;
    return a->n < b->n ? -1 : a->n > b->n;
}

static int
cmp_gkey(const void *pa, const void *pb)
{
    const gkey *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);

    if (c != 0)
        return c;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Index of the node with id, or SIZE_MAX (the first of equal ids). */
static size_t
find(const gkey *keys, size_t n, const char *id)
{
    size_t lo = 0, hi = n;

    if (id == NULL)
        return SIZE_MAX;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(keys[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(keys[lo].id, id) == 0 ? keys[lo].pos
                                                    : SIZE_MAX;
}

static const char *
kind_color(const char *kind)
{
    if (kind == NULL)
        return "#805ad5";
    if (strcmp(kind, "host") == 0)
        return "#2b6cb0";
    if (strcmp(kind, "account") == 0)
        return "#dd6b20";
    if (strcmp(kind, "address") == 0)
        return "#718096";
    return "#805ad5";
}

/* The label drawn: at most GRAPH_LABEL_MAX bytes, cut on a UTF-8
 * boundary, with "…" when cut. */
static void
short_label(svg *s, const char *label)
{
    char buf[GRAPH_LABEL_MAX + 4];
    size_t n;

    if (label == NULL || strlen(label) <= GRAPH_LABEL_MAX) {
        text(s, label);
        return;
    }
    n = GRAPH_LABEL_MAX;
    while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80)
        n--;
    memcpy(buf, label, n);
    memcpy(buf + n, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
    text(s, buf);
}

static void
draw_edges(svg *s, const gnode *g, const gkey *keys, size_t n)
{
    const kz_report_list *l = &s->r->edges;

    for (size_t i = 0; i < l->n; i++) {
        const kz_report_edge *e = KZ_REPORT_AT(l, kz_report_edge, i);
        size_t a = find(keys, n, e->source), b = find(keys, n, e->target);
        double dx, dy, len;
        long x2, y2, w;

        if (a == SIZE_MAX || b == SIZE_MAX || a == b)
            continue;   /* unknown endpoint or a loop: table only */
        dx = (double)(g[b].x - g[a].x);
        dy = (double)(g[b].y - g[a].y);
        len = sqrt(dx * dx + dy * dy);
        if (len < 1.0)
            continue;
        x2 = g[b].x - (long)(dx / len * (double)(g[b].rad + 3));
        y2 = g[b].y - (long)(dy / len * (double)(g[b].rad + 3));
        w = 1 + (long)log2((double)(e->count ? e->count : 1));
        if (w > 6)
            w = 6;
        raw(s, "<g><title>");
        text(s, e->source);
        raw(s, " \xe2\x86\x92 ");   /* → */
        text(s, e->target);
        raw(s, " (");
        text(s, e->label);
        raw(s, ") ");
        unum(s, e->count);
        raw(s, " \xc2\xb7 ");     /* · */
        time_(s, e->first);
        raw(s, " .. ");
        time_(s, e->last);
        raw(s, "</title><line x1=\"");
        num(s, g[a].x);
        raw(s, "\" y1=\"");
        num(s, g[a].y);
        raw(s, "\" x2=\"");
        num(s, x2);
        raw(s, "\" y2=\"");
        num(s, y2);
        raw(s, "\" stroke=\"#4a5568\" stroke-opacity=\"0.6\" "
               "stroke-width=\"");
        num(s, w);
        raw(s, "\" marker-end=\"url(#kz-arrow)\"/></g>");
    }
}

static void
draw_nodes(svg *s, const gnode *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const kz_report_node *nd = g[i].n;
        char rank[32];

        raw(s, "<g><title>");
        text(s, nd->label != NULL ? nd->label : nd->id);
        raw(s, " [");
        text(s, nd->kind);
        snprintf(rank, sizeof(rank), "] rank %.4f", rank_of(nd));
        raw(s, rank);
        if (g[i].first != KZ_TIME_NONE) {
            raw(s, " \xc2\xb7 ");
            time_(s, g[i].first);
        }
        raw(s, "</title><circle cx=\"");
        num(s, g[i].x);
        raw(s, "\" cy=\"");
        num(s, g[i].y);
        raw(s, "\" r=\"");
        num(s, g[i].rad);
        raw(s, "\" fill=\"");
        raw(s, kind_color(nd->kind));
        raw(s, "\"/><text x=\"");
        num(s, g[i].x);
        raw(s, "\" y=\"");
        num(s, g[i].y + g[i].rad + 13);
        raw(s, "\" text-anchor=\"middle\" font-size=\"11\">");
        short_label(s, nd->label != NULL ? nd->label : nd->id);
        raw(s, "</text></g>");
    }
}

/* Sets each node's first-seen time from the edges (keys sorted by id). */
static void
first_seen(const kz_report *r, gnode *g, const gkey *keys, size_t n)
{
    for (size_t i = 0; i < r->edges.n; i++) {
        const kz_report_edge *e = KZ_REPORT_AT(&r->edges, kz_report_edge, i);
        size_t ends[2] = { find(keys, n, e->source),
                           find(keys, n, e->target) };

        if (e->first == KZ_TIME_NONE)
            continue;
        for (int k = 0; k < 2; k++)
            if (ends[k] != SIZE_MAX &&
                (g[ends[k]].first == KZ_TIME_NONE ||
                 e->first < g[ends[k]].first))
                g[ends[k]].first = e->first;
    }
}

/* Builds keys over g[0..n) sorted by id. */
static void
index_nodes(const gnode *g, gkey *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        keys[i].id = g[i].n->id != NULL ? g[i].n->id : "";
        keys[i].pos = i;
    }
    qsort(keys, n, sizeof(*keys), cmp_gkey);
}

kz_status
kz_rpt_svg_graph(kz_strbuf *b, kz_strbuf *tmp, const kz_report *r)
{
    svg s = { .b = b, .tmp = tmp, .r = r };
    size_t n = r->nodes.n, i, rows, cols;
    gnode *g = NULL;
    gkey *keys = NULL;
    double max_rank = 0.0;
    long width, height;

    if (n == 0)
        return KZ_OK;
    g = calloc(n, sizeof(*g));
    keys = calloc(n, sizeof(*keys));
    if (g == NULL || keys == NULL) {
        s.st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        g[i].n = KZ_REPORT_AT(&r->nodes, kz_report_node, i);
        g[i].first = KZ_TIME_NONE;
        if (rank_of(g[i].n) > max_rank)
            max_rank = rank_of(g[i].n);
    }
    /* first seen needs an id index over the model order ... */
    index_nodes(g, keys, n);
    first_seen(r, g, keys, n);
    /* ... then the layout order, and the index again over it */
    qsort(g, n, sizeof(*g), cmp_gnode);
    index_nodes(g, keys, n);
    rows = (size_t)ceil(sqrt((double)n));
    if (rows > GRAPH_MAX_ROWS)
        rows = GRAPH_MAX_ROWS;
    if (rows == 0)
        rows = 1;
    cols = (n + rows - 1) / rows;
    for (i = 0; i < n; i++) {
        size_t c = i / rows, row = i % rows;
        double rk = rank_of(g[i].n);

        g[i].x = GRAPH_MARGIN + (long)c * GRAPH_COL_GAP;
        g[i].y = GRAPH_MARGIN + (long)row * GRAPH_ROW_GAP +
                 (c % 2 ? GRAPH_ROW_GAP / 2 : 0);
        if (max_rank <= 0.0)
            rk = 0.0;
        g[i].rad = 6 + (long)(12.0 * rk / (max_rank > 0 ? max_rank : 1));
    }
    width = 2 * GRAPH_MARGIN + (long)(cols - 1) * GRAPH_COL_GAP + 60;
    height = 2 * GRAPH_MARGIN + (long)rows * GRAPH_ROW_GAP;
    raw(&s, "<svg class=\"graph\" role=\"img\" viewBox=\"0 0 ");
    num(&s, width);
    raw(&s, " ");
    num(&s, height);
    raw(&s, "\" width=\"");
    num(&s, width);
    raw(&s, "\" height=\"");
    num(&s, height);
    raw(&s, "\"><title>");
    raw(&s, tr(&s, KZ_L_GRAPH));
    raw(&s, "</title><defs><marker id=\"kz-arrow\" viewBox=\"0 0 10 10\" "
            "refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
            "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" "
            "fill=\"#4a5568\"/></marker></defs>");
    draw_edges(&s, g, keys, n);
    draw_nodes(&s, g, n);
    raw(&s, "</svg>\n");
out:
    free(g);
    free(keys);
    return s.st;
}
