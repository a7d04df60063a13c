/*
 * hunt_analytics.c - analytics in hunt: facts rendered on the pool threads
 * for the events some enabled analytic reads, kept in their own sorted
 * store, fed back in the total order to the analytics engine after the
 * read; and the sink that turns any finding (analytics, integrity) into a
 * detection record of the output store.
 *
 * A fact record is a detection record (detection.h) whose rule index is
 * the fact source's index (inputs.c) and whose Details are the source's
 * slots in order (empty values for absent fields), so the store sorts and
 * spills facts like detections. Reference: docs/analytics.md.
 * Threads: kz_hunt_facts_event runs on pool threads (reentrant given its
 * own scratch buffer); the rest on the calling thread of kz_read_run.
 */
#include "cli/hunt_int.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "sigma/ast.h"

/* ---- the rules of the catalog -------------------------------------- */

#define MAX_CATALOG 32
#define MAX_TAGS 8

static kz_sigma_rule cat_rules[MAX_CATALOG];
static const kz_sigma_rule *cat_ptrs[MAX_CATALOG];
static const char *cat_tags[MAX_CATALOG][MAX_TAGS];
static char cat_tagbuf[MAX_CATALOG][256];
static size_t cat_n;

const kz_sigma_rule *const *
kz_hunt_analytic_rules(size_t *n)
{
    size_t i, k;
    char *p, *save;

    if (cat_n == 0) {
        for (i = 0; i < kz_analytic_count() && i < MAX_CATALOG; i++) {
            const kz_analytic_info *a = kz_analytic_at(i);
            kz_sigma_rule *r = &cat_rules[i];

            memset(r, 0, sizeof(*r));
            r->kind = KZ_SG_RULE;
            r->title = a->title;
            r->id = a->id;
            r->author = "kizuki";
            r->description = a->description;
            r->level = a->level;
            r->path = "(analytic)";
            snprintf(cat_tagbuf[i], sizeof(cat_tagbuf[i]), "%s", a->tags);
            k = 0;
            for (p = strtok_r(cat_tagbuf[i], ",", &save);
                 p != NULL && k < MAX_TAGS; p = strtok_r(NULL, ",", &save))
                cat_tags[i][k++] = p;
            r->tags.v = cat_tags[i];
            r->tags.n = k;
            cat_ptrs[i] = r;
        }
        cat_n = i;
    }
    *n = cat_n;
    return cat_ptrs;
}

/* ---- the sink ------------------------------------------------------ */

kz_status
kz_hunt_emit_finding(void *ctx, const kz_finding *f)
{
    kz_hunt_findings *hf = ctx;
    const kz_analytic_info *info = kz_analytic_find(f->analytic);
    size_t pos, i, n;
    kz_det from, dd;
    kz_status st;

    if (info == NULL)
        return kz_error_set(&hf->err, KZ_EUSAGE,
                            "finding of an unknown analytic '%.100s'",
                            f->analytic != NULL ? f->analytic : "(null)");
    kz_hunt_analytic_rules(&n);
    for (pos = 0; pos < n; pos++)
        if (kz_analytic_at(pos) == info)
            break;
    memset(&from, 0, sizeof(from));
    from.time = f->at.time;
    from.position = f->at.position;
    from.record_id = f->at.record_id;
    from.event_id = f->at.event_id;
    from.arg_index = f->at.arg_index;
    from.file_index = f->at.file_index;
    from.flags = (uint8_t)((f->at.has_record_id ? KZ_DET_HAS_RECORD_ID : 0) |
                           (f->at.has_event_id ? KZ_DET_HAS_EVENT_ID : 0));
    from.path.p = f->at.path != NULL ? f->at.path : "";
    from.path.len = strlen(from.path.p);
    from.computer.p = f->at.computer != NULL ? f->at.computer : "";
    from.computer.len = strlen(from.computer.p);
    from.channel.p = f->at.channel != NULL ? f->at.channel : "";
    from.channel.len = strlen(from.channel.p);
    for (i = 0; i < 2 * (f->ndetails + f->nextra); i++)
        if (f->pairs[i].p == NULL && f->pairs[i].len != 0)
            return KZ_EUSAGE;
    kz_strbuf_reset(&hf->rec);
    if ((st = kz_det_build_pairs(&hf->rec, &from, hf->base + (uint32_t)pos,
                                 info->level, f->pairs, f->ndetails,
                                 f->nextra)) != KZ_OK)
        return st;
    if (!kz_det_decode_head((const uint8_t *)hf->rec.data, hf->rec.len, &dd))
        return KZ_EINTERNAL;
    if (hf->tally != NULL)
        kz_hunt_tally_add(hf->tally, &dd);
    if (pos < sizeof(hf->by_analytic) / sizeof(hf->by_analytic[0]))
        hf->by_analytic[pos]++;
    return kz_det_store_add(hf->store, (const uint8_t *)hf->rec.data,
                            hf->rec.len, &hf->err);
}

