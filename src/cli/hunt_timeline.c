/*
 * hunt_timeline.c - the end of a hunt: the total order of rules (ranks by
 * rule id) and the timeline written from the detection store merged with
 * the correlation alerts, rules hidden by generate: false left out. Each
 * record also goes to the driver's extension (kz_hunt_ext.on_row) before
 * it is written. Split from cmd_hunt.c (same behaviour); reference:
 * docs/output.md. Threads: the calling thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/hunt_int.h"
#include "write/timeline.h"

/* Rank of each rule index by rule id (byte order; rules without an id
 * after all others, by index), so ties in time sort the same whatever
 * the load order. */
static const kz_sigma_rule *const *rank_rules;

static int
cmp_rule_id(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    const char *ia = rank_rules[a]->id, *ib = rank_rules[b]->id;
    int c;

    if (ia != NULL && ib != NULL && (c = strcmp(ia, ib)) != 0)
        return c;
    if ((ia == NULL) != (ib == NULL))
        return ia == NULL ? 1 : -1;
    return a < b ? -1 : a > b;
}

uint32_t *
kz_hunt_make_ranks(const kz_sigma_rule *const *rules, size_t n)
{
    uint32_t *order = malloc((n + 1) * sizeof(*order));
    uint32_t *rank = malloc((n + 1) * sizeof(*rank));
    size_t i;

    if (order == NULL || rank == NULL) {
        free(order);
        free(rank);
        return NULL;
    }
    for (i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    rank_rules = rules;
    qsort(order, n, sizeof(*order), cmp_rule_id);
    for (i = 0; i < n; i++)
        rank[order[i]] = (uint32_t)i;
    free(order);
    return rank;
}

/* The next record of the timeline: the smaller of the store's next
 * detection (skipping rules a correlation hides) and, with correlations,
 * the alerts store's next alert, in the total order. *ra / *rb hold the
 * heads (NULL: to read; the store's end is remembered in *ea / *eb). */
static kz_status
next_row(const hunt_ctx *h, kz_det_store *store, kz_det_store *alerts,
         const uint8_t **ra, const uint8_t **rb, bool *ea, bool *eb,
         const uint8_t **rec, kz_error *err)
{
    uint32_t rule;
    size_t len;
    kz_status st;

    while (*ra == NULL && !*ea) {
        if ((st = kz_det_store_next(store, ra, &len, err)) != KZ_OK)
            return st;
        if (*ra == NULL) {
            *ea = true;
            break;
        }
        memcpy(&rule, *ra + 4, 4);
        if (alerts != NULL && h->corr != NULL &&
            kz_corr_suppressed(h->corr, rule))
            *ra = NULL; /* hidden by generate: false */
    }
    if (alerts != NULL && *rb == NULL && !*eb) {
        if ((st = kz_det_store_next(alerts, rb, &len, err)) != KZ_OK)
            return st;
        *eb = *rb == NULL;
    }
    if (*ra != NULL && (*rb == NULL ||
                        kz_det_compare_in(&h->dict, *ra, *rb, h->rank,
                                          h->nrank) <= 0)) {
        *rec = *ra;
        *ra = NULL;
    } else {
        *rec = *rb;
        *rb = NULL;
    }
    return KZ_OK;
}

/* Writes the timeline: the store's detections, merged with the alerts
 * store's correlation alerts when alerts is not NULL; *written counts
 * rows. */
kz_status
kz_hunt_write_timeline(const hunt_ctx *h, kz_det_store *store,
                       kz_det_store *alerts, FILE *out, const kz_tl_opts *o,
                       uint64_t *written, kz_error *err)
{
    kz_timeline *tl = kz_timeline_new(o);
    kz_strbuf buf;
    const uint8_t *rec, *ra = NULL, *rb = NULL;
    bool ea = false, eb = false;
    size_t len;
    kz_det d;
    bool w;
    kz_status st;

    *written = 0;
    if (tl == NULL)
        return KZ_ENOMEM;
    kz_strbuf_init(&buf, 0);
    if ((st = kz_timeline_header(tl, &buf)) != KZ_OK)
        goto out;
    for (;;) {
        if ((st = next_row(h, store, alerts, &ra, &rb, &ea, &eb, &rec,
                           err)) != KZ_OK)
            goto out;
        if (rec == NULL)
            break;
        len = kz_det_len(rec);
        if (!kz_det_decode_in(&h->dict, rec, len, &d)) {
            st = kz_error_set(err, KZ_EINTERNAL, "damaged detection record");
            goto out;
        }
        if (h->ext != NULL && h->ext->on_row != NULL &&
            (st = h->ext->on_row(h->ext->ctx, &d,
                                 d.rule < o->nrules ? o->rules[d.rule]
                                                    : NULL)) != KZ_OK)
            goto out;
        if ((st = kz_timeline_row(tl, &d, &buf, &w)) != KZ_OK)
            goto out;
        *written += w;
        if (buf.len >= ((size_t)1 << 20)) {
            if (fwrite(buf.data, 1, buf.len, out) != buf.len) {
                st = KZ_EIO;
                goto out;
            }
            kz_strbuf_reset(&buf);
        }
    }
    if (buf.len > 0 && fwrite(buf.data, 1, buf.len, out) != buf.len)
        st = KZ_EIO;
out:
    kz_strbuf_fini(&buf);
    kz_timeline_free(tl);
    return st;
}
