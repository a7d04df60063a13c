/*
 * logon_facts.c - logon facts from batches, shared by `kizuki logons` and
 * `kizuki investigate` (logon_facts.h). Moved out of cmd_logons.c
 * unchanged: workers render the slot texts of the table's events (a
 * value that does not render is absent); the calling thread applies
 * kz_logon_fact_from_slots and feeds the collector in input order.
 */
#include "cli/logon_facts.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"

/* One event's slot texts (offsets into the batch's buffer). */
typedef struct cfact {
    size_t ev;               /* event index in the batch */
    int si;                  /* logon source index */
    size_t off[KZ_LS_COUNT]; /* slot texts in buf */
    size_t len[KZ_LS_COUNT];
} cfact;

struct kz_logon_found {
    kz_strbuf buf; /* slot texts */
    cfact *v;      /* facts */
    size_t n, cap;
};

void
kz_logon_facts_intern(kz_logon_ids *ids, kz_names *names)
{
    const kz_logon_source *s;
    size_t i, k;

    for (i = 0; i < KZ_LOGON_FACTS_MAX_SOURCES; i++) {
        s = kz_logon_source_at(i);
        for (k = 0; k < KZ_LS_COUNT; k++) {
            ids->id[i][k] = KZ_NAME_NONE;
            if (s != NULL && s->fields[k] != NULL &&
                kz_names_add(names, s->fields[k], strlen(s->fields[k]),
                             &ids->id[i][k]) != KZ_OK)
                ids->id[i][k] = KZ_NAME_NONE;
        }
    }
}

void
kz_logon_facts_free(kz_logon_found *f)
{
    if (f == NULL)
        return;
    kz_strbuf_fini(&f->buf);
    free(f->v);
    free(f);
}

kz_status
kz_logon_facts_extract(const kz_logon_ids *ids, const kz_render_opts *ro,
                       const kz_batch *b, kz_logon_found **out)
{
    kz_logon_found *f = NULL;
    size_t i, k;
    kz_status st;

    *out = NULL;
    for (i = 0; i < b->nevents; i++) {
        const kz_event *ev = &b->events[i];
        const kz_field *fd;
        cfact *c;
        int si;

        if (!(ev->flags & KZ_EV_HAS_EVENT_ID) ||
            (si = kz_logon_source_find(ev->channel.p, ev->channel.len,
                                       ev->event_id)) < 0 ||
            si >= KZ_LOGON_FACTS_MAX_SOURCES)
            continue;
        if (f == NULL) {
            if ((f = calloc(1, sizeof(*f))) == NULL)
                return KZ_ENOMEM;
            kz_strbuf_init(&f->buf, 0);
        }
        if ((st = kz_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), 16)) !=
            KZ_OK) {
            kz_logon_facts_free(f);
            return st;
        }
        c = &f->v[f->n++];
        c->ev = i;
        c->si = si;
        for (k = 0; k < KZ_LS_COUNT; k++) {
            c->off[k] = f->buf.len;
            fd = ids->id[si][k] != KZ_NAME_NONE
                     ? kz_event_field(ev, ids->id[si][k])
                     : NULL;
            /* A value that does not render is absent. */
            if (fd != NULL &&
                kz_value_render(&fd->value, ro, &f->buf) != KZ_OK)
                f->buf.len = c->off[k];
            c->len[k] = f->buf.len - c->off[k];
        }
    }
    *out = f;
    return KZ_OK;
}

kz_status
kz_logon_facts_feed(const kz_logon_found *f, const kz_batch *b,
                    kz_logon *col, bool failed_only, bool success_only)
{
    kz_str v[KZ_LS_COUNT], computer, hsid;
    kz_logon_fact fact;
    kz_status st;
    size_t i, k;

    for (i = 0; f != NULL && i < f->n; i++) {
        const cfact *c = &f->v[i];
        const kz_event *ev;

        if (c->ev >= b->nevents)
            continue;
        ev = &b->events[c->ev];
        if (ev->flags & KZ_EV_DUPLICATE)
            continue;
        for (k = 0; k < KZ_LS_COUNT; k++) {
            v[k].p = f->buf.data != NULL ? f->buf.data + c->off[k] : "";
            v[k].len = c->len[k];
        }
        computer = ev->computer;
        hsid = ev->user_sid;
        if (computer.p == NULL)
            computer.len = 0;
        if (hsid.p == NULL)
            hsid.len = 0;
        if (!kz_logon_fact_from_slots(c->si, v, computer, ev->time, hsid,
                                      &fact))
            continue;
        if ((failed_only && fact.result == KZ_LOGON_SUCCESS) ||
            (success_only && fact.result == KZ_LOGON_FAILURE))
            continue;
        if ((st = kz_logon_add(col, &fact)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_logon_facts_each(const kz_logon_found *f, const kz_batch *b,
                    kz_logon_fact_fn fn, void *ctx)
{
    kz_str v[KZ_LS_COUNT], computer, hsid;
    kz_logon_fact fact;
    kz_status st;
    size_t i, k;

    for (i = 0; f != NULL && i < f->n; i++) {
        const cfact *c = &f->v[i];
        const kz_event *ev;

        if (c->ev >= b->nevents)
            continue;
        ev = &b->events[c->ev];
        if (ev->flags & KZ_EV_DUPLICATE)
            continue;
        for (k = 0; k < KZ_LS_COUNT; k++) {
            v[k].p = f->buf.data != NULL ? f->buf.data + c->off[k] : "";
            v[k].len = c->len[k];
        }
        computer = ev->computer;
        hsid = ev->user_sid;
        if (computer.p == NULL)
            computer.len = 0;
        if (hsid.p == NULL)
            hsid.len = 0;
        if (kz_logon_fact_from_slots(c->si, v, computer, ev->time, hsid,
                                     &fact) &&
            (st = fn(ctx, &fact)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}