/* ---- facts --------------------------------------------------------- */

#define MAX_SOURCES 64

struct kz_hunt_facts {
    const kz_analytics *an;                  /* decides which facts */
    uint32_t kinds;                          /* kinds it reads */
    int32_t ids[MAX_SOURCES][KZ_FACT_SLOTS]; /* field id per slot */
    kz_det_store *store;                     /* fact records */
    char **paths;                            /* input path by file_index */
    size_t npaths;
};

kz_hunt_facts *
kz_hunt_facts_new(kz_names *names, const kz_analytics *an,
                  const kz_det_store_opts *so, kz_error *err)
{
    kz_hunt_facts *hf = calloc(1, sizeof(*hf));
    const kz_fact_source *s;
    size_t i, k;

    if (hf == NULL) {
        kz_error_set(err, KZ_ENOMEM, "out of memory");
        return NULL;
    }
    hf->an = an;
    hf->kinds = kz_analytics_kinds(an);
    for (i = 0; i < MAX_SOURCES; i++) {
        s = kz_fact_source_at(i);
        for (k = 0; k < KZ_FACT_SLOTS; k++) {
            hf->ids[i][k] = KZ_NAME_NONE;
            if (s != NULL && s->fields[k] != NULL &&
                (hf->kinds & (1u << s->kind)) &&
                kz_names_add(names, s->fields[k], strlen(s->fields[k]),
                             &hf->ids[i][k]) != KZ_OK)
                hf->ids[i][k] = KZ_NAME_NONE;
        }
    }
    if (kz_det_store_new(so, &hf->store, err) != KZ_OK) {
        free(hf);
        return NULL;
    }
    return hf;
}

void
kz_hunt_facts_free(kz_hunt_facts *hf)
{
    size_t i;

    if (hf == NULL)
        return;
    kz_det_store_free(hf->store);
    for (i = 0; i < hf->npaths; i++)
        free(hf->paths[i]);
    free(hf->paths);
    free(hf);
}

kz_status
kz_hunt_facts_event(const kz_hunt_facts *hf, kz_matcher *m,
                    const kz_event *ev, const kz_det_origin *from,
                    const kz_render_opts *ro, kz_strbuf *out,
                    kz_strbuf *scratch, bool *added)
{
    static const char *const slot_names[KZ_FACT_SLOTS] = {"0", "1", "2", "3",
                                                          "4", "5", "6", "7"};
    size_t k, off[KZ_FACT_SLOTS], len[KZ_FACT_SLOTS];
    kz_str pairs[2 * KZ_FACT_SLOTS];
    const kz_field *f;
    kz_fact fact;
    kz_det d;
    int si;

    *added = false;
    /* Dispatch on (channel, event id) before anything is rendered. */
    if (!(ev->flags & KZ_EV_HAS_EVENT_ID) ||
        (si = kz_fact_source_find(ev->channel.p, ev->channel.len, ev->event_id,
                                  hf->kinds)) < 0 ||
        si >= MAX_SOURCES)
        return KZ_OK;
    kz_strbuf_reset(scratch);
    for (k = 0; k < KZ_FACT_SLOTS; k++) {
        const char *tp;
        size_t tn;

        off[k] = scratch->len;
        if (hf->ids[si][k] == KZ_NAME_NONE) {
            len[k] = 0;
            continue;
        }
        /* the text the rules already rendered for this event, if any */
        if (kz_matcher_text(m, ev, hf->ids[si][k], &tp, &tn)) {
            if (kz_strbuf_add(scratch, tp, tn) != KZ_OK)
                scratch->len = off[k];
        } else if ((f = kz_event_field(ev, hf->ids[si][k])) != NULL &&
                   kz_value_render(&f->value, ro, scratch) != KZ_OK) {
            scratch->len = off[k];
        }
        len[k] = scratch->len - off[k];
    }
    /* Views into scratch only now: rendering may have moved it. */
    memset(&fact, 0, sizeof(fact));
    fact.kind = kz_fact_source_at((size_t)si)->kind;
    for (k = 0; k < KZ_FACT_SLOTS; k++) {
        pairs[2 * k].p = slot_names[k];
        pairs[2 * k].len = 1;
        pairs[2 * k + 1].p =
            scratch->data != NULL ? scratch->data + off[k] : "";
        pairs[2 * k + 1].len = len[k];
        fact.v[k] = pairs[2 * k + 1];
    }
    /* Most events of a source are of no use (network logons of machine
     * accounts, IPC$ reads, ordinary process starts): keep only those an
     * enabled analytic would read, so the store stays small. */
    if (!kz_analytics_wants(hf->an, &fact))
        return KZ_OK;
    memset(&d, 0, sizeof(d));
    d.time = ev->time;
    d.position = ev->position;
    d.record_id = ev->record_id;
    d.event_id = ev->event_id;
    d.arg_index = from->arg_index;
    d.file_index = from->file_index;
    d.flags =
        (uint8_t)(((ev->flags & KZ_EV_HAS_RECORD_ID) ? KZ_DET_HAS_RECORD_ID
                                                     : 0) |
                  KZ_DET_HAS_EVENT_ID |
                  ((ev->flags & KZ_EV_RECOVERED) ? KZ_DET_RECOVERED : 0));
    /* Neither the path nor the channel is copied into each fact: the path
     * comes back by file index (kz_hunt_facts_add keeps it once per
     * input), the channel from the source. */
    d.path.p = "";
    d.path.len = 0;
    d.computer = ev->computer;
    if (d.computer.p == NULL) {
        d.computer.p = "";
        d.computer.len = 0;
    }
    d.channel.p = "";
    d.channel.len = 0;
    if (kz_det_build_pairs(out, &d, (uint32_t)si, 0, pairs, KZ_FACT_SLOTS, 0) !=
        KZ_OK)
        return KZ_ENOMEM;
    *added = true;
    return KZ_OK;
}

