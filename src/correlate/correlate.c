/*
 * correlate.c - the correlation engine of correlate.h: reference
 * resolution and chaining order, groups and sliding windows, aggregates
 * and conditions (docs/internals/correlate.md).
 */
#include "correlate/correlate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

/* One match kept in a group's window. */
typedef struct entry {
    kz_time t;
    uint64_t vhash;         /* value_count: hash of the value tuple */
    double num;             /* value_sum/avg/percentile */
    const void *ref;
    uint32_t pos;           /* index in the correlation's rules */
} entry;

typedef struct group {
    struct group *next;     /* hash chain */
    uint64_t hash;
    char *key;              /* values, each NUL-terminated */
    size_t keylen;
    entry *ring;            /* circular deque */
    size_t cap, head, n;
    kz_time close;          /* close mode: window end (KZ_TIME_NONE) */
    kz_time quiet;          /* suppress mode: no alert until after this
                               time (KZ_TIME_NONE: none yet) */
} group;

typedef struct consumer {
    uint32_t corr, pos;
} consumer;

typedef struct corr {
    const kz_sigma_rule *r;
    const kz_sg_correlation *c;
    size_t nrefs;
    const char **label;     /* per ref: id, name or title */
    const char **gfield;    /* [pos * ngb + g]: field read for group g */
    size_t ngb;
    bool close_mode;        /* a non-monotone operator */
    bool temporal;
    bool suppressed;        /* its alerts feed a generate: false corr */
    int depth;
    kz_time span;
    group **buckets;
    size_t nbuckets, ngroups;
    group **queue;          /* close mode: groups by window end */
    size_t qcap, qhead, qn;
    kz_time last_sweep;
} corr;

struct kz_corr_engine {
    const kz_sigma_set *set;
    const kz_ruleset *rs;
    kz_corr_opts o;
    size_t nbase, ncorr;
    corr *corrs;
    size_t *order;          /* inner correlations first */
    size_t *cons_start;     /* [node]..[node+1] in cons */
    consumer *cons;
    bool *suppress;         /* per base rule */
    kz_time watermark;
    bool finished;
    size_t total;           /* entries in all windows */
    kz_corr_stats st;
    /* aggregate scratch */
    double *nums;
    uint64_t *hashes;
    size_t scratch_cap;
};

/* ---- helpers --------------------------------------------------------- */

static bool
ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (kz_ascii_lower((unsigned char)*a) !=
            kz_ascii_lower((unsigned char)*b))
            return false;
    return *a == *b;
}

static const char *
field_get(const kz_corr_field *f, size_t n, const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        if (f[i].name != NULL && f[i].value != NULL && ieq(f[i].name, name))
            return f[i].value;
    return NULL;
}

static const char *
label_of(const kz_sigma_rule *r)
{
    if (r->id != NULL)
        return r->id;
    if (r->name != NULL)
        return r->name;
    return r->title != NULL ? r->title : "?";
}

/* t + d and t - d for d >= 0, saturating (event times are untrusted). */
static kz_time
t_add(kz_time t, kz_time d)
{
    return t > INT64_MAX - d ? INT64_MAX : t + d;
}

static kz_time
t_sub(kz_time t, kz_time d)
{
    return t < INT64_MIN + 1 + d ? INT64_MIN + 1 : t - d;
}

/* ---- building -------------------------------------------------------- */

/* Node of a set rule: base index, nbase + corr index, or -1. */
static long
node_of(const kz_corr_engine *e, const kz_sigma_rule *r)
{
    size_t i;

    if (r->kind == KZ_SG_RULE) {
        for (i = 0; i < e->nbase; i++)
            if (kz_ruleset_rule(e->rs, i) == r)
                return (long)i;
    } else if (r->kind == KZ_SG_CORRELATION) {
        for (i = 0; i < e->ncorr; i++)
            if (e->corrs[i].r == r)
                return (long)(e->nbase + i);
    }
    return -1;
}

static const kz_sigma_rule *
find_ref(const kz_sigma_set *s, const char *ref)
{
    size_t i;

    for (i = 0; i < s->nrules; i++)
        if (s->rules[i]->kind != KZ_SG_FILTER && s->rules[i]->id != NULL &&
            strcmp(s->rules[i]->id, ref) == 0)
            return s->rules[i];
    for (i = 0; i < s->nrules; i++)
        if (s->rules[i]->kind != KZ_SG_FILTER && s->rules[i]->name != NULL &&
            strcmp(s->rules[i]->name, ref) == 0)
            return s->rules[i];
    return NULL;
}

