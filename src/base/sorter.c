/*
 * sorter.c - external sort of (key, value) records (sorter.h): records in
 * one growing buffer, a stable merge sort of their offsets, sorted runs
 * in unlinked temporary files, a k-way merge over a binary heap.
 */
#include "base/sorter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/tmpfile.h"

#define HDR 8 /* klen, vlen */

/* A source of sorted records: a run file, or the sorted memory. */
typedef struct src {
    FILE *f;          /* run, or NULL: memory */
    uint8_t *rec;     /* run: the current record (header + bytes) */
    size_t cap;       /* bytes of rec */
    size_t pos;       /* memory: next index into the sorted offsets */
    const uint8_t *cur; /* the current record, NULL at the end */
} src;

struct kz_sorter {
    kz_sorter_opts o;
    char dir[512];       /* tmp_dir */
    uint8_t *buf;        /* records in memory */
    size_t len, cap;
    size_t *off;         /* their offsets */
    size_t n, ncap;
    FILE **runs;         /* sorted runs, oldest first */
    size_t nruns, cap_runs;
    bool finished;
    src *srcs;           /* reading: runs then memory */
    size_t nsrc;
    size_t *heap;        /* source indices */
    size_t nheap;
    bool started;        /* the first next() done */
    kz_sorter_stats st;
};

static uint32_t
rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* a < b in key order (equal keys: false). */
static int
cmp_rec(const uint8_t *a, const uint8_t *b)
{
    uint32_t ka = rd32(a), kb = rd32(b);
    int c = memcmp(a + HDR, b + HDR, ka < kb ? ka : kb);

    if (c != 0)
        return c;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
}

static size_t
rec_size(const uint8_t *r)
{
    return HDR + (size_t)rd32(r) + (size_t)rd32(r + 4);
}

kz_status
kz_sorter_new(const kz_sorter_opts *o, kz_sorter **out, kz_error *err)
{
    kz_sorter *s;
    const char *dir;

    (void)err;
    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return KZ_ENOMEM;
    if (o != NULL)
        s->o = *o;
    if (s->o.mem_bound == 0)
        s->o.mem_bound = KZ_SORTER_DEFAULT_BOUND;
    if (s->o.max_runs < 2)
        s->o.max_runs = KZ_SORTER_DEFAULT_RUNS;
    dir = kz_tmp_dir(s->o.tmp_dir);
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    *out = s;
    return KZ_OK;
}

void
kz_sorter_free(kz_sorter *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nruns; i++)
        if (s->runs[i] != NULL)
            fclose(s->runs[i]);
    for (i = 0; i < s->nsrc; i++)
        free(s->srcs[i].rec);
    free(s->runs);
    free(s->srcs);
    free(s->heap);
    free(s->buf);
    free(s->off);
    free(s);
}

/* Stable merge sort of the offsets by their records' keys. */
static kz_status
sort_mem(kz_sorter *s)
{
    size_t *a = s->off, *b, *t, w, i;

    if (s->n < 2)
        return KZ_OK;
    if ((b = malloc(s->n * sizeof(*b))) == NULL)
        return KZ_ENOMEM;
    for (w = 1; w < s->n; w *= 2) {
        for (i = 0; i < s->n; i += 2 * w) {
            size_t lo = i, mid = i + w < s->n ? i + w : s->n,
                   hi = i + 2 * w < s->n ? i + 2 * w : s->n;
            size_t x = lo, y = mid, o = lo;

            while (x < mid && y < hi)
                b[o++] = cmp_rec(s->buf + a[y], s->buf + a[x]) < 0 ? a[y++]
                                                                   : a[x++];
            while (x < mid)
                b[o++] = a[x++];
            while (y < hi)
                b[o++] = a[y++];
        }
        t = a;
        a = b;
        b = t;
    }
    if (a != s->off) {
        memcpy(s->off, a, s->n * sizeof(*a));
        free(a);
    } else
        free(b);
    return KZ_OK;
}

static kz_status
new_run(kz_sorter *s, FILE **out, kz_error *err)
{
    return kz_tmpfile(s->dir, "sort", out, err);
}

static kz_status
write_fail(kz_sorter *s, kz_error *err)
{
    return kz_error_set(err, KZ_EIO,
                        "cannot write a temporary run in %s (disk full?)",
                        s->dir);
}

