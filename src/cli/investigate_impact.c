/*
 * investigate_impact.c - investigate's impact scope after the incident
 * engine ran: each incident's hosts, the sources of its lateral steps
 * and candidates, its accounts and the images of its alerts (and their
 * parents) go to the impact engine (investigate/impact.h), which
 * attributes the file facts spooled during the read; every distinct
 * object goes to DIR/impact_files.csv, every (incident, host, share) to
 * the report's impact scope. Reference: docs/investigate.md ("Procedure
 * 6: impact scope"), docs/report.md (impact_files.csv).
 * Threads: the calling thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "cli/investigate_int.h"
#include "write/escape.h"

/* The complete list beside the report. */
#define LIST_FILE "impact_files.csv"

/* String arrays of one incident for the impact engine (borrowed from
 * the incident engine, which outlives the run). */
typedef struct strs {
    const char **v;
    size_t n, cap;
} strs;

static kz_status
push(strs *s, const char *p)
{
    size_t i;

    if (p == NULL || *p == '\0')
        return KZ_OK;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->v[i], p) == 0)
            return KZ_OK;
    if (kz_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 8) != KZ_OK)
        return KZ_ENOMEM;
    s->v[s->n++] = p;
    return KZ_OK;
}

/* What the callbacks share. */
typedef struct ictx {
    kz_inv *v;
    FILE *f;          /* impact_files.csv being written */
    const kz_tz *tz;
    kz_strbuf line;
    uint64_t objects;
} ictx;

static const char *
kind_name(uint8_t k)
{
    return k == KZ_IMP_SHARE ? "share" : k == KZ_IMP_LOCAL ? "local"
                                                           : "mailbox";
}

static kz_status
cell(kz_strbuf *b, const char *s, bool last)
{
    kz_status st = kz_csv_cell(b, s != NULL ? s : "", s != NULL ? strlen(s)
                                                                : 0);

    if (st != KZ_OK)
        return st;
    return kz_strbuf_adds(b, last ? "\r\n" : ",");
}

static kz_status
on_object(void *vctx, const kz_imp_object *o)
{
    ictx *c = vctx;
    kz_strbuf *b = &c->line;
    char acc[32], num[32];
    kz_status st;
    size_t n = 0;

    kz_strbuf_reset(b);
    if (o->access & KZ_IMP_READ)
        n += (size_t)snprintf(acc + n, sizeof(acc) - n, "read");
    if (o->access & KZ_IMP_WRITE)
        n += (size_t)snprintf(acc + n, sizeof(acc) - n, "%swrite",
                              n ? "+" : "");
    if (o->access & KZ_IMP_DELETE)
        snprintf(acc + n, sizeof(acc) - n, "%sdelete", n ? "+" : "");
    snprintf(num, sizeof(num), "%zu", o->incident);
    if ((st = cell(b, num, false)) != KZ_OK ||
        (st = cell(b, kind_name(o->kind), false)) != KZ_OK ||
        (st = cell(b, o->host, false)) != KZ_OK ||
        (st = cell(b, o->share, false)) != KZ_OK ||
        (st = cell(b, o->object, false)) != KZ_OK ||
        (st = cell(b, acc, false)) != KZ_OK)
        return st;
    if ((st = kz_tz_format(b, c->tz, o->first)) != KZ_OK ||
        (st = kz_strbuf_addc(b, ',')) != KZ_OK ||
        (st = kz_tz_format(b, c->tz, o->last)) != KZ_OK ||
        (st = kz_strbuf_addc(b, ',')) != KZ_OK)
        return st;
    snprintf(num, sizeof(num), "%llu", (unsigned long long)o->events);
    if ((st = cell(b, num, false)) != KZ_OK ||
        (st = cell(b, o->account, false)) != KZ_OK ||
        (st = cell(b, o->source, false)) != KZ_OK ||
        (st = cell(b, o->image, false)) != KZ_OK ||
        (st = cell(b, o->file, false)) != KZ_OK)
        return st;
    snprintf(num, sizeof(num), "%u", (unsigned)o->event_id);
    if ((st = cell(b, num, false)) != KZ_OK)
        return st;
    if (o->record_id != UINT64_MAX)
        snprintf(num, sizeof(num), "%llu",
                 (unsigned long long)o->record_id);
    else
        num[0] = '\0';
    if ((st = cell(b, num, true)) != KZ_OK)
        return st;
    c->objects++;
    if (fwrite(b->data, 1, b->len, c->f) != b->len)
        return kz_error_set(&c->v->err, KZ_EIO, "cannot write %s",
                            LIST_FILE);
    return KZ_OK;
}

