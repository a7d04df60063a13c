/*
 * integrity.c - log integrity (D11): record-id intervals per (host,
 * channel), unreadable runs, time running backwards, JSON coverage.
 *
 * Per key, records extend the interval of the record before when their id
 * follows it (one compare per record); any other id opens an interval.
 * Intervals are sorted and merged when the list fills up and at the end,
 * so archive files of one channel join whatever their order. A gap is the
 * space between two merged intervals; it is a counter restart (no gap)
 * when the lower ids are newer than the higher ones, and it is
 * "unreadable" as far as an unreadable range of a file of that key may
 * have held those ids. Reference: docs/analytics-integrity.md.
 */
#include "analytics/integrity.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/hash.h"
#include "base/strbuf.h"

#define NO_FILE UINT32_MAX
#define NO_EID UINT32_MAX
#define EID_SLOTS 1024          /* JSON: distinct event ids counted */
#define EID_MAX (EID_SLOTS / 2)
#define WHY_MAX 160

/* Ids lo..hi read (consecutive), with the records at both ends. */
typedef struct ival {
    uint64_t lo, hi;            /* ids read, both included */
    kz_time t_lo, t_hi;         /* times of the records lo and hi */
    uint64_t pos_lo, pos_hi;    /* their positions */
    uint32_t file_lo, file_hi;  /* their files (index into g->files) */
    uint32_t eid_lo, eid_hi;    /* their event ids, or NO_EID */
} ival;

/* A run of unreadable ranges of one file with no record read between. */
typedef struct marker {
    uint32_t file;              /* index into g->files */
    uint32_t count;             /* ranges in the run */
    uint64_t offset, lost;      /* first offset, bytes lost */
    int64_t chunk_lo, chunk_hi; /* EVTX chunks, or -1 */
    bool rid_known;             /* every range had a declared range */
    uint64_t rid_lo, rid_hi;    /* union of the declared ranges */
    bool has_prev, has_next;    /* records read before / after it */
    uint64_t prev_id, next_id;  /* their ids */
    kz_time prev_time, next_time; /* their times */
    struct ikey *key;           /* key of the record before (or after) */
    char why[WHY_MAX];          /* reason of the first range */
} marker;

/* A run of records behind the newest record before them. */
typedef struct brun {
    uint32_t file;              /* index into g->files */
    struct ikey *key;           /* its key */
    uint64_t rid, pos;          /* first record of the run */
    uint32_t eid;               /* event id of the first record, or NO_EID */
    kz_time time, hw;           /* its time, the newest time before it */
    kz_time min_time;           /* oldest time in the run */
    uint64_t count;             /* records in the run */
    bool ended;                 /* a later record came back in order */
} brun;

typedef struct ikey {
    char *computer, *channel;   /* copies, NUL-terminated */
    size_t clen, chlen;         /* their lengths */
    uint64_t hash;              /* of the folded names and mode */
    bool json;                  /* coverage only (no gaps evaluated) */
    uint8_t why;                /* 1: JSON input, 2: foreign record ids */
    uint64_t records;           /* records fed */
    /* EVTX: intervals */
    ival *iv;                   /* intervals (sorted only after compact) */
    size_t n, cap, cur;         /* cur: interval last extended */
    uint64_t coarsened_gaps, coarsened_ids; /* merged away by the cap */
    bool has_decl;              /* a clean verified chunk declared ids */
    uint64_t decl_lo, decl_hi;  /* lowest first, highest last of those */
    uint32_t *files;            /* files holding the key, ascending */
    size_t nfiles, files_cap;   /* used / allocated */
    /* order within the current file */
    uint32_t seq_file;          /* file of the order state below */
    bool seq_have, in_run;      /* a record seen / in a backwards run */
    uint64_t seq_id;            /* id of the record before */
    kz_time hw;                 /* newest time so far in the file */
    size_t run;                 /* index into g->runs, or SIZE_MAX */
    /* JSON: coverage */
    uint64_t with_rid, rid_min, rid_max; /* records with an id, their span */
    kz_time tmin, tmax;         /* time span */
    uint32_t *eids;             /* EID_SLOTS slots, NO_EID = empty */
    size_t neids;               /* distinct event ids in eids */
    bool eids_over;             /* more than EID_MAX of them */
    uint32_t first_file;        /* first record: file */
    uint64_t first_pos;         /* its position */
    kz_time first_time;         /* its time */
    uint32_t first_eid;         /* its event id, or NO_EID */
} ikey;

typedef struct ifile {
    char *path;                 /* display path (copy) */
    uint32_t file_index, arg_index; /* as given */
    bool evtx;                  /* EVTX (else JSON) */
} ifile;

struct kz_integrity {
    kz_integrity_config c;      /* thresholds and caps */
    kz_integrity_stats st;      /* counters */
    ikey **keys;                /* in first-seen order */
    size_t nkeys, keys_cap;     /* used / allocated */
    uint32_t *slots;            /* key index + 1, 0 = empty */
    size_t nslots;              /* power of two */
    ifile *files;               /* inputs in order */
    size_t nfiles, files_cap;   /* used / allocated */
    marker *markers;            /* unreadable runs in input order */
    size_t nmarkers, markers_cap; /* used / allocated */
    brun *runs;                 /* backwards runs in input order */
    size_t nruns, runs_cap;     /* used / allocated */
    /* current file */
    uint32_t cur;               /* index into files, or NO_FILE */
    bool cur_json;              /* JSON input */
    bool cur_foreign;           /* records carry another log's ids */
    bool have_last;             /* a record with an id was read */
    uint64_t last_id;           /* its id */
    kz_time last_time;          /* its time */
    ikey *last_key;             /* key of the last record, or NULL */
    size_t pending;             /* first marker of the file without next */
    size_t open;                /* marker a range may join, or SIZE_MAX */
    size_t iv_bytes;            /* intervals allocated over all keys */
    bool finished;              /* kz_integrity_finish ran */
};

void
kz_integrity_config_default(kz_integrity_config *c)
{
    c->backwards_threshold = 3600 * KZ_TICKS_PER_SEC;
    c->max_keys = 4096;
    c->max_intervals = 65536;
    c->max_unreadable = 65536;
    c->max_files = (size_t)1 << 20;
    c->max_bytes = (size_t)16 << 20;
    c->max_findings = 10000;
}