kz_status
kz_hunt_facts_add(kz_hunt_facts *hf, const uint8_t *rec, size_t len,
                  const char *path, kz_error *err)
{
    kz_det d;
    char **grown;
    size_t n, i;

    if (!kz_det_decode_head(rec, len, &d))
        return kz_error_set(err, KZ_EINTERNAL, "damaged fact record");
    if (d.file_index >= hf->npaths) {
        n = (size_t)d.file_index + 1 < 2 * hf->npaths
                ? 2 * hf->npaths
                : (size_t)d.file_index + 16;
        if ((grown = realloc(hf->paths, n * sizeof(*grown))) == NULL)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        for (i = hf->npaths; i < n; i++)
            grown[i] = NULL;
        hf->paths = grown;
        hf->npaths = n;
    }
    if (hf->paths[d.file_index] == NULL &&
        (hf->paths[d.file_index] = strdup(path != NULL ? path : "-")) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    return kz_det_store_add(hf->store, rec, len, err);
}

/* Copies s into buf (cut at cap - 1 bytes), NUL-terminated. */
static void
cstr(char *buf, size_t cap, kz_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;

    if (n > 0)
        memcpy(buf, s.p, n);
    buf[n] = '\0';
}

kz_status
kz_hunt_facts_run(kz_hunt_facts *hf, kz_analytics *a, uint64_t *count,
                  kz_error *err)
{
    const uint8_t *rec, *cur;
    char computer[1024];
    const kz_fact_source *s;
    size_t len, k;
    kz_str n, v;
    kz_fact f;
    kz_det d;
    kz_status st;

    *count = 0;
    if ((st = kz_det_store_finish(hf->store, err)) != KZ_OK)
        return st;
    for (;;) {
        if ((st = kz_det_store_next(hf->store, &rec, &len, err)) != KZ_OK)
            return st;
        if (rec == NULL)
            break;
        if (!kz_det_decode(rec, len, &d) ||
            (s = kz_fact_source_at(d.rule)) == NULL)
            return kz_error_set(err, KZ_EINTERNAL, "damaged fact record");
        memset(&f, 0, sizeof(f));
        f.kind = s->kind;
        f.ref.time = d.time;
        /* The engine wants NUL-terminated strings for the refs. */
        cstr(computer, sizeof(computer), d.computer);
        f.ref.path = d.file_index < hf->npaths ? hf->paths[d.file_index] : NULL;
        f.ref.computer = computer;
        f.ref.channel = s->channel;
        f.ref.arg_index = d.arg_index;
        f.ref.file_index = d.file_index;
        f.ref.position = d.position;
        f.ref.record_id = d.record_id;
        f.ref.event_id = d.event_id;
        f.ref.has_record_id = (d.flags & KZ_DET_HAS_RECORD_ID) != 0;
        f.ref.has_event_id = true;
        cur = d.details;
        for (k = 0; k < d.ndetails && k < KZ_FACT_SLOTS &&
                    kz_det_pair_next(&d, &cur, &n, &v);
             k++)
            f.v[k] = v;
        (*count)++;
        if ((st = kz_analytics_add(a, &f)) != KZ_OK)
            return st;
    }
    return kz_analytics_finish(a);
}
