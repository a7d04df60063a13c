/*
 * bulk.c - kz_a_bulk_file_read (D8): more than bulk_read.files distinct
 * files (5145 ShareName + RelativeTargetName, 4663 ObjectName) read by
 * one (account, source address) within a sliding window of
 * bulk_read.window_minutes. The NEC intrusion: 27,445 files on one
 * server; OKI: a mass scan of the file server.
 *
 * Per key: the distinct files (listed up to bulk_read.keep_files, more
 * are counted as unlisted), each with its last time; a queue of reads in
 * time order gives the count inside the window exactly (a file leaves the
 * window when its last read does). A key that went over the threshold
 * makes one finding when its burst ends (no read for a window, or the end
 * of the run), with every file of the burst, and is kept for
 * kz_analytics_bulk_get; other keys are freed when idle.
 * The doc's 30-day p99 baseline is not computed (kz_a_not_evaluated).
 * Reference: docs/analytics.md (D8).
 */
#include "analytics/analytics_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/hash.h"

/* Reads queued per key (older reads are let go, counted as dropped). */
#define QUEUE_CAP ((size_t)1 << 20)

typedef struct qent {
    uint32_t idx;
    kz_time t;
} qent;

struct a_bulk {
    char *account, *source; /* as logged */
    char **files;           /* listed files */
    kz_time *last;          /* last read of each */
    size_t nfiles, cap;
    uint32_t *slots; /* open addressing: index + 1 */
    size_t nslots;
    uint64_t unlisted; /* reads of files past keep_files */
    qent *q;           /* ring of reads */
    size_t qhead, qlen, qcap;
    size_t in_window, max_in_window;
    kz_time first, lastt; /* burst bounds */
    uint64_t events;
    a_ref refs[KZ_A_MAX_REFS];
    size_t nrefs;
    bool fired;
    kz_finding_ref at; /* the read that went over */
    char *at_path, *at_computer, *at_channel;
    bool kept; /* moved to bulk_done */
};

static void
bulk_free(struct a_bulk *b)
{
    size_t i;

    for (i = 0; i < b->nfiles; i++)
        free(b->files[i]);
    free(b->files);
    free(b->last);
    free(b->slots);
    free(b->q);
    free(b->account);
    free(b->source);
    free(b->at_path);
    free(b->at_computer);
    free(b->at_channel);
    free(b);
}

void
a_bulk_value_free(void *v)
{
    struct a_bulk *b = v;

    if (b != NULL && !b->kept)
        bulk_free(b);
}

void
a_bulk_free_done(kz_analytics *a)
{
    size_t i;

    for (i = 0; i < a->nbulk_done; i++)
        bulk_free(a->bulk_done[i]);
    free(a->bulk_done);
    a->bulk_done = NULL;
    a->nbulk_done = a->bulk_done_cap = 0;
}

static char *
dup_str(kz_str s)
{
    char *p = malloc(s.len + 1);

    if (p != NULL) {
        if (s.len > 0)
            memcpy(p, s.p, s.len);
        p[s.len] = '\0';
    }
    return p;
}

/* Index of file name (len bytes) in b, adding it if room; -1 when not
 * listed (full), -2 on OOM. *added tells a new file. */
