/*
 * hunt_corr.c - `kizuki hunt`'s side of the correlation engine: which
 * fields a correlated rule's matches carry (per rule, interned before the
 * names freeze), the engine's setup (output indexes after the compiled
 * rules), feeding it the correlated matches in the total order after the
 * read, and turning its alerts into detection records (Details: group-by
 * values, aggregate, window; Extra: matched rules, up to 10 contributing
 * events and the total). Reference: docs/cli.md (hunt, Correlations),
 * docs/internals/correlate.md.
 * Threads: the calling thread only.
 */
#include "cli/hunt_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/grow.h"
#include "cli/cli.h"
#include "correlate/correlate.h"
#include "write/detection.h"

/* Matches of correlated rules whose event (header, path, computer,
 * channel) stays resolvable for alerts; older ones are "(evicted)". */
#define CORR_RING 8192
/* Header fields a correlation may group by (add_header_fields). */
#define HEADER_FIELDS 3
static const char *const header_fields[HEADER_FIELDS] = {
    "Computer", "Channel", "EventID"};


/* Per compiled rule, the fields the correlations reading it need from
 * its matches (kz_corr_rule_fields), with their interned ids, in one
 * array (CSR: rule r's are [rf0[r], rf0[r + 1])); also sets hdr_mask.
 * Returns KZ_ENOMEM or KZ_OK. */
static kz_status
collect_rule_fields(hunt_ctx *h, size_t nrules, const kz_names *names)
{
    const char *tmp[KZ_DET_MAX_FIELDS];
    size_t r, i, n, total = 0, capn = 0, capi = 0;
    kz_status st;

    if ((h->rf0 = calloc(nrules + 1, sizeof(*h->rf0))) == NULL)
        return KZ_ENOMEM;
    for (r = 0; r < nrules; r++) {
        h->rf0[r] = (uint32_t)total;
        n = kz_corr_rule_fields(h->corr, (uint32_t)r, tmp, KZ_DET_MAX_FIELDS);
        if (n == 0)
            continue;
        if ((st = kz_grow(&h->rfn, &capn, total + n, sizeof(*h->rfn),
                          64)) != KZ_OK ||
            (st = kz_grow(&h->rfid, &capi, total + n, sizeof(*h->rfid),
                          64)) != KZ_OK)
            return st;
        for (i = 0; i < n; i++) {
            size_t k;

            h->rfn[total + i] = tmp[i];
            h->rfid[total + i] = kz_names_lookup(names, tmp[i],
                                                 strlen(tmp[i]));
            for (k = 0; k < HEADER_FIELDS; k++)
                if (strcasecmp(header_fields[k], tmp[i]) == 0)
                    h->hdr_mask |= 1u << k;
        }
        total += n;
    }
    h->rf0[nrules] = (uint32_t)total;
    return KZ_OK;
}

/* Interns the field names the correlations of set read (group-by, alias
 * targets, value fields), before the name table is frozen. */
kz_status
kz_hunt_corr_intern(const kz_sigma_set *set, kz_names *names)
{
    const char *const *v[3];
    size_t nv[3], i, j, k, q;
    int32_t id;
    kz_status st = KZ_OK;

    for (i = 0; i < set->nrules && st == KZ_OK; i++) {
        const kz_sigma_rule *r = set->rules[i];
        const kz_sg_correlation *c;

        if (r == NULL || r->kind != KZ_SG_CORRELATION ||
            (c = r->corr) == NULL)
            continue;
        v[0] = (const char *const *)c->group_by.v;
        nv[0] = c->group_by.n;
        v[1] = (const char *const *)c->fields.v;
        nv[1] = c->fields.n;
        v[2] = &c->field;
        nv[2] = c->field != NULL ? 1 : 0;
        for (q = 0; q < 3 && st == KZ_OK; q++)
            for (j = 0; j < nv[q] && st == KZ_OK; j++)
                if (v[q][j] != NULL && *v[q][j] != '\0')
                    st = kz_names_add(names, v[q][j], strlen(v[q][j]), &id);
        for (j = 0; j < c->naliases && st == KZ_OK; j++)
            for (k = 0; k < c->aliases[j].fields.n && st == KZ_OK; k++)
                if (c->aliases[j].fields.v[k] != NULL)
                    st = kz_names_add(names, c->aliases[j].fields.v[k],
                                      strlen(c->aliases[j].fields.v[k]),
                                      &id);
    }
    return st;
}

/* The ring record of reference ref, or NULL if evicted. */
static bool
ring_get(const hunt_ctx *h, const void *ref, kz_det *d)
{
    uint64_t seq = (uint64_t)(uintptr_t)ref;
    const kz_strbuf *b;

    if (seq == 0 || seq > h->nring || h->nring - seq >= CORR_RING)
        return false;
    b = &h->ring[(seq - 1) % CORR_RING];
    return kz_det_decode((const uint8_t *)b->data, b->len, d);
}