/* The field group-by entry g reads in matches of ref rule r. */
static const char *
group_field(const kz_sg_correlation *c, size_t g, const kz_sigma_rule *r)
{
    const char *name = c->group_by.v[g];
    size_t i, k;

    for (i = 0; i < c->naliases; i++) {
        if (strcmp(c->aliases[i].alias, name) != 0)
            continue;
        for (k = 0; k < c->aliases[i].rules.n && r != NULL; k++)
            if (r->name != NULL &&
                strcmp(c->aliases[i].rules.v[k], r->name) == 0)
                return c->aliases[i].fields.v[k];
        return NULL; /* alias without an entry for this rule: missing */
    }
    return name;
}

static kz_status
build(kz_corr_engine *e, long *refnode, kz_error *err)
{
    size_t i, k, g, nnodes = e->nbase + e->ncorr, nrefs = 0, done = 0;
    bool *isdone;

    for (i = 0; i < e->ncorr; i++) {
        corr *c = &e->corrs[i];

        c->nrefs = c->c->rules.n;
        c->ngb = c->c->group_by.n;
        c->label = calloc(c->nrefs + 1, sizeof(*c->label));
        c->gfield = calloc(c->nrefs * c->ngb + 1, sizeof(*c->gfield));
        if (c->label == NULL || c->gfield == NULL)
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        c->temporal = c->c->type == KZ_CORR_TEMPORAL ||
                      c->c->type == KZ_CORR_TEMPORAL_ORDERED;
        for (k = 0; k < c->c->nconds; k++)
            if (c->c->conds[k].op != KZ_OP_GT &&
                c->c->conds[k].op != KZ_OP_GTE)
                c->close_mode = true;
        /* At most ~29,000 years: keeps t +- span in range. */
        c->span = c->c->timespan_s > (uint64_t)INT64_MAX / KZ_TICKS_PER_SEC / 4
                      ? INT64_MAX / 4
                      : (kz_time)c->c->timespan_s * KZ_TICKS_PER_SEC;
        c->last_sweep = KZ_TIME_NONE;
        for (k = 0; k < c->nrefs; k++) {
            const kz_sigma_rule *r = find_ref(e->set, c->c->rules.v[k]);

            refnode[nrefs + k] = r ? node_of(e, r) : -1;
            c->label[k] = r ? label_of(r) : c->c->rules.v[k];
            for (g = 0; g < c->ngb; g++)
                c->gfield[k * c->ngb + g] = group_field(c->c, g, r);
        }
        nrefs += c->nrefs;
    }
    /* Consumers per node. */
    e->cons_start = calloc(nnodes + 2, sizeof(size_t));
    e->cons = calloc(nrefs + 1, sizeof(consumer));
    e->suppress = calloc(e->nbase + 1, sizeof(bool));
    e->order = calloc(e->ncorr + 1, sizeof(size_t));
    isdone = calloc(e->ncorr + 1, sizeof(bool));
    if (!e->cons_start || !e->cons || !e->suppress || !e->order || !isdone) {
        free(isdone);
        return kz_error_set(err, KZ_ENOMEM, "out of memory");
    }
    for (i = 0; i < nrefs; i++)
        if (refnode[i] >= 0)
            e->cons_start[refnode[i] + 1]++;
    for (i = 0; i < nnodes; i++)
        e->cons_start[i + 1] += e->cons_start[i];
    {
        size_t *fill = calloc(nnodes + 1, sizeof(size_t)), base = 0;

        if (fill == NULL) {
            free(isdone);
            return kz_error_set(err, KZ_ENOMEM, "out of memory");
        }
        for (i = 0; i < e->ncorr; i++) {
            for (k = 0; k < e->corrs[i].nrefs; k++) {
                long n = refnode[base + k];
                consumer *cs;

                if (n < 0)
                    continue;
                cs = &e->cons[e->cons_start[n] + fill[n]++];
                cs->corr = (uint32_t)i;
                cs->pos = (uint32_t)k;
                if (!e->corrs[i].c->generate) {
                    if ((size_t)n < e->nbase)
                        e->suppress[n] = true;
                    else
                        e->corrs[(size_t)n - e->nbase].suppressed = true;
                }
            }
            base += e->corrs[i].nrefs;
        }
        free(fill);
    }
    /* Order: a correlation after those it references; cycles fail. */
    for (;;) {
        bool progress = false;
        size_t base = 0;

        for (i = 0; i < e->ncorr; base += e->corrs[i].nrefs, i++) {
            int depth = 1;
            bool ready = true;

            if (isdone[i])
                continue;
            for (k = 0; k < e->corrs[i].nrefs; k++) {
                long n = refnode[base + k];

                if (n < (long)e->nbase)
                    continue;
                if (!isdone[(size_t)n - e->nbase]) {
                    ready = false;
                    break;
                }
                if (e->corrs[(size_t)n - e->nbase].depth + 1 > depth)
                    depth = e->corrs[(size_t)n - e->nbase].depth + 1;
            }
            if (!ready)
                continue;
            if (depth > KZ_CORR_MAX_DEPTH) {
                free(isdone);
                return kz_error_set(err, KZ_EFORMAT,
                                    "correlation '%s': chain deeper than %d",
                                    label_of(e->corrs[i].r),
                                    KZ_CORR_MAX_DEPTH);
            }
            e->corrs[i].depth = depth;
            isdone[i] = true;
            e->order[done++] = i;
            progress = true;
        }
        if (!progress)
            break;
    }
    for (i = 0; i < e->ncorr; i++)
        if (!isdone[i]) {
            free(isdone);
            return kz_error_set(err, KZ_EFORMAT,
                                "correlation '%s' is part of a reference "
                                "cycle", label_of(e->corrs[i].r));
        }
    free(isdone);
    return KZ_OK;
}