static long
file_index(struct a_bulk *b, const char *name, size_t len, size_t keep,
           bool *added)
{
    uint64_t h = kz_hash_fold(name, len);
    size_t i, mask;
    uint32_t k;

    *added = false;
    if (b->nslots > 0) {
        mask = b->nslots - 1;
        for (i = h & mask; (k = b->slots[i]) != 0; i = (i + 1) & mask)
            if (strlen(b->files[k - 1]) == len &&
                memcmp(b->files[k - 1], name, len) == 0)
                return (long)(k - 1);
    }
    if (b->nfiles >= keep)
        return -1;
    if (b->nfiles == b->cap) {
        size_t cap = b->cap == 0 ? 64 : 2 * b->cap;
        char **f = realloc(b->files, cap * sizeof(*f));
        kz_time *l;

        if (f == NULL)
            return -2;
        b->files = f;
        if ((l = realloc(b->last, cap * sizeof(*l))) == NULL)
            return -2;
        b->last = l;
        b->cap = cap;
    }
    if (2 * (b->nfiles + 1) > b->nslots) {
        size_t ns = b->nslots == 0 ? 128 : 2 * b->nslots, j;
        uint32_t *s = calloc(ns, sizeof(*s));

        if (s == NULL)
            return -2;
        for (j = 0; j < b->nfiles; j++) {
            uint64_t hj = kz_hash_fold(b->files[j], strlen(b->files[j]));

            for (i = hj & (ns - 1); s[i] != 0; i = (i + 1) & (ns - 1))
                ;
            s[i] = (uint32_t)(j + 1);
        }
        free(b->slots);
        b->slots = s;
        b->nslots = ns;
    }
    if ((b->files[b->nfiles] = dup_str((kz_str){name, len})) == NULL)
        return -2;
    mask = b->nslots - 1;
    for (i = h & mask; b->slots[i] != 0; i = (i + 1) & mask)
        ;
    b->slots[i] = (uint32_t)(b->nfiles + 1);
    b->last[b->nfiles] = KZ_TIME_NONE;
    *added = true;
    return (long)b->nfiles++;
}

/* Lets reads older than t - w leave the window. */
static void
expire(struct a_bulk *b, kz_time t, kz_time w)
{
    qent e;

    while (b->qlen > 0) {
        e = b->q[b->qhead];
        if (e.t >= t - w)
            break;
        b->qhead = (b->qhead + 1) % b->qcap;
        b->qlen--;
        if (b->last[e.idx] == e.t && b->in_window > 0)
            b->in_window--;
    }
}

static bool
push(struct a_bulk *b, uint32_t idx, kz_time t, uint64_t *dropped)
{
    if (b->qlen == b->qcap) {
        size_t cap = b->qcap == 0 ? 256 : 2 * b->qcap, i;
        qent *q;

        if (cap > QUEUE_CAP) {
            /* Let the oldest read go (the count may then run low). */
            (*dropped)++;
            b->qhead = (b->qhead + 1) % b->qcap;
            b->qlen--;
        } else {
            if ((q = malloc(cap * sizeof(*q))) == NULL)
                return false;
            for (i = 0; i < b->qlen; i++)
                q[i] = b->q[(b->qhead + i) % b->qcap];
            free(b->q);
            b->q = q;
            b->qhead = 0;
            b->qcap = cap;
        }
    }
    b->q[(b->qhead + b->qlen) % b->qcap] = (qent){idx, t};
    b->qlen++;
    return true;
}

/* The finding of a burst that went over the threshold. */
static kz_status
emit_burst(kz_analytics *a, struct a_bulk *b)
{
    kz_finding_ref at = b->at;
    kz_status st;
    size_t i, n;
    uint64_t total = b->nfiles + b->unlisted;

    at.path = b->at_path;
    at.computer = b->at_computer;
    at.channel = b->at_channel;
    a_begin(a);
    if ((st = a_pair(a, "Account", "%s", b->account)) != KZ_OK ||
        (st = a_pair(a, "Source", "%s", b->source)) != KZ_OK ||
        (st = a_pair(a, "Files", "%llu%s", (unsigned long long)total,
                     b->unlisted > 0 ? " (reads past the list bound "
                                       "counted as files)"
                                     : "")) != KZ_OK ||
        (st = a_pair(a, "MaxInWindow", "%zu", b->max_in_window)) != KZ_OK ||
        (st = a_pair(a, "Threshold", "%lld in %lld min",
                     (long long)a->cfg.v[KZ_AK_BULK_FILES],
                     (long long)a->cfg.v[KZ_AK_BULK_WINDOW])) != KZ_OK ||
        (st = a_pair_time(a, "WindowStart", b->first)) != KZ_OK ||
        (st = a_pair_time(a, "WindowEnd", b->lastt)) != KZ_OK)
        return st;
    a_end_details(a);
    n = b->nfiles < KZ_A_MAX_REFS ? b->nfiles : KZ_A_MAX_REFS;
    {
        char buf[1024];
        size_t off = 0;

        buf[0] = '\0';
        for (i = 0; i < n && off < sizeof(buf) - 1; i++)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
                                    i > 0 ? ", " : "", b->files[i]);
        if ((st = a_pair(a, "FileList", "%s%s", buf,
                         total > n ? ", ..." : "")) != KZ_OK)
            return st;
    }
    if ((st = a_pair_refs(a, b->refs, b->nrefs, b->events, &at)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_BULK, &at);
}