static bool
parse_u64(const char *s, uint64_t *v, const char **end)
{
    char *e;
    unsigned long long x;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    x = strtoull(s, &e, 10);
    if (errno != 0)
        return false;
    *v = x;
    *end = e;
    return true;
}

kz_status
kz_integrity_config_set(kz_integrity_config *c, const char *key,
                        const char *value, kz_error *err)
{
    static const char *const sizes[] = {"max_keys", "max_intervals",
                                        "max_unreadable", "max_files",
                                        "max_findings"};
    size_t *fields[5];
    const char *end;
    uint64_t v, mul = 1;
    size_t i;

    fields[0] = &c->max_keys;
    fields[1] = &c->max_intervals;
    fields[2] = &c->max_unreadable;
    fields[3] = &c->max_files;
    fields[4] = &c->max_findings;
    if (key == NULL || value == NULL)
        return KZ_EUNSUPPORTED;
    if (strncmp(key, "integrity.", 10) == 0)
        key += 10;
    if (strcmp(key, "backwards_threshold") == 0) {
        if (!parse_u64(value, &v, &end))
            goto bad;
        switch (*end) {
        case '\0': case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: goto bad;
        }
        if (*end != '\0' && end[1] != '\0')
            goto bad;
        if (v > (uint64_t)INT64_MAX / KZ_TICKS_PER_SEC / mul)
            goto bad;
        c->backwards_threshold = (kz_time)(v * mul) * KZ_TICKS_PER_SEC;
        return KZ_OK;
    }
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (strcmp(key, sizes[i]) != 0)
            continue;
        if (!parse_u64(value, &v, &end) || *end != '\0' || v == 0 ||
            v > UINT32_MAX)
            goto bad;
        *fields[i] = (size_t)v;
        return KZ_OK;
    }
    return KZ_EUNSUPPORTED;
bad:
    return kz_error_set(err, KZ_EUSAGE,
                        "integrity.%s: bad value \"%.64s\"", key, value);
}

kz_integrity *
kz_integrity_new(const kz_integrity_config *c)
{
    kz_integrity *g = calloc(1, sizeof(*g));

    if (g == NULL)
        return NULL;
    if (c != NULL)
        g->c = *c;
    else
        kz_integrity_config_default(&g->c);
    if (g->c.max_intervals < 4)
        g->c.max_intervals = 4;
    if (g->c.max_bytes == 0)
        g->c.max_bytes = (size_t)16 << 20;
    if (g->c.backwards_threshold < 0)
        g->c.backwards_threshold = 0;
    g->cur = NO_FILE;
    g->open = SIZE_MAX;
    return g;
}

void
kz_integrity_free(kz_integrity *g)
{
    size_t i;

    if (g == NULL)
        return;
    for (i = 0; i < g->nkeys; i++) {
        ikey *k = g->keys[i];

        free(k->computer);
        free(k->iv);
        free(k->files);
        free(k->eids);
        free(k);
    }
    for (i = 0; i < g->nfiles; i++)
        free(g->files[i].path);
    free(g->keys);
    free(g->slots);
    free(g->files);
    free(g->markers);
    free(g->runs);
    free(g);
}

kz_status
kz_integrity_file(kz_integrity *g, uint32_t file_index, uint32_t arg_index,
                  const char *path, bool evtx)
{
    ifile *f;

    g->cur = NO_FILE;
    g->have_last = false;
    g->last_key = NULL;
    g->pending = g->nmarkers;
    g->open = SIZE_MAX;
    g->cur_json = !evtx;
    g->cur_foreign = false;
    if (g->nfiles >= g->c.max_files || g->nfiles >= NO_FILE - 1)
        return KZ_OK;
    if (kz_grow(&g->files, &g->files_cap, g->nfiles + 1, sizeof(ifile),
                64) != KZ_OK)
        return KZ_ENOMEM;
    f = &g->files[g->nfiles];
    if ((f->path = strdup(path != NULL ? path : "-")) == NULL)
        return KZ_ENOMEM;
    f->file_index = file_index;
    f->arg_index = arg_index;
    f->evtx = evtx;
    g->cur = (uint32_t)g->nfiles++;
    return KZ_OK;
}

/* ---- keys ---------------------------------------------------------------- */

