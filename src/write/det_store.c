/*
 * det_store.c - sorted runs on disk and a k-way merge (see det_store.h).
 *
 * Records are packed back to back, unaligned (they are read with
 * memcpy), into blocks; an array of pointers is what gets sorted. A spill
 * writes the sorted records back to back into an unlinked temporary file
 * (nothing is left behind, even after a crash) and fills the same blocks
 * again: blocks live as long as the store. Big blocks are mapped with
 * their pages populated (POPULATE_MIN). Reading a run back checks every
 * length against KZ_DET_MAX_RECORD before trusting it.
 */
#include "write/det_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/tmpfile.h"
#include "write/detection.h"

/* stdio buffer of a run file (up to KZ_DET_STORE_DEFAULT_RUNS + 1 at
 * once: a few MiB at most) */
#define RUN_BUF ((size_t)256 << 10)

/* Blocks at least this big are mapped with their pages populated at
 * once (one system call instead of a page fault per 4 KiB: they are
 * filled completely anyway); smaller ones come from malloc. */
#define POPULATE_MIN ((size_t)256 << 10)

/* One block of record memory. */
typedef struct rec_block {
    uint8_t *p;              /* its bytes */
    size_t size;             /* their count */
    bool mapped;             /* from mmap (munmap), else malloc */
} rec_block;

/* One input of a merge: a run file or the sorted records in memory. */
typedef struct merge_src {
    FILE *f;                 /* run, or NULL for memory */
    uint8_t *buf;            /* current record of a run */
    const uint8_t *cur;      /* current record, NULL when exhausted */
    size_t idx;              /* memory: next record index */
} merge_src;

typedef struct merger {
    merge_src *srcs;         /* inputs */
    size_t nsrcs;            /* count */
    size_t *heap;            /* indexes of inputs with a record */
    size_t nheap;            /* used */
    size_t pending;          /* input whose record was returned last */
} merger;

struct kz_det_store {
    kz_det_store_opts o;     /* options (defaults applied) */
    char tmp_dir[512];       /* directory of the runs */
    rec_block *blocks;       /* record memory, kept across spills */
    size_t nblocks, bcap;    /* used, allocated */
    size_t bcur;             /* block being filled */
    size_t bused;            /* bytes used in it */
    size_t used;             /* bytes used in all blocks (the tails left
                                at the end of a block included) */
    size_t block_size;       /* size of a new block */
    uint8_t **recs;          /* their addresses */
    size_t n, cap;           /* used, allocated */
    FILE **runs;             /* sorted runs (unlinked files) */
    char **rbufs;            /* their stdio buffers (RUN_BUF bytes, or
                                NULL: stdio's own) */
    size_t nruns;            /* count */
    bool finished;           /* kz_det_store_finish was called */
    merger m;                /* the final merge */
    kz_det_store_stats st;   /* figures */
};

/* The input path, the first string after the header (detection.h):
 * its 1- or 2-byte length, then its bytes; or, with
 * KZ_DET_PATH_BY_INDEX, the dictionary's path of the record's
 * file_index ("" if the dictionary lacks it). Records here were checked
 * by kz_det_store_add. */
static inline const uint8_t *
rec_path(const kz_det_dict *dict, const uint8_t *rec, uint32_t *len)
{
    const uint8_t *p = rec + KZ_DET_HEADER;
    uint32_t fi;

    if (rec[45] & KZ_DET_PATH_BY_INDEX) {
        memcpy(&fi, rec + 40, 4);
        if (dict == NULL || fi >= dict->npaths ||
            dict->paths[fi] == NULL) {
            *len = 0;
            return p;
        }
        *len = dict->path_lens[fi];
        return (const uint8_t *)dict->paths[fi];
    }
    if (p[0] < 0x80) {
        *len = p[0];
        return p + 1;
    }
    *len = (uint32_t)(p[0] & 0x7F) << 8 | p[1];
    return p + 2;
}

