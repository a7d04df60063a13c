#include "read/dedup.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

#define TIME_SLACK 10000 /* 1 ms in 100 ns ticks */

typedef struct range {
    uint64_t lo, hi;       /* record ids, inclusive */
    kz_time tmin, tmax;    /* earliest/latest TimeCreated in the range */
} range;

typedef struct key {
    char *text;            /* "computer\0channel" folded to lower case */
    size_t len;            /* bytes of text */
    uint64_t hash;         /* hash of text */
    range *ranges;         /* sorted by lo, disjoint, not adjacent */
    size_t n, cap;         /* used / allocated ranges */
} key;

struct kz_dedup {
    key *keys;             /* open addressing, NULL text = empty */
    size_t slots;          /* power of two */
    size_t nkeys;          /* keys in use */
    size_t nranges;        /* ranges over all keys */
    bool saturated;        /* a bound was reached */
    key *last;             /* key of the previous event (same host and
                              channel is the common case) */
    uint64_t *conf;        /* conflict set: hashes of (key, id, time in
                              ms) of records whose id lies in a range but
                              whose time does not; 0 = empty slot */
    size_t conf_slots;     /* power of two, or 0 */
    size_t conf_n;         /* hashes held */
};

kz_dedup *
kz_dedup_new(void)
{
    kz_dedup *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->slots = 64;
    if ((d->keys = calloc(d->slots, sizeof(key))) == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

void
kz_dedup_free(kz_dedup *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->slots; i++) {
        free(d->keys[i].text);
        free(d->keys[i].ranges);
    }
    free(d->keys);
    free(d->conf);
    free(d);
}

bool
kz_dedup_saturated(const kz_dedup *d)
{
    return d->saturated;
}

static bool
grow(kz_dedup *d)
{
    size_t slots = d->slots * 2, i, j;
    key *keys = calloc(slots, sizeof(key));

    if (keys == NULL)
        return false;
    for (i = 0; i < d->slots; i++) {
        if (d->keys[i].text == NULL)
            continue;
        j = d->keys[i].hash & (slots - 1);
        while (keys[j].text != NULL)
            j = (j + 1) & (slots - 1);
        keys[j] = d->keys[i];
    }
    free(d->keys);
    d->keys = keys;
    d->slots = slots;
    d->last = NULL;
    return true;
}

/* s (lower case already) equals t[0..n) ignoring ASCII case. */
static bool
eq_fold(const char *s, const char *t, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != (char)kz_ascii_lower((unsigned char)t[i]))
            return false;
    return true;
}

static key *
lookup(kz_dedup *d, const kz_event *ev)
{
    char buf[512];
    size_t clen = ev->computer.len, hlen = ev->channel.len, len, i;
    uint64_t h;
    key *k;

    if (clen + hlen + 1 > sizeof(buf))
        return NULL; /* absurd names: not deduplicated */
    k = d->last;
    if (k != NULL && k->len == clen + 1 + hlen && k->text[clen] == '\0' &&
        eq_fold(k->text, ev->computer.p, clen) &&
        eq_fold(k->text + clen + 1, ev->channel.p, hlen))
        return k;
    for (i = 0; i < clen; i++)
        buf[i] = (char)kz_ascii_lower((unsigned char)ev->computer.p[i]);
    buf[clen] = '\0';
    for (i = 0; i < hlen; i++)
        buf[clen + 1 + i] = (char)kz_ascii_lower((unsigned char)ev->channel.p[i]);
    len = clen + 1 + hlen;
    h = kz_hash(buf, len);
    for (i = h & (d->slots - 1);; i = (i + 1) & (d->slots - 1)) {
        k = &d->keys[i];
        if (k->text == NULL)
            break;
        if (k->hash == h && k->len == len && memcmp(k->text, buf, len) == 0)
            return d->last = k;
    }
    if (d->nkeys >= KZ_DEDUP_MAX_KEYS) {
        d->saturated = true;
        return NULL;
    }
    if ((k->text = malloc(len)) == NULL)
        return NULL;
    memcpy(k->text, buf, len);
    k->len = len;
    k->hash = h;
    d->nkeys++;
    if (d->nkeys * 2 > d->slots) {
        char *text = k->text;

        if (!grow(d))
            return NULL;
        for (i = h & (d->slots - 1); d->keys[i].text != text;
             i = (i + 1) & (d->slots - 1))
            ;
        k = &d->keys[i];
    }
    return d->last = k;
}