kz_corr_engine *
kz_corr_new(const kz_sigma_set *set, const kz_ruleset *rs,
            const kz_corr_opts *o, kz_error *err)
{
    kz_corr_engine *e;
    size_t i, n = 0, nrefs = 0;
    long *refnode;

    if (set == NULL || rs == NULL) {
        kz_error_set(err, KZ_EUSAGE, "no rule set");
        return NULL;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL) {
        kz_error_set(err, KZ_ENOMEM, "out of memory");
        return NULL;
    }
    e->set = set;
    e->rs = rs;
    if (o != NULL)
        e->o = *o;
    if (e->o.max_groups == 0)
        e->o.max_groups = KZ_CORR_MAX_GROUPS;
    if (e->o.max_entries == 0)
        e->o.max_entries = KZ_CORR_MAX_ENTRIES;
    e->watermark = KZ_TIME_NONE;
    e->nbase = kz_ruleset_rule_count(rs);
    for (i = 0; i < set->nrules; i++)
        if (set->rules[i]->kind == KZ_SG_CORRELATION &&
            set->rules[i]->corr != NULL)
            n++;
    e->corrs = calloc(n + 1, sizeof(corr));
    if (e->corrs == NULL)
        goto oom;
    for (i = 0; i < set->nrules; i++)
        if (set->rules[i]->kind == KZ_SG_CORRELATION &&
            set->rules[i]->corr != NULL) {
            e->corrs[e->ncorr].r = set->rules[i];
            e->corrs[e->ncorr].c = set->rules[i]->corr;
            nrefs += set->rules[i]->corr->rules.n;
            e->ncorr++;
        }
    if ((refnode = calloc(nrefs + 1, sizeof(long))) == NULL)
        goto oom;
    if (build(e, refnode, err) != KZ_OK) {
        free(refnode);
        kz_corr_free(e);
        return NULL;
    }
    free(refnode);
    return e;
oom:
    kz_error_set(err, KZ_ENOMEM, "out of memory");
    kz_corr_free(e);
    return NULL;
}

static void
group_free(kz_corr_engine *e, group *g)
{
    e->total -= g->n;
    free(g->key);
    free(g->ring);
    free(g);
}

void
kz_corr_free(kz_corr_engine *e)
{
    size_t i, b;

    if (e == NULL)
        return;
    for (i = 0; i < e->ncorr; i++) {
        corr *c = &e->corrs[i];

        for (b = 0; b < c->nbuckets; b++)
            while (c->buckets[b] != NULL) {
                group *g = c->buckets[b];

                c->buckets[b] = g->next;
                group_free(e, g);
            }
        free(c->buckets);
        free(c->queue);
        free(c->label);
        free(c->gfield);
    }
    free(e->corrs);
    free(e->order);
    free(e->cons_start);
    free(e->cons);
    free(e->suppress);
    free(e->nums);
    free(e->hashes);
    free(e);
}