int
kz_det_compare_in(const kz_det_dict *dict, const uint8_t *a,
                  const uint8_t *b, const uint32_t *rank, size_t nrank)
{
    int64_t ta, tb;
    uint64_t pa, pb;
    uint32_t ua, ub, la, lb, ra, rb;
    const uint8_t *sa, *sb;
    int c;

    memcpy(&ta, a + 8, 8);
    memcpy(&tb, b + 8, 8);
    if (ta != tb)
        return ta < tb ? -1 : 1;
    memcpy(&ua, a + 36, 4);
    memcpy(&ub, b + 36, 4);
    if (ua != ub)
        return ua < ub ? -1 : 1;
    sa = rec_path(dict, a, &la);
    sb = rec_path(dict, b, &lb);
    c = memcmp(sa, sb, la < lb ? la : lb);
    if (c != 0)
        return c < 0 ? -1 : 1;
    if (la != lb)
        return la < lb ? -1 : 1;
    memcpy(&pa, a + 16, 8);
    memcpy(&pb, b + 16, 8);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    memcpy(&ua, a + 4, 4);
    memcpy(&ub, b + 4, 4);
    ra = rank != NULL && ua < nrank ? rank[ua] : ua;
    rb = rank != NULL && ub < nrank ? rank[ub] : ub;
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ua != ub)
        return ua < ub ? -1 : 1;
    return 0;
}

int
kz_det_compare(const uint8_t *a, const uint8_t *b, const uint32_t *rank,
               size_t nrank)
{
    return kz_det_compare_in(NULL, a, b, rank, nrank);
}

/* A record's sort key, taken out of it once per sort so that the
 * comparisons touch one small struct and call nothing. */
typedef struct sort_key {
    int64_t time;            /* time */
    uint32_t arg;            /* argument index */
    uint32_t path_len;       /* path length */
    uint64_t path8;          /* first 8 path bytes, big-endian, 0-padded */
    uint64_t pos;            /* record position */
    uint32_t rank;           /* rule rank */
    uint32_t rule;           /* rule index */
    uint8_t *rec;            /* the record */
    const uint8_t *path;     /* its path's bytes */
} sort_key;

static void
key_of(const kz_det_store *s, uint8_t *rec, sort_key *k)
{
    uint32_t i, n;

    memcpy(&k->time, rec + 8, 8);
    memcpy(&k->arg, rec + 36, 4);
    k->path = rec_path(s->o.dict, rec, &k->path_len);
    k->path8 = 0;
    n = k->path_len < 8 ? k->path_len : 8;
    for (i = 0; i < n; i++)
        k->path8 |= (uint64_t)k->path[i] << (56 - 8 * i);
    memcpy(&k->pos, rec + 16, 8);
    memcpy(&k->rule, rec + 4, 4);
    k->rank = s->o.rank != NULL && k->rule < s->o.nrank ? s->o.rank[k->rule]
                                                         : k->rule;
    k->rec = rec;
}

/* kz_det_compare on keys: a < b. */
static inline bool
key_less(const sort_key *a, const sort_key *b)
{
    uint32_t n;
    int c;

    if (a->time != b->time)
        return a->time < b->time;
    if (a->arg != b->arg)
        return a->arg < b->arg;
    if (a->path8 != b->path8)
        return a->path8 < b->path8;
    if (a->path_len > 8 || b->path_len > 8) {
        /* The first 8 bytes (or all of the shorter) are equal. */
        n = a->path_len < b->path_len ? a->path_len : b->path_len;
        if (n > 8) {
            c = memcmp(a->path + 8, b->path + 8, n - 8);
            if (c != 0)
                return c < 0;
        }
    }
    if (a->path_len != b->path_len)
        return a->path_len < b->path_len;
    if (a->pos != b->pos)
        return a->pos < b->pos;
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->rule < b->rule;
}

/* Sorts recs[0..n) in the store's order: a stable merge sort of their
 * keys (equal records keep their order, as qsort's merge sort did).
 * false on OOM. */