/* A burst ended: emit and keep a key that went over, free the others.
 * Returns true when the table may drop the entry. */
static kz_status
close_burst(kz_analytics *a, struct a_bulk *b)
{
    a_bulk **grown;
    size_t cap;
    kz_status st;

    if (!b->fired)
        return KZ_OK;
    if ((st = emit_burst(a, b)) != KZ_OK)
        return st;
    a->st.bulk_files_kept += b->nfiles;
    a->st.bulk_files_dropped += b->unlisted;
    if (a->nbulk_done == a->bulk_done_cap) {
        cap = a->bulk_done_cap == 0 ? 16 : 2 * a->bulk_done_cap;
        if ((grown = realloc(a->bulk_done, cap * sizeof(*grown))) == NULL)
            return KZ_ENOMEM;
        a->bulk_done = grown;
        a->bulk_done_cap = cap;
    }
    /* The queue is not needed any more. */
    free(b->q);
    b->q = NULL;
    b->qlen = b->qcap = b->qhead = 0;
    free(b->slots);
    b->slots = NULL;
    b->nslots = 0;
    b->kept = true;
    a->bulk_done[a->nbulk_done++] = b;
    return KZ_OK;
}

typedef struct sweep_ctx {
    kz_analytics *a;
    kz_status st;
    bool all;
} sweep_ctx;

static bool
idle(void *vctx, const char *key, void *value)
{
    sweep_ctx *c = vctx;
    struct a_bulk *b = value;

    (void)key;
    if (c->st != KZ_OK)
        return false;
    if (!c->all && c->a->now - b->lastt <= a_minutes(c->a, KZ_AK_BULK_WINDOW))
        return false;
    c->st = close_burst(c->a, b);
    return c->st == KZ_OK;
}

static kz_status
sweep(kz_analytics *a, bool all)
{
    sweep_ctx c = {a, KZ_OK, all};

    a_table_sweep(&a->bulk, idle, &c);
    return c.st;
}

kz_status
a_bulk_finish(kz_analytics *a)
{
    return sweep(a, true);
}