/* Index of the first range with hi >= id. */
static size_t
first_not_below(const key *k, uint64_t id)
{
    size_t lo = 0, hi = k->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (k->ranges[mid].hi < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
widen(range *r, kz_time t)
{
    if (t == KZ_TIME_NONE)
        return;
    if (r->tmin == KZ_TIME_NONE || t < r->tmin)
        r->tmin = t;
    if (r->tmax == KZ_TIME_NONE || t > r->tmax)
        r->tmax = t;
}

/* True if (k, id, t) is in the conflict set; otherwise adds it. Times
 * compare by millisecond, like the ranges' ±1 ms: a JSON export truncated
 * to microseconds stays in the same millisecond. */
static bool
conflict_seen(kz_dedup *d, const key *k, uint64_t id, kz_time t)
{
    uint64_t h = kz_hash_mix(kz_hash_mix(k->hash, id),
                             t == KZ_TIME_NONE ? UINT64_MAX
                                               : (uint64_t)(t / 10000));
    size_t i, j;

    h |= 1; /* never 0, the empty mark */
    if (d->conf_slots != 0) {
        for (i = h & (d->conf_slots - 1); d->conf[i] != 0;
             i = (i + 1) & (d->conf_slots - 1))
            if (d->conf[i] == h)
                return true;
    }
    if (d->conf_n >= KZ_DEDUP_MAX_CONFLICTS) {
        d->saturated = true;
        return false;
    }
    if ((d->conf_n + 1) * 2 > d->conf_slots) {
        size_t slots = d->conf_slots ? d->conf_slots * 2 : 1024;
        uint64_t *tab = calloc(slots, sizeof(*tab));

        if (tab == NULL) {
            d->saturated = true;
            return false;
        }
        for (j = 0; j < d->conf_slots; j++) {
            if (d->conf[j] == 0)
                continue;
            for (i = d->conf[j] & (slots - 1); tab[i] != 0;
                 i = (i + 1) & (slots - 1))
                ;
            tab[i] = d->conf[j];
        }
        free(d->conf);
        d->conf = tab;
        d->conf_slots = slots;
    }
    for (i = h & (d->conf_slots - 1); d->conf[i] != 0;
         i = (i + 1) & (d->conf_slots - 1))
        ;
    d->conf[i] = h;
    d->conf_n++;
    return false;
}

bool
kz_dedup_seen(kz_dedup *d, const kz_event *ev)
{
    uint64_t id = ev->record_id;
    kz_time t = ev->time;
    key *k;
    size_t i;
    range *r;

    if (!(ev->flags & KZ_EV_HAS_RECORD_ID))
        return false;
    if ((k = lookup(d, ev)) == NULL)
        return false;
    i = first_not_below(k, id);
    if (i < k->n && k->ranges[i].lo <= id) {
        r = &k->ranges[i];
        if (t != KZ_TIME_NONE && r->tmin != KZ_TIME_NONE &&
            t >= r->tmin - TIME_SLACK && t <= r->tmax + TIME_SLACK)
            return true;
        if (t == KZ_TIME_NONE && r->tmin == KZ_TIME_NONE)
            return true;
        /* Same id, a time outside the range: another record (a log
         * cleared and refilled, an older archive). The range is left as
         * it is, so it keeps catching its own copies; the record goes to
         * the conflict set, which catches copies of it. */
        return conflict_seen(d, k, id, t);
    }
    /* Extend a neighbour when the id is adjacent. */
    if (i > 0 && k->ranges[i - 1].hi + 1 == id) {
        r = &k->ranges[i - 1];
        r->hi = id;
        widen(r, t);
        if (i < k->n && k->ranges[i].lo == id + 1) {
            /* Join the two ranges. */
            r->hi = k->ranges[i].hi;
            widen(r, k->ranges[i].tmin);
            widen(r, k->ranges[i].tmax);
            memmove(&k->ranges[i], &k->ranges[i + 1],
                    (k->n - i - 1) * sizeof(range));
            k->n--;
            d->nranges--;
        }
        return false;
    }
    if (i < k->n && k->ranges[i].lo == id + 1) {
        r = &k->ranges[i];
        r->lo = id;
        widen(r, t);
        return false;
    }
    if (d->nranges >= KZ_DEDUP_MAX_RANGES) {
        d->saturated = true;
        return false;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        range *p = realloc(k->ranges, cap * sizeof(range));

        if (p == NULL) {
            d->saturated = true;
            return false;
        }
        k->ranges = p;
        k->cap = cap;
    }
    memmove(&k->ranges[i + 1], &k->ranges[i], (k->n - i) * sizeof(range));
    r = &k->ranges[i];
    r->lo = r->hi = id;
    r->tmin = r->tmax = KZ_TIME_NONE;
    widen(r, t);
    k->n++;
    d->nranges++;
    return false;
}