/* Reads the next record of a run source into its buffer. */
static kz_status
src_next(kz_sorter *s, src *x, kz_error *err)
{
    uint8_t h[HDR];
    size_t need, got;

    if (x->f == NULL) {
        x->cur = x->pos < s->n ? s->buf + s->off[x->pos++] : NULL;
        return KZ_OK;
    }
    if ((got = fread(h, 1, HDR, x->f)) == 0) {
        x->cur = NULL;
        return KZ_OK;
    }
    if (got != HDR || rd32(h) > KZ_SORTER_MAX_KEY ||
        rd32(h + 4) > KZ_SORTER_MAX_VALUE)
        goto bad;
    need = rec_size(h);
    if (need > x->cap) {
        uint8_t *p = realloc(x->rec, need);

        if (p == NULL)
            return KZ_ENOMEM;
        x->rec = p;
        x->cap = need;
    }
    memcpy(x->rec, h, HDR);
    if (fread(x->rec + HDR, 1, need - HDR, x->f) != need - HDR)
        goto bad;
    x->cur = x->rec;
    return KZ_OK;
bad:
    return kz_error_set(err, KZ_EIO,
                        "a temporary run in %s could not be read back",
                        s->dir);
}

/* Heap order: key, then source index (older sources first: stable). */
static bool
heap_less(const kz_sorter *s, size_t a, size_t b)
{
    int c = cmp_rec(s->srcs[a].cur, s->srcs[b].cur);

    return c < 0 || (c == 0 && a < b);
}