static bool
sort_recs(const kz_det_store *s, uint8_t **recs, size_t n)
{
    sort_key *a, *b, *src, *dst, *t;
    size_t i, w, lo, mid, hi, x, y, o;

    if (n < 2)
        return true;
    if (n > SIZE_MAX / (2 * sizeof(sort_key)) ||
        (a = malloc(2 * n * sizeof(sort_key))) == NULL)
        return false;
    b = a + n;
    for (i = 0; i < n; i++)
        key_of(s, recs[i], &a[i]);
    /* Runs of 8 by insertion, then bottom-up merges. */
    for (lo = 0; lo < n; lo += 8) {
        hi = lo + 8 < n ? lo + 8 : n;
        for (i = lo + 1; i < hi; i++) {
            sort_key k = a[i];

            for (x = i; x > lo && key_less(&k, &a[x - 1]); x--)
                a[x] = a[x - 1];
            a[x] = k;
        }
    }
    src = a;
    dst = b;
    for (w = 8; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            mid = lo + w < n ? lo + w : n;
            hi = lo + 2 * w < n ? lo + 2 * w : n;
            x = lo;
            y = mid;
            o = lo;
            while (x < mid && y < hi)
                dst[o++] = key_less(&src[y], &src[x]) ? src[y++] : src[x++];
            while (x < mid)
                dst[o++] = src[x++];
            while (y < hi)
                dst[o++] = src[y++];
        }
        t = src;
        src = dst;
        dst = t;
    }
    for (i = 0; i < n; i++)
        recs[i] = src[i].rec;
    free(a);
    return true;
}