size_t
kz_corr_count(const kz_corr_engine *e)
{
    return e->ncorr;
}

bool
kz_corr_wants(const kz_corr_engine *e, uint32_t rule)
{
    return rule < e->nbase && e->cons_start[rule + 1] > e->cons_start[rule];
}

/* Appends name to out[0..*n) unless present (ASCII case-insensitive). */
static void
add_unique(const char **out, size_t *n, size_t max, const char *name)
{
    size_t i;

    if (name == NULL || *name == '\0')
        return;
    for (i = 0; i < *n; i++)
        if (ieq(out[i], name))
            return;
    if (*n < max)
        out[(*n)++] = name;
}

size_t
kz_corr_rule_fields(const kz_corr_engine *e, uint32_t rule, const char **out,
                    size_t max)
{
    size_t n = 0, q, g, i;

    if (!kz_corr_wants(e, rule))
        return 0;
    for (q = e->cons_start[rule]; q < e->cons_start[rule + 1]; q++) {
        const corr *c = &e->corrs[e->cons[q].corr];
        const kz_sg_correlation *k = c->c;

        for (g = 0; g < c->ngb; g++)
            add_unique(out, &n, max, c->gfield[e->cons[q].pos * c->ngb + g]);
        add_unique(out, &n, max, k->field);
        for (i = 0; i < k->fields.n; i++)
            add_unique(out, &n, max, k->fields.v[i]);
    }
    return n;
}

bool
kz_corr_suppressed(const kz_corr_engine *e, uint32_t rule)
{
    return rule < e->nbase && e->suppress[rule];
}

void
kz_corr_stats_get(const kz_corr_engine *e, kz_corr_stats *st)
{
    *st = e->st;
}

/* ---- groups ---------------------------------------------------------- */

static entry *
ent(const group *g, size_t i)
{
    return &g->ring[(g->head + i) % g->cap];
}

static kz_status
rehash(corr *c)
{
    size_t nb = c->nbuckets ? c->nbuckets * 2 : 64, b;
    group **nbk = calloc(nb, sizeof(*nbk));

    if (nbk == NULL)
        return KZ_ENOMEM;
    for (b = 0; b < c->nbuckets; b++)
        while (c->buckets[b] != NULL) {
            group *g = c->buckets[b];

            c->buckets[b] = g->next;
            g->next = nbk[g->hash & (nb - 1)];
            nbk[g->hash & (nb - 1)] = g;
        }
    free(c->buckets);
    c->buckets = nbk;
    c->nbuckets = nb;
    return KZ_OK;
}

static void
group_remove(kz_corr_engine *e, corr *c, group *g)
{
    group **pp = &c->buckets[g->hash & (c->nbuckets - 1)];

    while (*pp != NULL && *pp != g)
        pp = &(*pp)->next;
    if (*pp == g)
        *pp = g->next;
    c->ngroups--;
    group_free(e, g);
}

/* Monotone mode: frees the groups whose window is empty at time t. */
static void
sweep(kz_corr_engine *e, corr *c, kz_time t)
{
    size_t b;

    c->last_sweep = t;
    for (b = 0; b < c->nbuckets; b++) {
        group **pp = &c->buckets[b];

        while (*pp != NULL) {
            group *g = *pp;

            if (g->n == 0 || ent(g, g->n - 1)->t < t_sub(t, c->span)) {
                *pp = g->next;
                c->ngroups--;
                group_free(e, g);
            } else {
                pp = &g->next;
            }
        }
    }
}

/* ---- aggregates and conditions --------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int
cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static kz_status
scratch(kz_corr_engine *e, size_t n)
{
    uint64_t *h;
    double *d;

    if (n <= e->scratch_cap)
        return KZ_OK;
    if ((h = realloc(e->hashes, n * sizeof(*h))) == NULL)
        return KZ_ENOMEM;
    e->hashes = h;
    if ((d = realloc(e->nums, n * sizeof(*d))) == NULL)
        return KZ_ENOMEM;
    e->nums = d;
    e->scratch_cap = n;
    return KZ_OK;
}

/* Boolean temporal condition over present[] (validated by the loader:
 * depth bounded by KZ_SG_MAX_COND_DEPTH). */