kz_status
a_bulk_fact(kz_analytics *a, const kz_fact *f)
{
    kz_time w = a_minutes(a, KZ_AK_BULK_WINDOW);
    kz_str user = f->v[KZ_FS_USER], src = f->v[KZ_FS_ADDR];
    kz_str share = f->v[KZ_FS_SHARE], file = f->v[KZ_FS_FILE];
    struct a_bulk *b;
    bool added;
    long idx;
    kz_status st;
    size_t klen;

    if (a->bulk_sweep == KZ_TIME_NONE || a->now - a->bulk_sweep > w) {
        if ((st = sweep(a, false)) != KZ_OK)
            return st;
        a->bulk_sweep = a->now;
    }
    if (f->kind != KZ_FACT_FILE || a_empty(&file) || a_empty(&user))
        return KZ_OK;
    if (a_iends(share, "IPC$"))
        return KZ_OK;
    if (!a_empty(&f->v[KZ_FS_LOGON_TYPE]) &&
        !a_ieq(f->v[KZ_FS_LOGON_TYPE], "File"))
        return KZ_OK; /* 4663 on a key, a process... */
    /* Key: account key '|' source. */
    kz_strbuf_reset(&a->k1);
    if ((st = kz_a_account_key(&a->k1, user.p, user.len)) != KZ_OK ||
        (st = kz_strbuf_addc(&a->k1, '|')) != KZ_OK ||
        (st = kz_strbuf_add(&a->k1, a_empty(&src) ? "-" : src.p,
                            a_empty(&src) ? 1 : src.len)) != KZ_OK)
        return st;
    klen = a->k1.len;
    if ((b = a_table_get(&a->bulk, a->k1.data, klen)) == NULL) {
        if ((b = calloc(1, sizeof(*b))) == NULL)
            return KZ_ENOMEM;
        if (!a_empty(&f->v[KZ_FS_DOMAIN]) && f->v[KZ_FS_DOMAIN].len < 256 &&
            user.len < 256) {
            char tmp[520];

            snprintf(tmp, sizeof(tmp), "%.*s\\%.*s",
                     (int)f->v[KZ_FS_DOMAIN].len, f->v[KZ_FS_DOMAIN].p,
                     (int)user.len, user.p);
            b->account = strdup(tmp);
        } else {
            b->account = dup_str(user);
        }
        b->source = dup_str(a_empty(&src) ? (kz_str){"-", 1} : src);
        b->first = f->ref.time;
        if (b->account == NULL || b->source == NULL) {
            bulk_free(b);
            return KZ_ENOMEM;
        }
        if (!a_table_put(&a->bulk, a->k1.data, klen, b)) {
            bulk_free(b);
            return KZ_OK;
        }
    }
    /* The file: "share\relative" for 5145, the object name for 4663. */
    kz_strbuf_reset(&a->k2);
    if (!a_empty(&share)) {
        kz_str s = a_basename(share);

        if ((st = kz_strbuf_add(&a->k2, s.p, s.len)) != KZ_OK ||
            (st = kz_strbuf_addc(&a->k2, '\\')) != KZ_OK)
            return st;
    }
    if ((st = kz_strbuf_add(&a->k2, file.p, file.len)) != KZ_OK)
        return st;
    expire(b, f->ref.time, w);
    b->events++;
    b->lastt = f->ref.time;
    if (b->nrefs < KZ_A_MAX_REFS)
        a_ref_of(a, f, &b->refs[b->nrefs++]);
    idx = file_index(b, a->k2.data, a->k2.len,
                     (size_t)a->cfg.v[KZ_AK_BULK_KEEP], &added);
    if (idx == -2)
        return KZ_ENOMEM;
    if (idx == -1) {
        b->unlisted++;
        return KZ_OK;
    }
    if (b->last[idx] == f->ref.time)
        return KZ_OK;
    if (b->last[idx] == KZ_TIME_NONE || b->last[idx] < f->ref.time - w)
        b->in_window++;
    b->last[idx] = f->ref.time;
    if (!push(b, (uint32_t)idx, f->ref.time, &a->st.dropped_items))
        return KZ_ENOMEM;
    if (b->in_window > b->max_in_window)
        b->max_in_window = b->in_window;
    if (!b->fired && b->in_window > (size_t)a->cfg.v[KZ_AK_BULK_FILES]) {
        b->fired = true;
        b->at = f->ref;
        b->at_path = f->ref.path ? strdup(f->ref.path) : NULL;
        b->at_computer = f->ref.computer ? strdup(f->ref.computer) : NULL;
        b->at_channel = f->ref.channel ? strdup(f->ref.channel) : NULL;
    }
    return KZ_OK;
}

size_t
kz_analytics_bulk_count(const kz_analytics *a)
{
    return a->nbulk_done;
}

bool
kz_analytics_bulk_get(const kz_analytics *a, size_t i, const char **account,
                      const char **source, uint64_t *total,
                      const char *const **files, size_t *nfiles)
{
    const struct a_bulk *b;

    if (i >= a->nbulk_done)
        return false;
    b = a->bulk_done[i];
    *account = b->account;
    *source = b->source;
    *total = b->nfiles + b->unlisted;
    *files = (const char *const *)b->files;
    *nfiles = b->nfiles;
    return true;
}