static void
sift_down(kz_sorter *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i, t;

        if (l < s->nheap && heap_less(s, s->heap[l], s->heap[m]))
            m = l;
        if (r < s->nheap && heap_less(s, s->heap[r], s->heap[m]))
            m = r;
        if (m == i)
            return;
        t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

static void
free_srcs(kz_sorter *s)
{
    size_t i;

    for (i = 0; i < s->nsrc; i++)
        free(s->srcs[i].rec);
    free(s->srcs);
    free(s->heap);
    s->srcs = NULL;
    s->heap = NULL;
    s->nsrc = s->nheap = 0;
}

/* Sets up the merge of the runs (and the memory when with_mem). */
static kz_status
start_merge(kz_sorter *s, bool with_mem, kz_error *err)
{
    size_t i, n = s->nruns + (with_mem ? 1 : 0);
    kz_status st;

    if ((s->srcs = calloc(n > 0 ? n : 1, sizeof(*s->srcs))) == NULL ||
        (s->heap = calloc(n > 0 ? n : 1, sizeof(*s->heap))) == NULL)
        return KZ_ENOMEM;
    s->nsrc = n;
    for (i = 0; i < s->nruns; i++) {
        s->srcs[i].f = s->runs[i];
        if (fflush(s->runs[i]) != 0 || fseek(s->runs[i], 0, SEEK_SET) != 0)
            return write_fail(s, err);
    }
    for (i = 0; i < n; i++) {
        if ((st = src_next(s, &s->srcs[i], err)) != KZ_OK)
            return st;
        if (s->srcs[i].cur != NULL)
            s->heap[s->nheap++] = i;
    }
    for (i = s->nheap / 2; i-- > 0;)
        sift_down(s, i);
    return KZ_OK;
}

/* The smallest record of the merge, or NULL; advances past it on the
 * next call (advance). */
static kz_status
merge_pop(kz_sorter *s, bool advance, const uint8_t **rec, kz_error *err)
{
    kz_status st;

    if (advance && s->nheap > 0) {
        src *x = &s->srcs[s->heap[0]];

        if ((st = src_next(s, x, err)) != KZ_OK)
            return st;
        if (x->cur == NULL)
            s->heap[0] = s->heap[--s->nheap];
        sift_down(s, 0);
    }
    *rec = s->nheap > 0 ? s->srcs[s->heap[0]].cur : NULL;
    return KZ_OK;
}

/* Merges every run into one (the memory stays). */
static kz_status
merge_runs(kz_sorter *s, kz_error *err)
{
    FILE *out = NULL;
    const uint8_t *r;
    kz_status st;
    size_t i;
    bool adv = false;

    if ((st = new_run(s, &out, err)) != KZ_OK)
        return st;
    if ((st = start_merge(s, false, err)) != KZ_OK)
        goto out;
    for (;;) {
        if ((st = merge_pop(s, adv, &r, err)) != KZ_OK)
            goto out;
        if (r == NULL)
            break;
        adv = true;
        if (fwrite(r, 1, rec_size(r), out) != rec_size(r)) {
            st = write_fail(s, err);
            goto out;
        }
        s->st.spilled_bytes += rec_size(r);
    }
    free_srcs(s);
    for (i = 0; i < s->nruns; i++)
        fclose(s->runs[i]);
    s->runs[0] = out;
    s->nruns = 1;
    s->st.spills++;
    return KZ_OK;
out:
    free_srcs(s);
    fclose(out);
    return st;
}

/* Writes the records in memory as one sorted run. */
static kz_status
spill(kz_sorter *s, kz_error *err)
{
    FILE *f = NULL;
    kz_status st;
    size_t i;

    if (s->n == 0)
        return KZ_OK;
    if (s->nruns + 1 >= s->o.max_runs && (st = merge_runs(s, err)) != KZ_OK)
        return st;
    if ((st = sort_mem(s)) != KZ_OK ||
        (st = kz_grow(&s->runs, &s->cap_runs, s->nruns + 1, sizeof(FILE *),
                      4)) != KZ_OK ||
        (st = new_run(s, &f, err)) != KZ_OK)
        return st;
    for (i = 0; i < s->n; i++) {
        const uint8_t *r = s->buf + s->off[i];

        if (fwrite(r, 1, rec_size(r), f) != rec_size(r)) {
            fclose(f);
            return write_fail(s, err);
        }
        s->st.spilled_bytes += rec_size(r);
    }
    s->runs[s->nruns++] = f;
    s->st.spills++;
    s->n = 0;
    s->len = 0;
    return KZ_OK;
}

kz_status
kz_sorter_add(kz_sorter *s, const void *key, size_t klen, const void *val,
              size_t vlen, kz_error *err)
{
    uint32_t h[2];
    size_t need = HDR + klen + vlen;
    kz_status st;

    if (s->finished || klen > KZ_SORTER_MAX_KEY || vlen > KZ_SORTER_MAX_VALUE)
        return kz_error_set(err, KZ_EUSAGE,
                            s->finished ? "sorter: add after finish"
                                        : "sorter: record too large");
    if (s->n > 0 &&
        s->len + need + (s->n + 1) * sizeof(size_t) * 2 > s->o.mem_bound &&
        (st = spill(s, err)) != KZ_OK)
        return st;
    if ((st = kz_grow(&s->buf, &s->cap, s->len + need, 1, 4096)) != KZ_OK ||
        (st = kz_grow(&s->off, &s->ncap, s->n + 1, sizeof(size_t), 256)) !=
            KZ_OK)
        return st;
    h[0] = (uint32_t)klen;
    h[1] = (uint32_t)vlen;
    memcpy(s->buf + s->len, h, HDR);
    if (klen > 0)
        memcpy(s->buf + s->len + HDR, key, klen);
    if (vlen > 0)
        memcpy(s->buf + s->len + HDR + klen, val, vlen);
    s->off[s->n++] = s->len;
    s->len += need;
    s->st.records++;
    return KZ_OK;
}

kz_status
kz_sorter_finish(kz_sorter *s, kz_error *err)
{
    kz_status st;

    if (s->finished)
        return kz_error_set(err, KZ_EUSAGE,
                            "sorter: finished twice");
    s->finished = true;
    if ((st = sort_mem(s)) != KZ_OK)
        return st;
    return start_merge(s, true, err);
}

kz_status
kz_sorter_next(kz_sorter *s, const uint8_t **key, size_t *klen,
               const uint8_t **val, size_t *vlen, kz_error *err)
{
    const uint8_t *r;
    kz_status st;

    *key = NULL;
    *klen = *vlen = 0;
    *val = NULL;
    if (!s->finished)
        return kz_error_set(err, KZ_EUSAGE,
                            "sorter: next before finish");
    if ((st = merge_pop(s, s->started, &r, err)) != KZ_OK)
        return st;
    s->started = true;
    if (r == NULL)
        return KZ_OK;
    *klen = rd32(r);
    *vlen = rd32(r + 4);
    *key = r + HDR;
    *val = r + HDR + *klen;
    return KZ_OK;
}

void
kz_sorter_stats_get(const kz_sorter *s, kz_sorter_stats *st)
{
    *st = s->st;
}