static bool bexpr_or(const corr *c, const bool *present, const char **s);

static void
bskip(const char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
}

static bool
bident(const char *s, const char *word, size_t *len)
{
    size_t n = strlen(word);
    char ch;

    if (strncmp(s, word, n) != 0)
        return false;
    ch = s[n];
    *len = n;
    return !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
             (ch >= '0' && ch <= '9') || ch == '_');
}

static bool
bexpr_prim(const corr *c, const bool *present, const char **s)
{
    size_t n, k, len;
    bool v = false;

    bskip(s);
    if (bident(*s, "not", &n)) {
        *s += n;
        return !bexpr_prim(c, present, s);
    }
    if (**s == '(') {
        (*s)++;
        v = bexpr_or(c, present, s);
        bskip(s);
        if (**s == ')')
            (*s)++;
        return v;
    }
    for (len = 0; (*s)[len] != '\0' && (*s)[len] != ' ' &&
                  (*s)[len] != '\t' && (*s)[len] != '(' && (*s)[len] != ')';
         len++)
        ;
    for (k = 0; k < c->nrefs; k++)
        if (strlen(c->c->rules.v[k]) == len &&
            memcmp(c->c->rules.v[k], *s, len) == 0 && present[k])
            v = true;
    *s += len;
    return v;
}

static bool
bexpr_and(const corr *c, const bool *present, const char **s)
{
    bool v = bexpr_prim(c, present, s);
    size_t n;

    for (;;) {
        bskip(s);
        if (!bident(*s, "and", &n))
            return v;
        *s += n;
        v = bexpr_prim(c, present, s) && v;
    }
}

static bool
bexpr_or(const corr *c, const bool *present, const char **s)
{
    bool v = bexpr_and(c, present, s);
    size_t n;

    for (;;) {
        bskip(s);
        if (!bident(*s, "or", &n))
            return v;
        *s += n;
        v = bexpr_and(c, present, s) || v;
    }
}