/* Name of a correlation's aggregate in Details. */
static const char *
agg_name(const kz_sg_correlation *c)
{
    switch (c != NULL ? c->type : KZ_CORR_EVENT_COUNT) {
    case KZ_CORR_VALUE_COUNT: return "ValueCount";
    case KZ_CORR_TEMPORAL:
    case KZ_CORR_TEMPORAL_ORDERED: return "RulesMatched";
    case KZ_CORR_VALUE_SUM: return "Sum";
    case KZ_CORR_VALUE_AVG: return "Average";
    case KZ_CORR_VALUE_PERCENTILE: return "Percentile";
    default: return "Count";
    }
}

/* Engine callback: one alert becomes a record of the output store. */
static kz_status
on_alert(void *ctx, const kz_corr_alert *a)
{
    hunt_ctx *h = ctx;
    kz_str pairs[2 * (KZ_DET_MAX_DETAILS + 3 + KZ_CORR_MAX_REFS)];
    size_t off[2 * (KZ_DET_MAX_DETAILS + 3 + KZ_CORR_MAX_REFS)];
    size_t np = 0, nd, i, k;
    uint32_t idx = (uint32_t)(h->nrules + a->corr);
    kz_det from, rd;
    kz_det dd;
    kz_status st;

    if (a->suppressed) {
        h->tally.suppressed++;
        return KZ_OK;
    }
    /* The completing event, else (evicted) the latest match. */
    if (!ring_get(h, a->completing, &from) &&
        !ring_get(h, (const void *)(uintptr_t)h->nring, &from))
        return KZ_EINTERNAL;
    h->rules[idx] = a->rule;
    kz_strbuf_reset(&h->tbuf);
    /* Texts go to tbuf first (it may move), pairs point in afterwards. */
#define PUT_NAME(s) (off[np++] = h->tbuf.len, kz_strbuf_add(&h->tbuf, s, strlen(s) + 1))
    for (i = 0; i < a->ngroup && i < KZ_DET_MAX_DETAILS - 3; i++) {
        if ((st = PUT_NAME(a->group[i].name)) != KZ_OK ||
            (st = PUT_NAME(a->group[i].value != NULL ? a->group[i].value
                                                    : KZ_CORR_MISSING)) !=
                KZ_OK)
            return st;
    }
    if ((st = PUT_NAME(agg_name(a->rule->corr))) != KZ_OK)
        return st;
    off[np++] = h->tbuf.len;
    if ((st = kz_strbuf_addf(&h->tbuf, "%.15g", a->value)) != KZ_OK ||
        (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK ||
        (st = PUT_NAME("WindowStart")) != KZ_OK)
        return st;
    off[np++] = h->tbuf.len;
    if ((st = kz_tz_format(&h->tbuf, h->tz, a->first)) != KZ_OK ||
        (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK ||
        (st = PUT_NAME("WindowEnd")) != KZ_OK)
        return st;
    off[np++] = h->tbuf.len;
    if ((st = kz_tz_format(&h->tbuf, h->tz, a->last)) != KZ_OK ||
        (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK)
        return st;
    nd = np / 2;
    /* ExtraFieldInfo: rule ids, the count, the first events. */
    if ((st = PUT_NAME("MatchedRules")) != KZ_OK)
        return st;
    off[np++] = h->tbuf.len;
    for (i = 0; i < a->nrule_ids; i++)
        if ((st = kz_strbuf_addf(&h->tbuf, "%s%s", i > 0 ? ", " : "",
                                 a->rule_ids[i])) != KZ_OK)
            return st;
    if ((st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK ||
        (st = PUT_NAME("Events")) != KZ_OK)
        return st;
    off[np++] = h->tbuf.len;
    if ((st = kz_strbuf_addf(&h->tbuf, "%llu%s",
                             (unsigned long long)a->total,
                             a->total > a->nrefs ? " (first ones below)"
                                                 : "")) != KZ_OK ||
        (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK)
        return st;
    for (k = 0; k < a->nrefs && k < KZ_CORR_MAX_REFS; k++) {
        off[np++] = h->tbuf.len;
        if ((st = kz_strbuf_addf(&h->tbuf, "Event%zu", k + 1)) != KZ_OK ||
            (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK)
            return st;
        off[np++] = h->tbuf.len;
        if (!ring_get(h, a->refs[k], &rd))
            st = kz_strbuf_add(&h->tbuf, "(evicted)", 9);
        else if (rd.flags & KZ_DET_HAS_RECORD_ID)
            st = kz_strbuf_addf(&h->tbuf, "%.*s record %llu",
                                (int)rd.path.len, rd.path.p,
                                (unsigned long long)rd.record_id);
        else
            st = kz_strbuf_addf(&h->tbuf, "%.*s position %llu",
                                (int)rd.path.len, rd.path.p,
                                (unsigned long long)rd.position);
        if (st != KZ_OK || (st = kz_strbuf_addc(&h->tbuf, '\0')) != KZ_OK)
            return st;
    }
#undef PUT_NAME
    for (i = 0; i < np; i++) {
        pairs[i].p = h->tbuf.data + off[i];
        pairs[i].len = strlen(pairs[i].p);
    }
    kz_strbuf_reset(&h->abuf);
    if ((st = kz_det_build_pairs(&h->abuf, &from, idx, a->rule->level, pairs,
                                 nd, np / 2 - nd)) != KZ_OK)
        return st;
    if (!kz_det_decode_head((const uint8_t *)h->abuf.data, h->abuf.len, &dd))
        return KZ_EINTERNAL;
    kz_hunt_tally_add(&h->tally, &dd);
    return kz_det_store_add(h->out2, (const uint8_t *)h->abuf.data,
                            h->abuf.len, &h->err);
}

/* Adds to the fields of a correlated match (names and values in fb at
 * foff, *nf pairs) the System header fields a group-by may name and the
 * Fields section does not hold (the record keeps them in its header):
 * Computer, Channel, EventID. */
static kz_status
add_header_fields(const hunt_ctx *h, kz_strbuf *fb, size_t *foff,
                  size_t *nf, const kz_det *d)
{
    const char *const *names = header_fields;
    char id[16], *e;
    uint32_t x;
    size_t i, k;
    kz_str v;
    kz_status st = KZ_OK;

    for (k = 0; k < HEADER_FIELDS && st == KZ_OK; k++) {
        if (!(h->hdr_mask & (1u << k)))
            continue; /* no correlation reads it */
        for (i = 0; i < *nf; i++)
            if (strcasecmp(fb->data + foff[2 * i], names[k]) == 0)
                break;
        if (i < *nf)
            continue; /* the event has a data field of that name */
        if (k == 0) {
            v = d->computer;
        } else if (k == 1) {
            v = d->channel;
        } else {
            if (!(d->flags & KZ_DET_HAS_EVENT_ID))
                continue;
            e = id + sizeof(id);
            x = d->event_id;
            do {
                *--e = (char)('0' + x % 10);
                x /= 10;
            } while (x != 0);
            v.p = e;
            v.len = (size_t)(id + sizeof(id) - e);
        }
        if (v.len == 0)
            continue;
        foff[2 * *nf] = fb->len;
        if ((st = kz_strbuf_add(fb, names[k], strlen(names[k]) + 1)) !=
            KZ_OK)
            break;
        foff[2 * *nf + 1] = fb->len;
        if ((st = kz_strbuf_add(fb, v.p, v.len)) != KZ_OK ||
            (st = kz_strbuf_addc(fb, '\0')) != KZ_OK)
            break;
        (*nf)++;
    }
    return st;
}

/* Reads the matches of correlated rules (h->cstore, filled beside the
 * detection store while reading) in the total order and gives them to the
 * engine, whose alerts go to h->out2; the timeline is the detection store
 * merged with h->out2 (write_timeline). */
kz_status
kz_hunt_corr_run(hunt_ctx *h, kz_error *err)
{
    kz_corr_field f[KZ_DET_MAX_FIELDS + HEADER_FIELDS];
    size_t foff[2 * (KZ_DET_MAX_FIELDS + HEADER_FIELDS)];
    kz_strbuf fb, *slot;
    const uint8_t *rec, *cur;
    size_t len, i, nf;
    uint64_t key = 0;
    kz_corr_match m;
    kz_str n, v;
    kz_det d;
    kz_status st;

    kz_strbuf_init(&fb, 0);
    for (;;) {
        if ((st = kz_det_store_next(h->cstore, &rec, &len, err)) != KZ_OK)
            break;
        if (rec == NULL)
            break;
        if (!kz_det_decode_in(&h->dict, rec, len, &d)) {
            st = kz_error_set(err, KZ_EINTERNAL, "damaged detection record");
            break;
        }
        /* Keep the event's header for alerts (a record without pairs). */
        slot = &h->ring[h->nring % CORR_RING];
        kz_strbuf_reset(slot);
        if ((st = kz_det_build_pairs(slot, &d, d.rule, d.level, NULL, 0,
                                     0)) != KZ_OK)
            break;
        h->nring++;
        kz_strbuf_reset(&fb);
        cur = d.fields;
        for (nf = 0; nf < d.nfields && nf < KZ_DET_MAX_FIELDS &&
                     kz_det_pair_next(&d, &cur, &n, &v);
             nf++) {
            foff[2 * nf] = fb.len;
            if ((st = kz_strbuf_add(&fb, n.p, n.len)) != KZ_OK ||
                (st = kz_strbuf_addc(&fb, '\0')) != KZ_OK)
                break;
            foff[2 * nf + 1] = fb.len;
            if ((st = kz_strbuf_add(&fb, v.p, v.len)) != KZ_OK ||
                (st = kz_strbuf_addc(&fb, '\0')) != KZ_OK)
                break;
        }
        if (st != KZ_OK ||
            (st = add_header_fields(h, &fb, foff, &nf, &d)) != KZ_OK)
            break;
        for (i = 0; i < nf; i++) {
            f[i].name = fb.data + foff[2 * i];
            f[i].value = fb.data + foff[2 * i + 1];
        }
        m.rule = d.rule;
        m.time = d.time;
        m.key = key++;
        m.ref = (const void *)(uintptr_t)h->nring;
        m.fields = f;
        m.nfields = nf;
        st = kz_corr_add(h->corr, &m);
        if (st != KZ_OK) {
            if (h->err.msg[0] != '\0')
                *err = h->err;
            break;
        }
    }
    if (st == KZ_OK)
        st = kz_corr_finish(h->corr);
    if (st == KZ_OK)
        st = kz_det_store_finish(h->out2, err);
    /* the matches are no longer needed: free their runs now */
    kz_det_store_free(h->cstore);
    h->cstore = NULL;
    kz_strbuf_fini(&fb);
    return st;
}

int
kz_hunt_corr_setup(hunt_ctx *h, const kz_sigma_set *set,
                   const kz_ruleset *rs, const kz_names *names,
                   kz_corr_repeat repeat, const kz_tz *tz,
                   const kz_sigma_rule ***rules, uint32_t **rank,
                   size_t nrules, size_t *ncorr)
{
    kz_corr_opts co;
    const kz_sigma_rule **grown_rules;
    uint32_t *grown_rank;
    kz_error err;
    size_t i;

    *ncorr = 0;
    for (i = 0; i < set->nrules; i++)
        if (set->rules[i]->kind == KZ_SG_CORRELATION)
            break;
    if (i == set->nrules)
        return KZ_EXIT_OK; /* no correlation */
    memset(&co, 0, sizeof(co));
    co.repeat = repeat;
    co.on_alert = on_alert;
    co.ctx = h;
    kz_error_clear(&err);
    if ((h->corr = kz_corr_new(set, rs, &co, &err)) == NULL) {
        kz_cli_msg("hunt: correlations: %s", err.msg);
        return err.code == KZ_ENOMEM ? KZ_EXIT_FATAL : KZ_EXIT_USAGE;
    }
    *ncorr = kz_corr_count(h->corr);
    if ((grown_rules = realloc(*rules, (nrules + *ncorr + 1) *
                                           sizeof(**rules))) == NULL)
        return KZ_EXIT_FATAL;
    *rules = grown_rules;
    if ((grown_rank = realloc(*rank, (nrules + *ncorr + 1) *
                                         sizeof(**rank))) == NULL)
        return KZ_EXIT_FATAL;
    *rank = grown_rank;
    for (i = nrules; i < nrules + *ncorr + 1; i++) {
        (*rules)[i] = NULL;
        (*rank)[i] = (uint32_t)i;
    }
    if (collect_rule_fields(h, nrules, names) != KZ_OK ||
        (h->ring = calloc(CORR_RING, sizeof(*h->ring))) == NULL)
        return KZ_EXIT_FATAL;
    for (i = 0; i < CORR_RING; i++)
        kz_strbuf_init(&h->ring[i], 0);
    kz_strbuf_init(&h->abuf, 0);
    kz_strbuf_init(&h->tbuf, 0);
    h->rules = *rules;
    h->nrules = nrules;
    h->tz = tz;
    return KZ_EXIT_OK;
}

void
kz_hunt_corr_free(hunt_ctx *h)
{
    size_t i;

    kz_corr_free(h->corr);
    h->corr = NULL;
    free(h->rf0);
    free(h->rfn);
    free(h->rfid);
    for (i = 0; h->ring != NULL && i < CORR_RING; i++)
        kz_strbuf_fini(&h->ring[i]);
    free(h->ring);
    h->ring = NULL;
    kz_strbuf_fini(&h->abuf);
    kz_strbuf_fini(&h->tbuf);
}