kz_status
kz_det_store_new(const kz_det_store_opts *o, kz_det_store **out,
                 kz_error *err)
{
    kz_det_store *s;
    const char *dir;
    size_t block;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    if (o != NULL)
        s->o = *o;
    if (s->o.mem_bound == 0)
        s->o.mem_bound = KZ_DET_STORE_DEFAULT_BOUND;
    if (s->o.max_runs < 2)
        s->o.max_runs = KZ_DET_STORE_DEFAULT_RUNS;
    dir = s->o.tmp_dir;
    if (dir == NULL || *dir == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s", dir);
    s->o.tmp_dir = s->tmp_dir;
    block = s->o.mem_bound / 16;
    if (block > ((size_t)1 << 20))
        block = (size_t)1 << 20;
    if (block < 4096)
        block = 4096;
    s->block_size = block;
    s->m.pending = SIZE_MAX;
    *out = s;
    return KZ_OK;
}

/* Closes run f and frees its buffer buf (either may be NULL). */
static void
run_close(FILE *f, char *buf)
{
    if (f != NULL)
        fclose(f);
    free(buf);
}

static void
merger_fini(merger *m)
{
    size_t i;

    for (i = 0; i < m->nsrcs; i++)
        free(m->srcs[i].buf);
    free(m->srcs);
    free(m->heap);
    memset(m, 0, sizeof(*m));
    m->pending = SIZE_MAX;
}

void
kz_det_store_free(kz_det_store *s)
{
    size_t i;

    if (s == NULL)
        return;
    merger_fini(&s->m);
    for (i = 0; i < s->nruns; i++)
        run_close(s->runs[i], s->rbufs[i]);
    free(s->runs);
    free(s->rbufs);
    free(s->recs);
    for (i = 0; i < s->nblocks; i++) {
        if (s->blocks[i].mapped)
            munmap(s->blocks[i].p, s->blocks[i].size);
        else
            free(s->blocks[i].p);
    }
    free(s->blocks);
    free(s);
}

/* A new unlinked temporary file open for writing and reading, with a
 * RUN_BUF-byte stdio buffer in *buf (NULL if it could not be had: the
 * default buffer then), so that runs are written and read in big
 * blocks instead of 4 KiB ones. */
static kz_status
temp_file(kz_det_store *s, FILE **out, char **buf, kz_error *err)
{
    kz_status st;
    FILE *f;

    *buf = NULL;
    if ((st = kz_tmpfile(s->tmp_dir, "det", &f, err)) != KZ_OK)
        return st;
    if ((*buf = malloc(RUN_BUF)) != NULL &&
        setvbuf(f, *buf, _IOFBF, RUN_BUF) != 0) {
        free(*buf);
        *buf = NULL;
    }
    *out = f;
    return KZ_OK;
}

/* Reads the next record of a run into src->buf; cur NULL at the end. */
static kz_status
src_read(merge_src *src, kz_error *err)
{
    uint32_t len;
    size_t got;

    src->cur = NULL;
    got = fread(&len, 1, 4, src->f);
    if (got == 0 && feof(src->f))
        return KZ_OK;
    if (got != 4 || len < KZ_DET_HEADER || len > KZ_DET_MAX_RECORD)
        return kz_error_set(err, KZ_EFORMAT, "detection store: damaged "
                            "temporary run");
    if (src->buf == NULL && (src->buf = malloc(KZ_DET_MAX_RECORD)) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    memcpy(src->buf, &len, 4);
    if (fread(src->buf + 4, 1, len - 4, src->f) != len - 4)
        return kz_error_set(err, KZ_EIO, "detection store: short read of "
                            "a temporary run");
    src->cur = src->buf;
    return KZ_OK;
}

static kz_status
src_advance(kz_det_store *s, merge_src *src, kz_error *err)
{
    if (src->f != NULL)
        return src_read(src, err);
    src->cur = src->idx < s->n ? s->recs[src->idx++] : NULL;
    return KZ_OK;
}

static bool
heap_less(const kz_det_store *s, const merger *m, size_t i, size_t j)
{
    int c = kz_det_compare_in(s->o.dict, m->srcs[m->heap[i]].cur,
                              m->srcs[m->heap[j]].cur, s->o.rank,
                              s->o.nrank);

    /* Equal records (only if a run holds duplicates): keep source order
     * so the merge is deterministic. */
    return c < 0 || (c == 0 && m->heap[i] < m->heap[j]);
}

static void
sift_down(const kz_det_store *s, merger *m, size_t i)
{
    size_t l, r, min, t;

    for (;;) {
        l = 2 * i + 1;
        r = l + 1;
        min = i;
        if (l < m->nheap && heap_less(s, m, l, min))
            min = l;
        if (r < m->nheap && heap_less(s, m, r, min))
            min = r;
        if (min == i)
            return;
        t = m->heap[i];
        m->heap[i] = m->heap[min];
        m->heap[min] = t;
        i = min;
    }
}

/* Sets up a merge of runs[0..nruns) and, if with_mem, the sorted
 * records in memory. */
static kz_status
merger_init(kz_det_store *s, merger *m, FILE **runs, size_t nruns,
            bool with_mem, kz_error *err)
{
    size_t i, n = nruns + (with_mem ? 1 : 0);
    kz_status st;

    merger_fini(m);
    if ((m->srcs = calloc(n + 1, sizeof(*m->srcs))) == NULL ||
        (m->heap = calloc(n + 1, sizeof(*m->heap))) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    for (i = 0; i < nruns; i++) {
        m->srcs[i].f = runs[i];
        if (fflush(runs[i]) != 0 || fseek(runs[i], 0, SEEK_SET) != 0)
            return kz_error_set(err, KZ_EIO, "detection store: cannot "
                                "rewind a temporary run");
    }
    m->nsrcs = n;
    for (i = 0; i < n; i++) {
        if ((st = src_advance(s, &m->srcs[i], err)) != KZ_OK)
            return st;
        if (m->srcs[i].cur != NULL)
            m->heap[m->nheap++] = i;
    }
    for (i = m->nheap / 2; i-- > 0;)
        sift_down(s, m, i);
    m->pending = SIZE_MAX;
    return KZ_OK;
}

/* The next record of the merge, or NULL at the end. */
static kz_status
merger_next(kz_det_store *s, merger *m, const uint8_t **rec, kz_error *err)
{
    kz_status st;

    if (m->pending != SIZE_MAX) {
        if ((st = src_advance(s, &m->srcs[m->pending], err)) != KZ_OK)
            return st;
        if (m->srcs[m->pending].cur == NULL)
            m->heap[0] = m->heap[--m->nheap];
        if (m->nheap > 0)
            sift_down(s, m, 0);
        m->pending = SIZE_MAX;
    }
    if (m->nheap == 0) {
        *rec = NULL;
        return KZ_OK;
    }
    m->pending = m->heap[0];
    *rec = m->srcs[m->pending].cur;
    return KZ_OK;
}

static kz_status
write_rec(kz_det_store *s, FILE *f, const uint8_t *rec, kz_error *err)
{
    uint32_t len = kz_det_len(rec);

    if (fwrite(rec, 1, len, f) != len)
        return kz_error_set(err, KZ_EIO, "detection store: cannot write a "
                            "temporary run in %s (disk full?)", s->tmp_dir);
    s->st.spilled_bytes += len;
    return KZ_OK;
}

/* Merges every run into one. */
static kz_status
compact(kz_det_store *s, kz_error *err)
{
    merger m;
    FILE *f = NULL;
    char *buf = NULL;
    const uint8_t *rec;
    kz_status st;
    size_t i;

    memset(&m, 0, sizeof(m));
    m.pending = SIZE_MAX;
    if ((st = temp_file(s, &f, &buf, err)) != KZ_OK)
        goto out;
    if ((st = merger_init(s, &m, s->runs, s->nruns, false, err)) != KZ_OK)
        goto out;
    for (;;) {
        if ((st = merger_next(s, &m, &rec, err)) != KZ_OK)
            goto out;
        if (rec == NULL)
            break;
        if ((st = write_rec(s, f, rec, err)) != KZ_OK)
            goto out;
    }
    for (i = 0; i < s->nruns; i++)
        run_close(s->runs[i], s->rbufs[i]);
    s->runs[0] = f;
    s->rbufs[0] = buf;
    s->nruns = 1;
    f = NULL;
    buf = NULL;
    s->st.spills++;
out:
    merger_fini(&m);
    run_close(f, buf);
    return st;
}

/* Sorts the records in memory and writes them as a new run. */
static kz_status
spill(kz_det_store *s, kz_error *err)
{
    FILE *f = NULL, **runs;
    char *buf = NULL, **rbufs;
    kz_status st;
    size_t i;

    if (s->n == 0)
        return KZ_OK;
    if (s->nruns >= s->o.max_runs && (st = compact(s, err)) != KZ_OK)
        return st;
    if (!sort_recs(s, s->recs, s->n))
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    if ((st = temp_file(s, &f, &buf, err)) != KZ_OK)
        return st;
    for (i = 0; i < s->n; i++)
        if ((st = write_rec(s, f, s->recs[i], err)) != KZ_OK)
            goto out;
    if (fflush(f) != 0) {
        st = kz_error_set(err, KZ_EIO, "detection store: cannot write a "
                          "temporary run in %s (disk full?)", s->tmp_dir);
        goto out;
    }
    if ((runs = realloc(s->runs, (s->nruns + 1) * sizeof(*runs))) == NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "detection store");
        goto out;
    }
    s->runs = runs;
    if ((rbufs = realloc(s->rbufs, (s->nruns + 1) * sizeof(*rbufs))) ==
        NULL) {
        st = kz_error_set(err, KZ_ENOMEM, "detection store");
        goto out;
    }
    s->rbufs = rbufs;
    s->rbufs[s->nruns] = buf;
    s->runs[s->nruns++] = f;
    f = NULL;
    buf = NULL;
    s->st.spills++;
    s->n = 0;
    s->bcur = 0;
    s->bused = 0;
    s->used = 0;
out:
    run_close(f, buf);
    return st;
}

/* len bytes of record memory: the rest of the current block, else the
 * next block kept from before a spill, else a new one. NULL on OOM. */
static uint8_t *
rec_alloc(kz_det_store *s, size_t len)
{
    rec_block *b, *grown;
    size_t cap, size;

    while (s->bcur < s->nblocks) {
        b = &s->blocks[s->bcur];
        if (b->size - s->bused >= len) {
            s->bused += len;
            s->used += len;
            return b->p + s->bused - len;
        }
        /* The tail of this block stays unused until the next spill. */
        s->used += b->size - s->bused;
        s->bused = b->size;
        if (s->bcur + 1 == s->nblocks)
            break;
        s->bcur++;
        s->bused = 0;
    }
    if (s->nblocks == s->bcap) {
        cap = s->bcap == 0 ? 16 : 2 * s->bcap;
        if ((grown = realloc(s->blocks, cap * sizeof(*grown))) == NULL)
            return NULL;
        s->blocks = grown;
        s->bcap = cap;
    }
    size = len > s->block_size ? len : s->block_size;
    b = &s->blocks[s->nblocks];
    b->p = NULL;
    b->mapped = false;
#if defined(MAP_ANONYMOUS) && defined(MAP_POPULATE)
    if (size >= POPULATE_MIN) {
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

        if (m != MAP_FAILED) {
            b->p = m;
            b->mapped = true;
        }
    }
#endif
    if (b->p == NULL && (b->p = malloc(size)) == NULL)
        return NULL;
    b->size = size;
    s->bcur = s->nblocks++;
    s->bused = len;
    s->used += len;
    return b->p;
}

kz_status
kz_det_store_add(kz_det_store *s, const uint8_t *rec, size_t len,
                 kz_error *err)
{
    uint8_t *copy, **recs;
    uint32_t plen;
    size_t cap;

    if (s->finished)
        return kz_error_set(err, KZ_EUSAGE, "detection store: add after "
                            "finish");
    if (len < KZ_DET_HEADER + 2 || len > KZ_DET_MAX_RECORD ||
        kz_det_len(rec) != len)
        return kz_error_set(err, KZ_EFORMAT, "detection store: bad record "
                            "length %zu", len);
    if (!(rec[45] & KZ_DET_PATH_BY_INDEX)) {
        /* the sort key reads the path: it must be in the record */
        const uint8_t *p = rec_path(NULL, rec, &plen);

        if ((size_t)(p - rec) + plen > len)
            return kz_error_set(err, KZ_EFORMAT, "detection store: bad "
                                "record path");
    }
    if (s->n == s->cap) {
        cap = s->cap == 0 ? 256 : 2 * s->cap;
        if ((recs = realloc(s->recs, cap * sizeof(*recs))) == NULL)
            return kz_error_set(err, KZ_ENOMEM, "detection store");
        s->recs = recs;
        s->cap = cap;
    }
    if ((copy = rec_alloc(s, len)) == NULL)
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    memcpy(copy, rec, len);
    s->recs[s->n++] = copy;
    s->st.records++;
    s->st.bytes += len;
    if (s->used + s->n * sizeof(*s->recs) >= s->o.mem_bound)
        return spill(s, err);
    return KZ_OK;
}

kz_status
kz_det_store_finish(kz_det_store *s, kz_error *err)
{
    if (s->finished)
        return kz_error_set(err, KZ_EUSAGE, "detection store: finished "
                            "twice");
    s->finished = true;
    if (!sort_recs(s, s->recs, s->n))
        return kz_error_set(err, KZ_ENOMEM, "detection store");
    return merger_init(s, &s->m, s->runs, s->nruns, true, err);
}

kz_status
kz_det_store_next(kz_det_store *s, const uint8_t **rec, size_t *len,
                  kz_error *err)
{
    kz_status st;

    *rec = NULL;
    if (!s->finished)
        return kz_error_set(err, KZ_EUSAGE, "detection store: next before "
                            "finish");
    if ((st = merger_next(s, &s->m, rec, err)) != KZ_OK)
        return st;
    if (*rec != NULL && len != NULL)
        *len = kz_det_len(*rec);
    return KZ_OK;
}

void
kz_det_store_stats_get(const kz_det_store *s, kz_det_store_stats *st)
{
    *st = s->st;
}