static bool
cond_ok(const kz_sg_correlation *k, double v)
{
    size_t i;

    for (i = 0; i < k->nconds; i++) {
        double x = k->conds[i].value;
        bool ok;

        switch (k->conds[i].op) {
        case KZ_OP_EQ: ok = v == x; break;
        case KZ_OP_GT: ok = v > x; break;
        case KZ_OP_GTE: ok = v >= x; break;
        case KZ_OP_LT: ok = v < x; break;
        case KZ_OP_LTE: ok = v <= x; break;
        default: ok = v != x; break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* The aggregate of g's window in *v; whether the condition holds.
 * present[] (nrefs) receives the referenced rules seen. */
static kz_status
evaluate(kz_corr_engine *e, const corr *c, const group *g, bool *present,
         double *v, bool *fire)
{
    size_t i, n = g->n, d;
    double sum = 0;

    *fire = false;
    *v = 0;
    for (i = 0; i < n; i++)
        present[ent(g, i)->pos] = true;
    if (n == 0)
        return KZ_OK;
    switch (c->c->type) {
    case KZ_CORR_EVENT_COUNT:
        *v = (double)n;
        break;
    case KZ_CORR_VALUE_COUNT:
        if (scratch(e, n) != KZ_OK)
            return KZ_ENOMEM;
        for (i = 0; i < n; i++)
            e->hashes[i] = ent(g, i)->vhash;
        qsort(e->hashes, n, sizeof(uint64_t), cmp_u64);
        for (i = d = 0; i < n; i++)
            if (i == 0 || e->hashes[i] != e->hashes[i - 1])
                d++;
        *v = (double)d;
        break;
    case KZ_CORR_VALUE_SUM:
    case KZ_CORR_VALUE_AVG:
        for (i = 0; i < n; i++)
            sum += ent(g, i)->num;
        *v = c->c->type == KZ_CORR_VALUE_SUM ? sum : sum / (double)n;
        break;
    case KZ_CORR_VALUE_PERCENTILE: {
        double rank, frac;
        size_t lo;

        if (scratch(e, n) != KZ_OK)
            return KZ_ENOMEM;
        for (i = 0; i < n; i++)
            e->nums[i] = ent(g, i)->num;
        qsort(e->nums, n, sizeof(double), cmp_dbl);
        rank = c->c->percentile / 100.0 * (double)(n - 1);
        lo = (size_t)floor(rank);
        if (lo >= n - 1) {
            *v = e->nums[n - 1];
        } else {
            frac = rank - (double)lo;
            *v = e->nums[lo] + frac * (e->nums[lo + 1] - e->nums[lo]);
        }
        break;
    }
    case KZ_CORR_TEMPORAL:
        for (i = d = 0; i < c->nrefs; i++)
            d += present[i];
        *v = (double)d;
        break;
    default: /* temporal_ordered: greedy from the earliest anchor */
        for (i = d = 0; i < n && d < c->nrefs; i++)
            if (ent(g, i)->pos == d)
                d++;
        *v = (double)d;
        break;
    }
    if (c->temporal && c->c->bool_cond != NULL) {
        const char *s = c->c->bool_cond;

        *fire = bexpr_or(c, present, &s) && cond_ok(c->c, *v);
        if (c->c->type == KZ_CORR_TEMPORAL_ORDERED && c->c->nconds == 0)
            *fire = *fire && *v >= (double)c->nrefs;
    } else if (c->temporal && c->c->nconds == 0) {
        *fire = *v >= (double)c->nrefs;
    } else {
        *fire = cond_ok(c->c, *v);
    }
    return KZ_OK;
}

/* ---- feeding --------------------------------------------------------- */

static kz_status feed(kz_corr_engine *e, size_t ci, uint32_t pos, kz_time t,
                      const kz_corr_field *f, size_t nf, const void *ref);

/* Delivers the alert of g (which the caller then frees) and feeds it to
 * the correlations that reference c. */
static kz_status
emit(kz_corr_engine *e, size_t ci, group *g, const bool *present, double v)
{
    corr *c = &e->corrs[ci];
    kz_corr_alert a;
    kz_corr_field *pairs;
    const char **ids;
    const char *p = g->key;
    size_t i, n = 0, node = e->nbase + ci;
    kz_status st = KZ_OK;
    kz_time ft;

    pairs = calloc(c->ngb + 1, sizeof(*pairs));
    ids = calloc(c->nrefs + 1, sizeof(*ids));
    if (pairs == NULL || ids == NULL) {
        free(pairs);
        free(ids);
        return KZ_ENOMEM;
    }
    for (i = 0; i < c->ngb; i++) {
        pairs[i].name = c->c->group_by.v[i];
        pairs[i].value = p;
        p += strlen(p) + 1;
    }
    for (i = 0; i < c->nrefs; i++)
        if (present[i])
            ids[n++] = c->label[i];
    memset(&a, 0, sizeof a);
    a.rule = c->r;
    a.corr = ci;
    a.first = ent(g, 0)->t;
    a.last = a.time = ent(g, g->n - 1)->t;
    a.group = pairs;
    a.ngroup = c->ngb;
    a.value = v;
    a.rule_ids = ids;
    a.nrule_ids = n;
    for (i = 0; i < g->n && i < KZ_CORR_MAX_REFS; i++)
        a.refs[i] = ent(g, i)->ref;
    a.nrefs = i;
    a.total = g->n;
    a.completing = ent(g, g->n - 1)->ref;
    a.suppressed = c->suppressed;
    e->st.alerts++;
    if (e->o.on_alert != NULL)
        st = e->o.on_alert(e->o.ctx, &a);
    /* Chaining: at the completing time, or the watermark that closed the
     * window if later (keeps every window's input in time order). */
    ft = a.time > e->watermark ? a.time : e->watermark;
    for (i = e->cons_start[node]; st == KZ_OK && i < e->cons_start[node + 1];
         i++)
        st = feed(e, e->cons[i].corr, e->cons[i].pos, ft, pairs, c->ngb,
                  ent(g, g->n - 1)->ref);
    free(pairs);
    free(ids);
    return st;
}

/* Close mode: evaluates and frees the groups whose window ended before
 * t (KZ_TIME_NONE: all of them). */
static kz_status
close_due(kz_corr_engine *e, size_t ci, kz_time t)
{
    corr *c = &e->corrs[ci];
    kz_status st = KZ_OK;

    while (st == KZ_OK && c->qn > 0) {
        group *g = c->queue[c->qhead];
        bool *present, fire;
        double v;

        if (t != KZ_TIME_NONE && g->close >= t)
            break;
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qn--;
        if ((present = calloc(c->nrefs + 1, sizeof(bool))) == NULL)
            return KZ_ENOMEM;
        st = evaluate(e, c, g, present, &v, &fire);
        if (st == KZ_OK && fire)
            st = emit(e, ci, g, present, v);
        free(present);
        group_remove(e, c, g);
    }
    return st;
}

static kz_status
queue_push(corr *c, group *g)
{
    if (c->qn == c->qcap) {
        size_t nc = c->qcap ? c->qcap * 2 : 16, i;
        group **q = malloc(nc * sizeof(*q));

        if (q == NULL)
            return KZ_ENOMEM;
        for (i = 0; i < c->qn; i++)
            q[i] = c->queue[(c->qhead + i) % c->qcap];
        free(c->queue);
        c->queue = q;
        c->qcap = nc;
        c->qhead = 0;
    }
    c->queue[(c->qhead + c->qn++) % c->qcap] = g;
    return KZ_OK;
}

/* The value tuple / number of a value_* match; false to skip it. */
static bool
match_value(kz_corr_engine *e, const corr *c, const kz_corr_field *f,
            size_t nf, entry *en)
{
    const kz_sg_correlation *k = c->c;
    size_t i;

    if (k->type == KZ_CORR_VALUE_COUNT) {
        size_t nfl = k->fields.n ? k->fields.n : 1;
        uint64_t h = 0x9e3779b97f4a7c15ULL;

        for (i = 0; i < nfl; i++) {
            const char *v = field_get(f, nf, k->fields.n ? k->fields.v[i]
                                                         : k->field);

            if (v == NULL)
                return false;
            h = kz_hash_mix(h, kz_hash(v, strlen(v)));
            h = kz_hash_mix(h, strlen(v));
        }
        en->vhash = h;
    } else if (k->type == KZ_CORR_VALUE_SUM || k->type == KZ_CORR_VALUE_AVG ||
               k->type == KZ_CORR_VALUE_PERCENTILE) {
        const char *v = field_get(f, nf, k->field);
        char *end;

        if (v == NULL || *v == '\0')
            return false;
        en->num = strtod(v, &end);
        if (*end != '\0' || !isfinite(en->num))
            return false;
    }
    (void)e;
    return true;
}

static kz_status
feed(kz_corr_engine *e, size_t ci, uint32_t pos, kz_time t,
     const kz_corr_field *f, size_t nf, const void *ref)
{
    corr *c = &e->corrs[ci];
    entry en;
    group *g;
    char *key;
    size_t i, klen = 0, off = 0;
    uint64_t h;
    kz_status st;

    if (c->close_mode && (st = close_due(e, ci, t)) != KZ_OK)
        return st;
    memset(&en, 0, sizeof en);
    en.t = t;
    en.pos = pos;
    en.ref = ref;
    if (!match_value(e, c, f, nf, &en)) {
        e->st.skipped_values++;
        return KZ_OK;
    }
    /* The group key: each value (cut) then NUL. */
    for (i = 0; i < c->ngb; i++) {
        const char *v = field_get(f, nf, c->gfield[pos * c->ngb + i]);
        size_t l = v ? strlen(v) : 1;

        klen += (l > KZ_CORR_VALUE_MAX ? KZ_CORR_VALUE_MAX : l) + 1;
    }
    if ((key = malloc(klen + 1)) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < c->ngb; i++) {
        const char *v = field_get(f, nf, c->gfield[pos * c->ngb + i]);
        size_t l;

        if (v == NULL)
            v = KZ_CORR_MISSING;
        if ((l = strlen(v)) > KZ_CORR_VALUE_MAX) {
            l = KZ_CORR_VALUE_MAX;
            e->st.cut_values++;
        }
        memcpy(key + off, v, l);
        off += l;
        key[off++] = '\0';
    }
    h = kz_hash(key, klen);
    if (c->nbuckets == 0 && rehash(c) != KZ_OK) {
        free(key);
        return KZ_ENOMEM;
    }
    for (g = c->buckets[h & (c->nbuckets - 1)]; g != NULL; g = g->next)
        if (g->hash == h && g->keylen == klen && memcmp(g->key, key, klen) == 0)
            break;
    if (g == NULL) {
        if (c->ngroups >= e->o.max_groups && !c->close_mode &&
            c->last_sweep != t)
            sweep(e, c, t);
        if (c->ngroups >= e->o.max_groups) {
            e->st.dropped_groups++;
            free(key);
            return KZ_OK;
        }
        if (c->ngroups >= c->nbuckets && rehash(c) != KZ_OK) {
            free(key);
            return KZ_ENOMEM;
        }
        if ((g = calloc(1, sizeof(*g))) == NULL) {
            free(key);
            return KZ_ENOMEM;
        }
        g->hash = h;
        g->key = key;
        g->keylen = klen;
        g->close = KZ_TIME_NONE;
        g->quiet = KZ_TIME_NONE;
        g->next = c->buckets[h & (c->nbuckets - 1)];
        c->buckets[h & (c->nbuckets - 1)] = g;
        c->ngroups++;
        if (c->close_mode) {
            g->close = t_add(t, c->span);
            if (queue_push(c, g) != KZ_OK) {
                group_remove(e, c, g);
                return KZ_ENOMEM;
            }
        }
    } else {
        free(key);
    }
    /* Slide (monotone mode): keep entries at or after t - timespan. */
    while (!c->close_mode && g->n > 0 && ent(g, 0)->t < t_sub(t, c->span)) {
        g->head = (g->head + 1) % g->cap;
        g->n--;
        e->total--;
    }
    if (g->n >= e->o.max_entries ||
        (e->total >= KZ_CORR_MAX_TOTAL && g->n > 0)) {
        g->head = (g->head + 1) % g->cap; /* drop the oldest */
        g->n--;
        e->total--;
        e->st.dropped_entries++;
    } else if (e->total >= KZ_CORR_MAX_TOTAL) {
        e->st.dropped_entries++;
        return KZ_OK;
    }
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 8;
        entry *r;

        if (nc > e->o.max_entries)
            nc = e->o.max_entries;
        if ((r = malloc(nc * sizeof(*r))) == NULL)
            return KZ_ENOMEM;
        for (i = 0; i < g->n; i++)
            r[i] = *ent(g, i);
        free(g->ring);
        g->ring = r;
        g->cap = nc;
        g->head = 0;
    }
    *ent(g, g->n) = en;
    g->n++;
    e->total++;
    if (!c->close_mode && e->o.repeat == KZ_CORR_SUPPRESS &&
        g->quiet != KZ_TIME_NONE && t <= g->quiet) {
        /* within a timespan of the group's last alert: nothing can be
         * written, so the window only slides (no evaluation) */
        e->st.repeats_suppressed++;
        return KZ_OK;
    }
    if (!c->close_mode) {
        bool *present, fire;
        double v;

        if ((present = calloc(c->nrefs + 1, sizeof(bool))) == NULL)
            return KZ_ENOMEM;
        st = evaluate(e, c, g, present, &v, &fire);
        if (st == KZ_OK && fire && e->o.repeat == KZ_CORR_SUPPRESS) {
            st = emit(e, ci, g, present, v);
            g->quiet = t_add(t, c->span); /* the group keeps sliding */
        } else if (st == KZ_OK && fire) {
            st = emit(e, ci, g, present, v);
            group_remove(e, c, g); /* reset after firing */
        }
        free(present);
        return st;
    }
    return KZ_OK;
}

kz_status
kz_corr_add(kz_corr_engine *e, const kz_corr_match *m)
{
    size_t i;
    kz_status st = KZ_OK;

    if (e->finished || m->rule >= e->nbase || m->time == KZ_TIME_NONE ||
        (e->watermark != KZ_TIME_NONE && m->time < e->watermark))
        return KZ_EUSAGE;
    e->st.matches++;
    e->watermark = m->time;
    /* Close the windows this time passes, inner correlations first. */
    for (i = 0; st == KZ_OK && i < e->ncorr; i++)
        if (e->corrs[e->order[i]].close_mode)
            st = close_due(e, e->order[i], m->time);
    for (i = e->cons_start[m->rule];
         st == KZ_OK && i < e->cons_start[m->rule + 1]; i++)
        st = feed(e, e->cons[i].corr, e->cons[i].pos, m->time, m->fields,
                  m->nfields, m->ref);
    return st;
}

kz_status
kz_corr_finish(kz_corr_engine *e)
{
    size_t i;
    kz_status st = KZ_OK;

    if (e->finished)
        return KZ_EUSAGE;
    e->finished = true;
    for (i = 0; st == KZ_OK && i < e->ncorr; i++)
        if (e->corrs[e->order[i]].close_mode)
            st = close_due(e, e->order[i], KZ_TIME_NONE);
    return st;
}