static bool
ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return false;
    for (i = 0; i < alen; i++)
        if (kz_ascii_lower((unsigned char)a[i]) !=
            kz_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool
key_is(const ikey *k, const kz_integrity_rec *r, bool json)
{
    return k->json == json && ieq(k->computer, k->clen, r->computer,
                                  r->computer_len) &&
           ieq(k->channel, k->chlen, r->channel, r->channel_len);
}

static kz_status
rehash(kz_integrity *g)
{
    size_t n = g->nslots ? g->nslots * 2 : 256, i, j;
    uint32_t *s = calloc(n, sizeof(*s));

    if (s == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < g->nkeys; i++) {
        for (j = g->keys[i]->hash & (n - 1); s[j] != 0; j = (j + 1) & (n - 1))
            ;
        s[j] = (uint32_t)i + 1;
    }
    free(g->slots);
    g->slots = s;
    g->nslots = n;
    return KZ_OK;
}

/* The key of r (created if new); *out NULL past max_keys. */
static kz_status
key_of(kz_integrity *g, const kz_integrity_rec *r, ikey **out)
{
    bool json = g->cur_json || g->cur_foreign;
    uint64_t h;
    size_t j;
    ikey *k;

    /* Most records have the key of the record before, byte for byte. */
    k = g->last_key;
    if (k != NULL && k->json == json && k->clen == r->computer_len &&
        k->chlen == r->channel_len &&
        memcmp(k->computer, r->computer, r->computer_len) == 0 &&
        memcmp(k->channel, r->channel, r->channel_len) == 0) {
        *out = k;
        return KZ_OK;
    }
    h = kz_hash_mix(kz_hash_mix(kz_hash_fold(r->computer, r->computer_len),
                                kz_hash_fold(r->channel, r->channel_len)),
                    json);
    *out = NULL;
    if (g->nslots != 0)
        for (j = h & (g->nslots - 1); g->slots[j] != 0;
             j = (j + 1) & (g->nslots - 1)) {
            k = g->keys[g->slots[j] - 1];
            if (k->hash == h && key_is(k, r, json)) {
                *out = k;
                return KZ_OK;
            }
        }
    if (g->nkeys >= g->c.max_keys)
        return KZ_OK;
    if ((g->nkeys + 1) * 2 > g->nslots && rehash(g) != KZ_OK)
        return KZ_ENOMEM;
    if (kz_grow(&g->keys, &g->keys_cap, g->nkeys + 1, sizeof(ikey *), 64) !=
            KZ_OK ||
        (k = calloc(1, sizeof(*k))) == NULL)
        return KZ_ENOMEM;
    if ((k->computer = malloc(r->computer_len + r->channel_len + 2)) == NULL) {
        free(k);
        return KZ_ENOMEM;
    }
    if (r->computer_len)
        memcpy(k->computer, r->computer, r->computer_len);
    k->computer[r->computer_len] = '\0';
    k->channel = k->computer + r->computer_len + 1;
    if (r->channel_len)
        memcpy(k->channel, r->channel, r->channel_len);
    k->channel[r->channel_len] = '\0';
    k->clen = r->computer_len;
    k->chlen = r->channel_len;
    k->hash = h;
    k->json = json;
    k->cur = SIZE_MAX;
    k->why = json ? (g->cur_json ? 1 : 2) : 0;
    k->seq_file = NO_FILE;
    k->run = SIZE_MAX;
    k->tmin = k->tmax = KZ_TIME_NONE;
    for (j = h & (g->nslots - 1); g->slots[j] != 0;
         j = (j + 1) & (g->nslots - 1))
        ;
    g->slots[j] = (uint32_t)g->nkeys + 1;
    g->keys[g->nkeys++] = k;
    *out = k;
    return KZ_OK;
}

/* ---- intervals ----------------------------------------------------------- */

static int
ival_cmp(const void *a, const void *b)
{
    const ival *x = a, *y = b;

    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* Joins b into a (a->lo <= b->lo, overlapping or adjacent or not). */
static void
ival_join(ival *a, const ival *b)
{
    if (b->hi > a->hi) {
        a->hi = b->hi;
        a->t_hi = b->t_hi;
        a->pos_hi = b->pos_hi;
        a->file_hi = b->file_hi;
        a->eid_hi = b->eid_hi;
    }
}

/* Sorts and merges the intervals of k; past max/2 left, merges away the
 * smallest gaps (counted as not evaluated). Returns KZ_ENOMEM only. */
static kz_status
compact(kz_integrity *g, ikey *k, size_t max)
{
    size_t i, w, need;
    uint64_t *sz, cut;

    if (k->n == 0)
        return KZ_OK;
    qsort(k->iv, k->n, sizeof(ival), ival_cmp);
    for (w = 0, i = 1; i < k->n; i++) {
        if (k->iv[i].lo <= k->iv[w].hi ||
            (k->iv[w].hi != UINT64_MAX && k->iv[i].lo == k->iv[w].hi + 1))
            ival_join(&k->iv[w], &k->iv[i]);
        else
            k->iv[++w] = k->iv[i];
    }
    k->n = w + 1;
    k->cur = SIZE_MAX;
    if (k->n <= max)
        return KZ_OK;
    /* Merge the need smallest gaps. */
    need = k->n - max;
    if ((sz = malloc((k->n - 1) * sizeof(*sz))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i + 1 < k->n; i++)
        sz[i] = k->iv[i + 1].lo - k->iv[i].hi - 1;
    qsort(sz, k->n - 1, sizeof(*sz), u64_cmp);
    cut = sz[need - 1];
    free(sz);
    for (w = 0, i = 1; i < k->n; i++) {
        uint64_t gap = k->iv[i].lo - k->iv[w].hi - 1;

        if (need != 0 && gap <= cut) {
            need--;
            k->coarsened_gaps++;
            k->coarsened_ids += gap;
            g->st.coarsened_gaps++;
            ival_join(&k->iv[w], &k->iv[i]);
        } else {
            k->iv[++w] = k->iv[i];
        }
    }
    k->n = w + 1;
    return KZ_OK;
}

static kz_status
ival_add(kz_integrity *g, ikey *k, const kz_integrity_rec *r)
{
    uint64_t id = r->record_id;
    uint32_t eid = r->has_event_id ? r->event_id : NO_EID;
    ival *c;
    size_t old;
    kz_status st;

    if (k->cur != SIZE_MAX) {
        c = &k->iv[k->cur];
        if (c->hi != UINT64_MAX && id == c->hi + 1) {
            c->hi = id;
            c->t_hi = r->time;
            c->pos_hi = r->position;
            c->file_hi = g->cur;
            c->eid_hi = eid;
            return KZ_OK;
        }
        if (c->lo != 0 && id == c->lo - 1) {
            /* Descending ids (JSON exports newest first). */
            c->lo = id;
            c->t_lo = r->time;
            c->pos_lo = r->position;
            c->file_lo = g->cur;
            c->eid_lo = eid;
            return KZ_OK;
        }
        if (id >= c->lo && id <= c->hi)
            return KZ_OK; /* seen already (no dedup) */
    }
    if (k->n >= g->c.max_intervals &&
        (st = compact(g, k, g->c.max_intervals / 2)) != KZ_OK)
        return st;
    /* Growing past 16 intervals (doubling) must fit max_bytes over all
     * keys; else the key merges down to half its intervals. */
    if (k->n == k->cap && k->cap >= 16 &&
        g->iv_bytes + k->cap * sizeof(ival) > g->c.max_bytes &&
        (st = compact(g, k, k->n / 2)) != KZ_OK)
        return st;
    old = k->cap;
    if (kz_grow(&k->iv, &k->cap, k->n + 1, sizeof(ival), 16) != KZ_OK)
        return KZ_ENOMEM;
    g->iv_bytes += (k->cap - old) * sizeof(ival);
    if (g->iv_bytes > g->st.interval_bytes)
        g->st.interval_bytes = g->iv_bytes;
    c = &k->iv[k->n];
    c->lo = c->hi = id;
    c->t_lo = c->t_hi = r->time;
    c->pos_lo = c->pos_hi = r->position;
    c->file_lo = c->file_hi = g->cur;
    c->eid_lo = c->eid_hi = eid;
    k->cur = k->n++;
    return KZ_OK;
}

/* ---- JSON coverage ------------------------------------------------------- */

static kz_status
json_add(ikey *k, const kz_integrity_rec *r, uint32_t file)
{
    if (k->records == 1) {
        k->first_file = file;
        k->first_pos = r->position;
        k->first_time = r->time;
        k->first_eid = r->has_event_id ? r->event_id : NO_EID;
    }
    if (r->has_record_id) {
        if (k->with_rid == 0 || r->record_id < k->rid_min)
            k->rid_min = r->record_id;
        if (k->with_rid == 0 || r->record_id > k->rid_max)
            k->rid_max = r->record_id;
        k->with_rid++;
    }
    if (r->time != KZ_TIME_NONE) {
        if (k->tmin == KZ_TIME_NONE || r->time < k->tmin)
            k->tmin = r->time;
        if (k->tmax == KZ_TIME_NONE || r->time > k->tmax)
            k->tmax = r->time;
    }
    if (r->has_event_id && r->event_id != NO_EID && !k->eids_over) {
        size_t j;

        if (k->eids == NULL) {
            if ((k->eids = malloc(EID_SLOTS * sizeof(*k->eids))) == NULL)
                return KZ_ENOMEM;
            memset(k->eids, 0xff, EID_SLOTS * sizeof(*k->eids));
        }
        for (j = (r->event_id * 2654435761u) & (EID_SLOTS - 1);
             k->eids[j] != NO_EID; j = (j + 1) & (EID_SLOTS - 1))
            if (k->eids[j] == r->event_id)
                return KZ_OK;
        if (k->neids >= EID_MAX) {
            k->eids_over = true;
            return KZ_OK;
        }
        k->eids[j] = r->event_id;
        k->neids++;
    }
    return KZ_OK;
}

/* ---- records ------------------------------------------------------------- */

/* Time order within the current file, ids rising. */
static kz_status
order_check(kz_integrity *g, ikey *k, const kz_integrity_rec *r)
{
    kz_time thr = g->c.backwards_threshold;
    brun *b;

    if (r->time == KZ_TIME_NONE) {
        k->seq_id = r->record_id;
        k->seq_have = true;
        return KZ_OK;
    }
    if (!k->seq_have || r->record_id <= k->seq_id ||
        k->hw == KZ_TIME_NONE) {
        /* First record, or ids fall (circular wrap, restart): start
         * over. */
        k->in_run = false;
        k->hw = r->time;
    } else if (k->hw > INT64_MIN + thr && r->time < k->hw - thr) {
        if (k->in_run) {
            if (k->run != SIZE_MAX) {
                b = &g->runs[k->run];
                b->count++;
                if (r->time < b->min_time)
                    b->min_time = r->time;
            }
        } else {
            k->in_run = true;
            k->run = SIZE_MAX;
            g->st.backwards++;
            if (g->nruns >= g->c.max_findings) {
                g->st.dropped_findings++;
            } else {
                if (kz_grow(&g->runs, &g->runs_cap, g->nruns + 1,
                            sizeof(brun), 16) != KZ_OK)
                    return KZ_ENOMEM;
                b = &g->runs[g->nruns];
                b->file = g->cur;
                b->key = k;
                b->rid = r->record_id;
                b->pos = r->position;
                b->eid = r->has_event_id ? r->event_id : NO_EID;
                b->time = b->min_time = r->time;
                b->hw = k->hw;
                b->count = 1;
                b->ended = false;
                k->run = g->nruns++;
            }
        }
    } else {
        if (k->in_run && k->run != SIZE_MAX)
            g->runs[k->run].ended = true;
        k->in_run = false;
        if (r->time > k->hw)
            k->hw = r->time;
    }
    k->seq_id = r->record_id;
    k->seq_have = true;
    return KZ_OK;
}

kz_status
kz_integrity_record(kz_integrity *g, const kz_integrity_rec *rec)
{
    kz_integrity_rec rr = *rec;
    const kz_integrity_rec *r = &rr;
    ikey *k;
    kz_status st;
    size_t i;

    if (rr.computer == NULL) {
        rr.computer = "";
        rr.computer_len = 0;
    }
    if (rr.channel == NULL) {
        rr.channel = "";
        rr.channel_len = 0;
    }

    if (g->cur == NO_FILE) {
        g->st.dropped_records++;
        return KZ_OK;
    }
    g->st.records++;
    g->open = SIZE_MAX; /* a record read: the next range is a new run */
    if (r->has_record_id) {
        for (i = g->pending; i < g->nmarkers; i++) {
            g->markers[i].has_next = true;
            g->markers[i].next_id = r->record_id;
            g->markers[i].next_time = r->time;
            if (g->markers[i].key == NULL)
                g->markers[i].key = g->last_key;
        }
        g->pending = g->nmarkers;
    }
    if ((st = key_of(g, r, &k)) != KZ_OK)
        return st;
    if (k == NULL) {
        g->st.dropped_keys++;
        g->st.dropped_records++;
        return KZ_OK;
    }
    if (r->has_record_id)
        for (i = g->pending; i > 0 && g->markers[i - 1].file == g->cur &&
                             g->markers[i - 1].key == NULL;
             i--)
            g->markers[i - 1].key = k;
    g->last_key = k;
    if (k->json)
        k->why |= g->cur_json ? 1 : 2;
    k->records++;
    if (k->seq_file != g->cur) {
        k->seq_file = g->cur;
        k->seq_have = false;
        k->in_run = false;
        if (kz_grow(&k->files, &k->files_cap, k->nfiles + 1,
                    sizeof(uint32_t), 4) != KZ_OK)
            return KZ_ENOMEM;
        k->files[k->nfiles++] = g->cur;
    }
    if (k->json && (st = json_add(k, r, g->cur)) != KZ_OK)
        return st;
    if (!r->has_record_id)
        return KZ_OK;
    if ((st = ival_add(g, k, r)) != KZ_OK)
        return st;
    g->have_last = true;
    g->last_id = r->record_id;
    g->last_time = r->time;
    return order_check(g, k, r);
}

void
kz_integrity_declared(kz_integrity *g, uint64_t first, uint64_t last)
{
    ikey *k = g->last_key;

    if (g->cur == NO_FILE || k == NULL || k->json || first > last)
        return;
    if (!k->has_decl || first < k->decl_lo)
        k->decl_lo = first;
    if (!k->has_decl || last > k->decl_hi)
        k->decl_hi = last;
    k->has_decl = true;
}

void
kz_integrity_foreign(kz_integrity *g, bool foreign)
{
    if (g->cur_foreign != foreign)
        g->last_key = NULL;
    g->cur_foreign = foreign;
}

kz_status
kz_integrity_unreadable(kz_integrity *g, const kz_integrity_unread *u)
{
    marker *m;

    if (g->cur == NO_FILE || u->lost == 0)
        return KZ_OK;
    if (g->open != SIZE_MAX) {
        m = &g->markers[g->open];
        m->count++;
        m->lost += u->lost;
        if (u->chunk >= 0) {
            if (m->chunk_lo < 0)
                m->chunk_lo = u->chunk;
            m->chunk_hi = u->chunk;
        }
        if (m->rid_known && u->rid_known) {
            if (u->first_rid < m->rid_lo)
                m->rid_lo = u->first_rid;
            if (u->last_rid > m->rid_hi)
                m->rid_hi = u->last_rid;
        } else {
            m->rid_known = false;
        }
        return KZ_OK;
    }
    if (g->nmarkers >= g->c.max_unreadable) {
        g->st.dropped_unreadable++;
        return KZ_OK;
    }
    if (kz_grow(&g->markers, &g->markers_cap, g->nmarkers + 1,
                sizeof(marker), 16) != KZ_OK)
        return KZ_ENOMEM;
    m = &g->markers[g->nmarkers];
    memset(m, 0, sizeof(*m));
    m->file = g->cur;
    m->count = 1;
    m->offset = u->offset;
    m->lost = u->lost;
    m->chunk_lo = m->chunk_hi = u->chunk;
    m->rid_known = u->rid_known && u->first_rid <= u->last_rid;
    m->rid_lo = u->first_rid;
    m->rid_hi = u->last_rid;
    m->has_prev = g->have_last;
    m->prev_id = g->last_id;
    m->prev_time = g->have_last ? g->last_time : KZ_TIME_NONE;
    m->next_time = KZ_TIME_NONE;
    m->key = g->last_key;
    snprintf(m->why, sizeof(m->why), "%s", u->why != NULL ? u->why : "");
    g->open = g->nmarkers++;
    return KZ_OK;
}

/* ---- analysis ------------------------------------------------------------ */

typedef struct range {
    uint64_t lo, hi;            /* both included */
} range;

static int
range_cmp(const void *a, const void *b)
{
    const range *x = a, *y = b;

    return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

/* The ids marker m may have held: up to 2 ranges in out; returns the
 * count. Between the records read around it; within what its chunk
 * headers declared when that agrees with those records (*declared set),
 * else (a chunk whose records are not the ones its header names, as in
 * shadow-copy remnants) the header is ignored. */
static size_t
marker_cover(const marker *m, range out[2], bool *declared)
{
    range r[2];
    size_t n = 0, i, k = 0;

    if (m->has_prev && m->has_next && m->prev_id >= m->next_id) {
        /* Ids fell across it (a circular log's wrap point). */
        if (m->prev_id != UINT64_MAX)
            r[n++] = (range){m->prev_id + 1, UINT64_MAX};
        if (m->next_id != 0)
            r[n++] = (range){0, m->next_id - 1};
    } else {
        range x = {0, UINT64_MAX};

        if (m->has_prev) {
            if (m->prev_id == UINT64_MAX)
                return 0;
            x.lo = m->prev_id + 1;
        }
        if (m->has_next) {
            if (m->next_id == 0)
                return 0;
            x.hi = m->next_id - 1;
        }
        if (x.lo <= x.hi)
            r[n++] = x;
    }
    *declared = false;
    if (m->rid_known && n == 1 && m->rid_lo <= r[0].hi &&
        m->rid_hi >= r[0].lo) {
        if (r[0].lo < m->rid_lo)
            r[0].lo = m->rid_lo;
        if (r[0].hi > m->rid_hi)
            r[0].hi = m->rid_hi;
        *declared = true;
    }
    for (i = 0; i < n; i++)
        if (r[i].lo <= r[i].hi)
            out[k++] = r[i];
    return k;
}

static bool
has_file(const ikey *k, uint32_t f)
{
    size_t lo = 0, hi = k->nfiles;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (k->files[mid] < f)
            lo = mid + 1;
        else if (k->files[mid] > f)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* Sorted, merged ranges the unreadable runs of k's files may have held. */
static kz_status
cover_of(const kz_integrity *g, const ikey *k, range **out, size_t *nout)
{
    range *v = NULL, r[2];
    size_t n = 0, cap = 0, i, j, w;
    bool decl;

    *out = NULL;
    *nout = 0;
    for (i = 0; i < g->nmarkers; i++) {
        size_t c;

        if (!has_file(k, g->markers[i].file))
            continue;
        c = marker_cover(&g->markers[i], r, &decl);
        if (c == 0)
            continue;
        if (kz_grow(&v, &cap, n + c, sizeof(range), 16) != KZ_OK) {
            free(v);
            return KZ_ENOMEM;
        }
        for (j = 0; j < c; j++)
            v[n++] = r[j];
    }
    if (n == 0)
        return KZ_OK;
    qsort(v, n, sizeof(range), range_cmp);
    for (w = 0, i = 1; i < n; i++) {
        if (v[i].lo <= v[w].hi ||
            (v[w].hi != UINT64_MAX && v[i].lo == v[w].hi + 1)) {
            if (v[i].hi > v[w].hi)
                v[w].hi = v[i].hi;
        } else {
            v[++w] = v[i];
        }
    }
    *out = v;
    *nout = w + 1;
    return KZ_OK;
}

/* ---- findings ------------------------------------------------------------ */

#define FB_PAIRS 12

/* A finding being built: names are literals, values live in sb. */
typedef struct fbuild {
    kz_strbuf sb;               /* values */
    const char *names[FB_PAIRS]; /* pair names (literals) */
    size_t off[FB_PAIRS], len[FB_PAIRS]; /* values in sb */
    size_t n, ndetails;         /* pairs, Details among them */
    kz_status st;               /* first error */
} fbuild;

static void
fb_reset(fbuild *b)
{
    kz_strbuf_reset(&b->sb);
    b->n = 0;
    b->ndetails = SIZE_MAX;
    b->st = KZ_OK;
}

/* Starts pair name; its value is what is appended to b->sb until the next
 * fb_name or fb_emit. */
static void
fb_name(fbuild *b, const char *name)
{
    if (b->n > 0)
        b->len[b->n - 1] = b->sb.len - b->off[b->n - 1];
    if (b->n >= FB_PAIRS) {
        b->st = KZ_EINTERNAL;
        return;
    }
    b->names[b->n] = name;
    b->off[b->n] = b->sb.len;
    b->n++;
}

/* Ends the Details: pairs named after this are ExtraFieldInfo. */
static void
fb_extra(fbuild *b)
{
    b->ndetails = b->n;
}

static void
fb_time(fbuild *b, kz_time t)
{
    kz_status st;

    if (t == KZ_TIME_NONE)
        st = kz_strbuf_adds(&b->sb, "(no time)");
    else
        st = kz_time_format_iso(&b->sb, t, 0);
    if (st != KZ_OK)
        b->st = st;
}

static void
fb_fmt(fbuild *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fb_fmt(fbuild *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (kz_strbuf_add(&b->sb, tmp,
                      (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1) !=
        KZ_OK)
        b->st = KZ_ENOMEM;
}

static void
fb_ids(fbuild *b, uint64_t lo, uint64_t hi)
{
    if (lo == hi)
        fb_fmt(b, "%llu", (unsigned long long)lo);
    else
        fb_fmt(b, "%llu-%llu", (unsigned long long)lo,
               (unsigned long long)hi);
}

/* Duration d (ticks) as "1h02m03s". */
static void
fb_dur(fbuild *b, kz_time d)
{
    long long s = (long long)(d / KZ_TICKS_PER_SEC);

    if (s >= 86400)
        fb_fmt(b, "%lldd%02lldh%02lldm%02llds", s / 86400, s / 3600 % 24,
               s / 60 % 60, s % 60);
    else
        fb_fmt(b, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
}

/* Writes what the caps dropped over the run, if anything. */
static void
fb_limits(fbuild *b, const kz_integrity *g)
{
    const kz_integrity_stats *s = &g->st;

    if (s->dropped_keys == 0 && s->dropped_records == 0 &&
        s->coarsened_gaps == 0 && s->dropped_unreadable == 0 &&
        s->dropped_findings == 0)
        return;
    fb_name(b, "IntegrityLimits");
    fb_fmt(b, "not tracked: %llu records (%llu of keys past "
              "integrity.max_keys); %llu gaps merged away "
              "(integrity.max_intervals); %llu unreadable runs "
              "(integrity.max_unreadable); %llu findings "
              "(integrity.max_findings)",
           (unsigned long long)s->dropped_records,
           (unsigned long long)s->dropped_keys,
           (unsigned long long)s->coarsened_gaps,
           (unsigned long long)s->dropped_unreadable,
           (unsigned long long)s->dropped_findings);
}

static void
ref_init(const kz_integrity *g, kz_finding_ref *r, uint32_t file,
         const ikey *k)
{
    memset(r, 0, sizeof(*r));
    r->time = KZ_TIME_NONE;
    if (file < g->nfiles) {
        r->path = g->files[file].path;
        r->arg_index = g->files[file].arg_index;
        r->file_index = g->files[file].file_index;
    }
    if (k != NULL) {
        r->computer = k->computer;
        r->channel = k->channel;
    }
}

/* Emits the finding built in b, unless analytic's cap is reached. */
static kz_status
fb_emit(kz_integrity *g, fbuild *b, const char *analytic,
        const kz_finding_ref *at, uint64_t *count,
        const kz_finding_sink *sink)
{
    kz_str pairs[2 * FB_PAIRS];
    kz_finding f;
    size_t i;

    if (b->st != KZ_OK)
        return b->st == KZ_EINTERNAL ? KZ_EINTERNAL : KZ_ENOMEM;
    if (*count >= g->c.max_findings) {
        g->st.dropped_findings++;
        return KZ_OK;
    }
    (*count)++;
    if (b->n > 0)
        b->len[b->n - 1] = b->sb.len - b->off[b->n - 1];
    for (i = 0; i < b->n; i++) {
        pairs[2 * i].p = b->names[i];
        pairs[2 * i].len = strlen(b->names[i]);
        pairs[2 * i + 1].p = b->sb.data ? b->sb.data + b->off[i] : "";
        pairs[2 * i + 1].len = b->len[i];
    }
    memset(&f, 0, sizeof(f));
    f.analytic = analytic;
    f.at = *at;
    f.pairs = pairs;
    f.ndetails = b->ndetails == SIZE_MAX ? b->n : b->ndetails;
    f.nextra = b->n - f.ndetails;
    return sink->emit(sink->ctx, &f);
}

typedef struct counts {
    uint64_t gap, unread, back, json; /* findings emitted per analytic */
} counts;

/* Ids of lo..hi outside the sorted cover: returned; *unread gets the
 * ids inside it. */
static uint64_t
uncovered(const range *cov, size_t ncov, uint64_t lo, uint64_t hi,
          uint64_t *unread)
{
    size_t a = 0, z = ncov;
    uint64_t at = lo, miss = 0;

    *unread = 0;
    while (a < z) { /* first range ending at or after lo */
        size_t mid = a + (z - a) / 2;

        if (cov[mid].hi < lo)
            a = mid + 1;
        else
            z = mid;
    }
    for (; a < ncov && cov[a].lo <= hi; a++) {
        uint64_t clo = cov[a].lo < at ? at : cov[a].lo;
        uint64_t chi = cov[a].hi > hi ? hi : cov[a].hi;

        if (clo > at)
            miss += clo - at;
        *unread += chi - clo + 1;
        if (chi == hi)
            return miss;
        at = chi + 1;
    }
    return miss + (hi - at + 1);
}

/* A gap lo..hi of k between the records at the ends of a and z; either
 * may be NULL for ids a chunk header declared before the first or after
 * the last record read (declared: that header's last or first id). */
static kz_status
gap_finding(kz_integrity *g, const ikey *k, const ival *a, const ival *z,
            uint64_t lo, uint64_t hi, uint64_t miss, uint64_t unread,
            fbuild *b, counts *c, const kz_finding_sink *sink)
{
    kz_finding_ref ref;

    g->st.gaps++;
    g->st.missing += miss;
    fb_reset(b);
    fb_name(b, "MissingIds");
    fb_ids(b, lo, hi);
    fb_name(b, "Missing");
    fb_fmt(b, "%llu", (unsigned long long)miss);
    if (unread != 0) {
        fb_name(b, "InUnreadableRange");
        fb_fmt(b, "%llu", (unsigned long long)unread);
    }
    fb_name(b, "Before");
    if (a != NULL) {
        fb_fmt(b, "%llu @ ", (unsigned long long)a->hi);
        fb_time(b, a->t_hi);
    } else {
        fb_fmt(b, "none read (a chunk header declares ids from %llu)",
               (unsigned long long)lo);
    }
    fb_name(b, "After");
    if (z != NULL) {
        fb_fmt(b, "%llu @ ", (unsigned long long)z->lo);
        fb_time(b, z->t_lo);
    } else {
        fb_fmt(b, "none read (a chunk header declares ids up to %llu)",
               (unsigned long long)hi);
    }
    fb_extra(b);
    if (a != NULL && z != NULL && a->file_hi != z->file_lo &&
        a->file_hi < g->nfiles) {
        fb_name(b, "BeforeFile");
        fb_fmt(b, "%s", g->files[a->file_hi].path);
    }
    if (k->coarsened_gaps != 0) {
        fb_name(b, "NotEvaluated");
        fb_fmt(b, "%llu gaps (%llu ids) merged away on this key "
                  "(integrity.max_intervals)",
               (unsigned long long)k->coarsened_gaps,
               (unsigned long long)k->coarsened_ids);
    }
    fb_limits(b, g);
    /* The record after the gap, else the last one before it. */
    if (z != NULL) {
        ref_init(g, &ref, z->file_lo, k);
        ref.time = z->t_lo;
        ref.position = z->pos_lo;
        ref.record_id = z->lo;
        ref.event_id = z->eid_lo;
    } else {
        ref_init(g, &ref, a->file_hi, k);
        ref.time = a->t_hi;
        ref.position = a->pos_hi;
        ref.record_id = a->hi;
        ref.event_id = a->eid_hi;
    }
    ref.has_record_id = true;
    ref.has_event_id = ref.event_id != NO_EID;
    return fb_emit(g, b, "kz_a_log_gap", &ref, &c->gap, sink);
}

/* Gaps of one EVTX key: between merged intervals, then the ids clean
 * verified chunk headers declared before the first or after the last
 * record read. */
static kz_status
key_gaps(kz_integrity *g, ikey *k, fbuild *b, counts *c,
         const kz_finding_sink *sink)
{
    kz_time thr = g->c.backwards_threshold;
    range *cov = NULL;
    size_t ncov = 0, i;
    uint64_t miss, unread;
    kz_status st;

    if ((st = compact(g, k, g->c.max_intervals)) != KZ_OK ||
        (st = cover_of(g, k, &cov, &ncov)) != KZ_OK)
        return st;
    if (k->n != 0 && k->has_decl && k->decl_lo < k->iv[0].lo &&
        (miss = uncovered(cov, ncov, k->decl_lo, k->iv[0].lo - 1,
                          &unread)) != 0)
        st = gap_finding(g, k, NULL, &k->iv[0], k->decl_lo, k->iv[0].lo - 1,
                         miss, unread, b, c, sink);
    for (i = 0; i + 1 < k->n && st == KZ_OK; i++) {
        const ival *a = &k->iv[i], *z = &k->iv[i + 1];

        if (a->t_hi != KZ_TIME_NONE && z->t_lo != KZ_TIME_NONE &&
            z->t_lo < INT64_MAX - thr && a->t_hi > z->t_lo + thr) {
            /* The lower ids are newer: the counter restarted. */
            g->st.restarts++;
            continue;
        }
        miss = uncovered(cov, ncov, a->hi + 1, z->lo - 1, &unread);
        if (miss == 0) {
            g->st.unreadable_gaps++;
            continue;
        }
        st = gap_finding(g, k, a, z, a->hi + 1, z->lo - 1, miss, unread, b,
                         c, sink);
    }
    if (st == KZ_OK && k->n != 0 && k->has_decl &&
        k->decl_hi > k->iv[k->n - 1].hi &&
        (miss = uncovered(cov, ncov, k->iv[k->n - 1].hi + 1, k->decl_hi,
                          &unread)) != 0)
        st = gap_finding(g, k, &k->iv[k->n - 1], NULL,
                         k->iv[k->n - 1].hi + 1, k->decl_hi, miss, unread, b,
                         c, sink);
    free(cov);
    return st;
}

static kz_status
key_coverage(kz_integrity *g, const ikey *k, fbuild *b, counts *c,
             const kz_finding_sink *sink)
{
    kz_time thr = g->c.backwards_threshold;
    kz_finding_ref ref;
    uint64_t gaps = 0, ids = 0;
    size_t i;

    /* Gaps between the records present, counted, not alerted. */
    for (i = 0; i + 1 < k->n; i++) {
        const ival *a = &k->iv[i], *z = &k->iv[i + 1];

        if (a->t_hi != KZ_TIME_NONE && z->t_lo != KZ_TIME_NONE &&
            z->t_lo < INT64_MAX - thr && a->t_hi > z->t_lo + thr)
            continue;
        gaps++;
        ids += z->lo - a->hi - 1;
    }
    g->st.json_keys++;
    fb_reset(b);
    fb_name(b, "Records");
    fb_fmt(b, "%llu", (unsigned long long)k->records);
    fb_name(b, "EventIds");
    fb_fmt(b, "%zu%s distinct", k->neids, k->eids_over ? "+" : "");
    fb_name(b, "RecordIds");
    if (k->with_rid != 0)
        fb_ids(b, k->rid_min, k->rid_max);
    else
        fb_fmt(b, "none");
    fb_name(b, "IdGaps");
    fb_fmt(b, "%llu gaps, %llu ids not present (not evaluated)",
           (unsigned long long)gaps, (unsigned long long)ids);
    fb_name(b, "From");
    fb_time(b, k->tmin);
    fb_name(b, "To");
    fb_time(b, k->tmax);
    fb_extra(b);
    fb_name(b, "Note");
    fb_fmt(b, "record-id gaps not evaluated: %s%s%s",
           k->why & 1 ? "JSON exports often keep only some event ids" : "",
           k->why == 3 ? "; " : "",
           k->why & 2 ? "these EVTX records carry another log's "
                        "EventRecordIDs (an export or forwarded events)"
                      : "");
    fb_limits(b, g);
    ref_init(g, &ref, k->first_file, k);
    ref.time = k->first_time;
    ref.position = k->first_pos;
    ref.event_id = k->first_eid;
    ref.has_event_id = k->first_eid != NO_EID;
    return fb_emit(g, b, "kz_a_json_coverage", &ref, &c->json, sink);
}

static kz_status
unreadable_finding(kz_integrity *g, const marker *m, fbuild *b, counts *c,
                   const kz_finding_sink *sink)
{
    kz_finding_ref ref;
    range r[2];
    size_t n, i;
    bool decl;

    g->st.unreadable++;
    fb_reset(b);
    fb_name(b, "Bytes");
    fb_fmt(b, "%llu", (unsigned long long)m->lost);
    fb_name(b, "Offset");
    fb_fmt(b, "%llu", (unsigned long long)m->offset);
    if (m->chunk_lo >= 0) {
        fb_name(b, "Chunks");
        if (m->chunk_hi > m->chunk_lo)
            fb_fmt(b, "%lld-%lld", (long long)m->chunk_lo,
                   (long long)m->chunk_hi);
        else
            fb_fmt(b, "%lld", (long long)m->chunk_lo);
    }
    fb_name(b, "RecordIds");
    n = marker_cover(m, r, &decl);
    if (n == 0) {
        fb_fmt(b, "none");
    } else if (!m->rid_known && !m->has_prev && !m->has_next) {
        fb_fmt(b, "unknown");
    } else {
        for (i = 0; i < n; i++) {
            if (i)
                fb_fmt(b, ", ");
            if (r[i].hi == UINT64_MAX)
                fb_fmt(b, "%llu and above", (unsigned long long)r[i].lo);
            else if (r[i].lo == 0)
                fb_fmt(b, "up to %llu", (unsigned long long)r[i].hi);
            else
                fb_ids(b, r[i].lo, r[i].hi);
        }
        fb_fmt(b, " (%s)",
               decl ? "declared by the chunk header"
                    : m->rid_known ? "between the records read around it; "
                                     "the header names other records"
                                   : "between the records read around it; "
                                     "header unknown");
    }
    if (m->count > 1) {
        fb_name(b, "Ranges");
        fb_fmt(b, "%u", (unsigned)m->count);
    }
    fb_name(b, "Reason");
    fb_fmt(b, "%s", m->why);
    fb_extra(b);
    fb_limits(b, g);
    ref_init(g, &ref, m->file, m->key);
    ref.position = m->offset;
    ref.time = m->has_prev ? m->prev_time : m->next_time;
    return fb_emit(g, b, "kz_a_log_unreadable", &ref, &c->unread, sink);
}

static kz_status
backwards_finding(kz_integrity *g, const brun *r, fbuild *b, counts *c,
                  const kz_finding_sink *sink)
{
    kz_finding_ref ref;

    fb_reset(b);
    fb_name(b, "Behind");
    fb_dur(b, r->hw - r->time);
    fb_name(b, "NewestBefore");
    fb_time(b, r->hw);
    fb_name(b, "Time");
    fb_time(b, r->time);
    fb_name(b, "Records");
    fb_fmt(b, "%llu", (unsigned long long)r->count);
    fb_name(b, "Then");
    fb_fmt(b, "%s", r->ended ? "back in order (stale times, or a clock "
                               "set back then forward)"
                             : "still behind at the end of the input or "
                               "of rising ids (clock set back)");
    fb_extra(b);
    fb_name(b, "Threshold");
    fb_dur(b, g->c.backwards_threshold);
    fb_limits(b, g);
    ref_init(g, &ref, r->file, r->key);
    ref.time = r->time;
    ref.position = r->pos;
    ref.record_id = r->rid;
    ref.has_record_id = true;
    ref.event_id = r->eid;
    ref.has_event_id = r->eid != NO_EID;
    return fb_emit(g, b, "kz_a_time_backwards", &ref, &c->back, sink);
}

kz_status
kz_integrity_finish(kz_integrity *g, const kz_finding_sink *sink)
{
    fbuild b;
    counts c;
    kz_status st = KZ_OK;
    size_t i;

    if (g->finished)
        return KZ_OK;
    g->finished = true;
    memset(&c, 0, sizeof(c));
    memset(&b, 0, sizeof(b));
    kz_strbuf_init(&b.sb, 1 << 20);
    /* Compact first so the limits line is complete in every finding. */
    for (i = 0; i < g->nkeys && st == KZ_OK; i++)
        st = compact(g, g->keys[i], g->c.max_intervals);
    for (i = 0; i < g->nkeys && st == KZ_OK; i++)
        st = g->keys[i]->json ? key_coverage(g, g->keys[i], &b, &c, sink)
                              : key_gaps(g, g->keys[i], &b, &c, sink);
    for (i = 0; i < g->nmarkers && st == KZ_OK; i++)
        st = unreadable_finding(g, &g->markers[i], &b, &c, sink);
    for (i = 0; i < g->nruns && st == KZ_OK; i++)
        st = backwards_finding(g, &g->runs[i], &b, &c, sink);
    kz_strbuf_fini(&b.sb);
    return st;
}

void
kz_integrity_get_stats(const kz_integrity *g, kz_integrity_stats *s)
{
    *s = g->st;
    s->keys = g->nkeys;
}