static kz_status
on_group(void *vctx, const kz_imp_group *g)
{
    ictx *c = vctx;
    kz_report_scope s;

    memset(&s, 0, sizeof(s));
    s.incident = g->incident;
    s.kind = kind_name(g->kind);
    s.host = g->host;
    s.share = g->share;
    s.files_read = g->read;
    s.files_written = g->written;
    s.files_deleted = g->deleted;
    s.total = g->total;
    s.first = g->first;
    s.last = g->last;
    s.accounts = (const char **)g->accounts;
    s.n_accounts = g->n_accounts;
    s.names = (const char **)g->names;
    s.n_names = g->n_names;
    s.names_omitted = g->total - g->n_names;
    return kz_report_add_scope(c->v->rep, &s, &c->v->err);
}

/* The incident as the impact engine sees it (arrays in a, b, d, e). */
static kz_status
describe(const kz_incident *in, kz_imp_incident *out, strs *h, strs *src,
         strs *ac, strs *im)
{
    kz_status st = KZ_OK;
    size_t i;

    h->n = src->n = ac->n = im->n = 0;
    for (i = 0; i < in->n_hosts && st == KZ_OK; i++)
        st = push(h, in->hosts[i]);
    for (i = 0; i < in->n_steps && st == KZ_OK; i++) {
        st = push(h, in->steps[i].to);
        if (st == KZ_OK)
            st = push(src, in->steps[i].from);
        if (st == KZ_OK) /* an address joined to its host: both */
            st = push(src, in->steps[i].from_address);
        if (st == KZ_OK)
            st = push(ac, in->steps[i].account);
    }
    for (i = 0; i < in->n_candidates && st == KZ_OK; i++) {
        st = push(src, in->candidates[i].host);
        if (st == KZ_OK)
            st = push(src, in->candidates[i].address);
    }
    for (i = 0; i < in->n_accounts && st == KZ_OK; i++)
        st = push(ac, in->accounts[i]);
    for (i = 0; i < in->n_rows && st == KZ_OK; i++) {
        st = push(im, in->rows[i].alert.image);
        if (st == KZ_OK)
            st = push(im, in->rows[i].alert.parent_image);
    }
    for (i = 0; i < in->n_tools && st == KZ_OK; i++)
        st = push(im, in->tools[i].path);
    memset(out, 0, sizeof(*out));
    out->id = in->id;
    out->from = in->first - KZ_INC_LEAD;
    out->to = in->last + KZ_INC_WINDOW;
    out->hosts = h->v;
    out->n_hosts = h->n;
    out->sources = src->v;
    out->n_sources = src->n;
    out->accounts = ac->v;
    out->n_accounts = ac->n;
    out->images = im->v;
    out->n_images = im->n;
    return st;
}

kz_status
kz_inv_impact(kz_inv *v, const kz_hunt_done *dn)
{
    static const char header[] =
        "Incident,Kind,Host,Share,Object,Access,First,Last,Events,Account,"
        "Source,Image,EvidenceFile,EventID,RecordID\r\n";
    size_t n = kz_inc_count(v->inc), i, k;
    kz_imp_incident *incs = NULL;
    strs *arr = NULL;
    char path[4200], tmp[4300];
    ictx c;
    kz_status st = KZ_OK;

    memset(&c, 0, sizeof(c));
    c.v = v;
    c.tz = dn->tz;
    kz_strbuf_init(&c.line, 0);
    snprintf(path, sizeof(path), "%s/%s", v->dir, LIST_FILE);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((c.f = fopen(tmp, "wb")) == NULL)
        return kz_error_set(&v->err, KZ_EIO, "cannot write %s", LIST_FILE);
    if (fwrite(header, 1, sizeof(header) - 1, c.f) != sizeof(header) - 1) {
        st = kz_error_set(&v->err, KZ_EIO, "cannot write %s", LIST_FILE);
        goto out;
    }
    if (n > 0 && ((incs = calloc(n, sizeof(*incs))) == NULL ||
                  (arr = calloc(4 * n, sizeof(*arr))) == NULL)) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < n && st == KZ_OK; i++)
        st = describe(kz_inc_at(v->inc, i), &incs[i], &arr[4 * i],
                      &arr[4 * i + 1], &arr[4 * i + 2], &arr[4 * i + 3]);
    if (st == KZ_OK)
        st = kz_imp_run(v->imp, incs, n, on_object, on_group, &c, &v->err);
out:
    if (fclose(c.f) != 0 && st == KZ_OK)
        st = kz_error_set(&v->err, KZ_EIO, "cannot write %s", LIST_FILE);
    if (st == KZ_OK && rename(tmp, path) != 0)
        st = kz_error_set(&v->err, KZ_EIO, "cannot write %s", LIST_FILE);
    if (st != KZ_OK)
        remove(tmp);
    else {
        v->rep->scope_objects = c.objects;
        st = kz_report_set(v->rep, &v->rep->scope_file, LIST_FILE, &v->err);
    }
    for (k = 0; arr != NULL && k < 4 * n; k++)
        free(arr[k].v);
    free(arr);
    free(incs);
    kz_strbuf_fini(&c.line);
    return st;
}
