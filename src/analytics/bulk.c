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

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"
#include "base/tmpfile.h"

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
    bool kept;    /* moved to bulk_done */
    bool spilled; /* files are in the spill file at spill_off */
    uint64_t spill_off;
    a_budget *bud; /* everything above is charged to it */
};

/* Frees a string charged to bud (NULL accepted). */
static void
str_free(a_budget *bud, char *p)
{
    if (p != NULL) {
        a_uncharge(bud, strlen(p) + 1);
        free(p);
    }
}

/* Frees the listed names and their arrays. */
static void
files_free(struct a_bulk *b)
{
    size_t i;

    if (b->files != NULL)
        for (i = 0; i < b->nfiles; i++)
            str_free(b->bud, b->files[i]);
    if (b->cap > 0) {
        a_uncharge(b->bud, b->cap * sizeof(*b->files));
        if (b->last != NULL)
            a_uncharge(b->bud, b->cap * sizeof(*b->last));
    }
    free(b->files);
    free(b->last);
    b->files = NULL;
    b->last = NULL;
    b->cap = 0;
}

/* Frees the index and the queue (not needed once a burst is closed). */
static void
index_free(struct a_bulk *b)
{
    if (b->nslots > 0)
        a_uncharge(b->bud, b->nslots * sizeof(*b->slots));
    if (b->qcap > 0)
        a_uncharge(b->bud, b->qcap * sizeof(*b->q));
    free(b->slots);
    free(b->q);
    b->slots = NULL;
    b->q = NULL;
    b->nslots = 0;
    b->qlen = b->qcap = b->qhead = 0;
}

static void
bulk_free(struct a_bulk *b)
{
    files_free(b);
    index_free(b);
    str_free(b->bud, b->account);
    str_free(b->bud, b->source);
    str_free(b->bud, b->at_path);
    str_free(b->bud, b->at_computer);
    str_free(b->bud, b->at_channel);
    a_uncharge(b->bud, sizeof(*b));
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
    if (a->bulk_done_cap > 0)
        a_uncharge(&a->bud, a->bulk_done_cap * sizeof(*a->bulk_done));
    free(a->bulk_done);
    a->bulk_done = NULL;
    a->nbulk_done = a->bulk_done_cap = 0;
    a->bulk_done_bytes = 0;
    if (a->spill != NULL) {
        if (a->spill->f != NULL)
            fclose(a->spill->f);
        free(a->spill->buf);
        free(a->spill->ptrs);
        free(a->spill);
        a->spill = NULL;
    }
}

/* A copy of s charged to bud (force: never refused); NULL when refused
 * or on OOM. */
static char *
dup_charged(a_budget *bud, kz_str s, bool force)
{
    char *p;

    if (force)
        a_charge_force(bud, s.len + 1);
    else if (!a_charge(bud, s.len + 1))
        return NULL;
    if ((p = malloc(s.len + 1)) == NULL) {
        a_uncharge(bud, s.len + 1);
        return NULL;
    }
    if (s.len > 0)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}

static char *
dup_cstr(a_budget *bud, const char *s)
{
    return s != NULL ? dup_charged(bud, (kz_str){s, strlen(s)}, true) : NULL;
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
    if (b->nfiles >= keep || b->nfiles >= UINT32_MAX - 1)
        return -1;
    if (b->nfiles == b->cap) {
        size_t cap = b->cap == 0 ? 8 : 2 * b->cap;
        char **f;
        kz_time *l;

        if (cap > keep)
            cap = keep;
        if (!a_charge(b->bud, cap * sizeof(*f)))
            return -1;
        if (!a_charge(b->bud, cap * sizeof(*l))) {
            a_uncharge(b->bud, cap * sizeof(*f));
            return -1;
        }
        if ((f = realloc(b->files, cap * sizeof(*f))) == NULL)
            return -2;
        b->files = f;
        if ((l = realloc(b->last, cap * sizeof(*l))) == NULL)
            return -2;
        b->last = l;
        if (b->cap > 0) {
            a_uncharge(b->bud, b->cap * sizeof(*f));
            a_uncharge(b->bud, b->cap * sizeof(*l));
        }
        b->cap = cap;
    }
    if (2 * (b->nfiles + 1) > b->nslots) {
        size_t ns = b->nslots == 0 ? 16 : 2 * b->nslots, j;
        uint32_t *s;

        if (!a_charge(b->bud, ns * sizeof(*s)))
            return -1;
        if ((s = calloc(ns, sizeof(*s))) == NULL) {
            a_uncharge(b->bud, ns * sizeof(*s));
            return -2;
        }
        for (j = 0; j < b->nfiles; j++) {
            uint64_t hj = kz_hash_fold(b->files[j], strlen(b->files[j]));

            for (i = hj & (ns - 1); s[i] != 0; i = (i + 1) & (ns - 1))
                ;
            s[i] = (uint32_t)(j + 1);
        }
        if (b->nslots > 0)
            a_uncharge(b->bud, b->nslots * sizeof(*s));
        free(b->slots);
        b->slots = s;
        b->nslots = ns;
    }
    if ((b->files[b->nfiles] =
             dup_charged(b->bud, (kz_str){name, len}, false)) == NULL)
        return -1; /* refused (or OOM): counted, not listed */
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

/* Forgets the listed files whose last read is before t - w (none of
 * them is queued any more: expire ran), renumbering the queue. */
static void
compact(struct a_bulk *b, kz_time t, kz_time w)
{
    size_t i, j, k, mask = b->nslots - 1;
    uint32_t *map = b->slots; /* reused: old index -> new index + 1 */
    uint64_t h;

    if (b->nslots == 0)
        return;
    memset(map, 0, b->nslots * sizeof(*map));
    for (i = j = 0; i < b->nfiles; i++) {
        if (b->last[i] == KZ_TIME_NONE || b->last[i] < t - w) {
            str_free(b->bud, b->files[i]);
            continue;
        }
        b->files[j] = b->files[i];
        b->last[j] = b->last[i];
        map[i] = (uint32_t)(j + 1);
        j++;
    }
    for (k = 0; k < b->qlen; k++) {
        qent *e = &b->q[(b->qhead + k) % b->qcap];

        e->idx = map[e->idx] > 0 ? map[e->idx] - 1 : 0;
    }
    b->nfiles = j;
    /* The burst to come starts with the oldest read still in the window. */
    for (j = 0; j < b->nfiles; j++)
        if (j == 0 || b->last[j] < b->first)
            b->first = b->last[j];
    memset(b->slots, 0, b->nslots * sizeof(*b->slots));
    for (j = 0; j < b->nfiles; j++) {
        h = kz_hash_fold(b->files[j], strlen(b->files[j]));
        for (i = h & mask; b->slots[i] != 0; i = (i + 1) & mask)
            ;
        b->slots[i] = (uint32_t)(j + 1);
    }
}

/* Lets the oldest queued read go: its file leaves the window now if it
 * was the file's last read (the count may then run low, never high). */
static void
drop_oldest(struct a_bulk *b, uint64_t *dropped)
{
    qent e = b->q[b->qhead];

    (*dropped)++;
    b->qhead = (b->qhead + 1) % b->qcap;
    b->qlen--;
    if (b->last[e.idx] == e.t) {
        b->last[e.idx] = KZ_TIME_NONE;
        if (b->in_window > 0)
            b->in_window--;
    }
}

static bool
push(struct a_bulk *b, uint32_t idx, kz_time t, uint64_t *dropped)
{
    if (b->qlen == b->qcap) {
        size_t cap = b->qcap == 0 ? 16 : 2 * b->qcap, i;
        qent *q;

        if (cap > QUEUE_CAP || !a_charge(b->bud, cap * sizeof(*q))) {
            if (b->qcap == 0) {
                /* No queue at all: the read is not counted. */
                (*dropped)++;
                if (b->last[idx] == t) {
                    b->last[idx] = KZ_TIME_NONE;
                    if (b->in_window > 0)
                        b->in_window--;
                }
                return true;
            }
            drop_oldest(b, dropped);
        } else {
            if ((q = malloc(cap * sizeof(*q))) == NULL) {
                a_uncharge(b->bud, cap * sizeof(*q));
                return false;
            }
            for (i = 0; i < b->qlen; i++)
                q[i] = b->q[(b->qhead + i) % b->qcap];
            if (b->qcap > 0)
                a_uncharge(b->bud, b->qcap * sizeof(*q));
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

/* The spill file of a, created on first use in $TMPDIR (else /tmp),
 * unlinked at once; NULL when it cannot be (then lists stay capped). */
static FILE *
spill_file(kz_analytics *a)
{
    const char *dir = NULL; /* $TMPDIR, or /tmp */

    if (a->spill == NULL && (a->spill = calloc(1, sizeof(*a->spill))) == NULL)
        return NULL;
    if (a->spill->f != NULL || a->spill->failed)
        return a->spill->f;
    if (kz_tmpfile(dir, "analytics", &a->spill->f, NULL) != KZ_OK)
        a->spill->failed = true;
    return a->spill->f;
}

/* Writes b's listed files to the spill file and frees them from memory.
 * false when the file cannot be written (the list stays in memory). */
static bool
spill_list(kz_analytics *a, struct a_bulk *b)
{
    FILE *f = spill_file(a);
    uint32_t len;
    size_t i;

    if (f == NULL || fseeko(f, (off_t)a->spill->end, SEEK_SET) != 0)
        return false;
    for (i = 0; i < b->nfiles; i++) {
        len = (uint32_t)strlen(b->files[i]);
        if (fwrite(&len, sizeof(len), 1, f) != 1 ||
            fwrite(b->files[i], 1, len, f) != len) {
            a->spill->failed = true;
            return false;
        }
    }
    b->spill_off = a->spill->end;
    a->spill->end = (uint64_t)ftello(f);
    b->spilled = true;
    a->st.bulk_files_spilled += b->nfiles;
    files_free(b);
    return true;
}

/* Bytes b's listed files hold in memory. */
static uint64_t
list_bytes(const struct a_bulk *b)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; b->files != NULL && i < b->nfiles; i++)
        n += a_cost(strlen(b->files[i]) + 1);
    return n + (b->cap > 0 ? a_cost(b->cap * sizeof(*b->files)) : 0);
}

/* A burst ended: emit and keep a key that went over, free the others.
 * A kept list stays in memory while the kept lists fit in a quarter of
 * tables.max_bytes, and goes to the spill file past it. */
static kz_status
close_burst(kz_analytics *a, struct a_bulk *b)
{
    a_bulk **grown;
    size_t cap;
    uint64_t lb;
    kz_status st;

    if (!b->fired)
        return KZ_OK;
    if ((st = emit_burst(a, b)) != KZ_OK)
        return st;
    /* The index, the queue and the read times are not needed any more. */
    index_free(b);
    if (b->last != NULL) {
        a_uncharge(b->bud, b->cap * sizeof(*b->last));
        free(b->last);
        b->last = NULL;
    }
    if (a->nbulk_done == a->bulk_done_cap) {
        cap = a->bulk_done_cap == 0 ? 16 : 2 * a->bulk_done_cap;
        if (!a_charge(&a->bud, cap * sizeof(*grown))) {
            /* Not kept for listing (the finding is out). */
            a->st.bulk_files_dropped += b->nfiles + b->unlisted;
            return KZ_OK;
        }
        if ((grown = realloc(a->bulk_done, cap * sizeof(*grown))) == NULL) {
            a_uncharge(&a->bud, cap * sizeof(*grown));
            return KZ_ENOMEM;
        }
        if (a->bulk_done_cap > 0)
            a_uncharge(&a->bud, a->bulk_done_cap * sizeof(*grown));
        a->bulk_done = grown;
        a->bulk_done_cap = cap;
    }
    lb = list_bytes(b);
    if (a->bulk_done_bytes + lb > a->bud.max / 4 && !spill_list(a, b)) {
        /* No spill file: keep it in memory while the budget allows. */
        if (a->bulk_done_bytes + lb > a->bud.max / 2) {
            b->unlisted += b->nfiles;
            files_free(b);
            b->nfiles = 0;
        }
    }
    if (!b->spilled)
        a->bulk_done_bytes += list_bytes(b);
    a->st.bulk_files_kept += b->nfiles;
    a->st.bulk_files_dropped += b->unlisted;
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
        char tmp[520];
        kz_str acc = user;

        if (!a_charge(&a->bud, sizeof(*b))) {
            a->st.dropped_keys++;
            return KZ_OK;
        }
        if ((b = calloc(1, sizeof(*b))) == NULL) {
            a_uncharge(&a->bud, sizeof(*b));
            return KZ_ENOMEM;
        }
        b->bud = &a->bud;
        if (!a_empty(&f->v[KZ_FS_DOMAIN]) && f->v[KZ_FS_DOMAIN].len < 256 &&
            user.len < 256) {
            snprintf(tmp, sizeof(tmp), "%.*s\\%.*s",
                     (int)f->v[KZ_FS_DOMAIN].len, f->v[KZ_FS_DOMAIN].p,
                     (int)user.len, user.p);
            acc = (kz_str){tmp, strlen(tmp)};
        }
        b->account = dup_charged(b->bud, acc, false);
        b->source =
            dup_charged(b->bud, a_empty(&src) ? (kz_str){"-", 1} : src, false);
        b->first = f->ref.time;
        if (b->account == NULL || b->source == NULL) {
            bulk_free(b);
            a->st.dropped_keys++; /* refused by tables.max_bytes */
            return KZ_OK;
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
    /* A name is a C string from here on: cut at an embedded NUL, so one
     * hostile name is one file, not a new one at every read. */
    a->k2.len = strnlen(a->k2.data, a->k2.len);
    expire(b, f->ref.time, w);
    b->events++;
    b->lastt = f->ref.time;
    if (b->nrefs < KZ_A_MAX_REFS)
        a_ref_of(a, f, &b->refs[b->nrefs++]);
    idx = file_index(b, a->k2.data, a->k2.len,
                     (size_t)a->cfg.v[KZ_AK_BULK_KEEP], &added);
    if (idx == -1 && !b->fired && 4 * (b->nfiles - b->in_window) >= b->nfiles &&
        b->nfiles > b->in_window) {
        /* No burst yet: forget the files out of the window and retry, so
         * a slow reader's old files do not hide a later burst. */
        compact(b, f->ref.time, w);
        idx = file_index(b, a->k2.data, a->k2.len,
                         (size_t)a->cfg.v[KZ_AK_BULK_KEEP], &added);
    }
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
        b->at_path = dup_cstr(b->bud, f->ref.path);
        b->at_computer = dup_cstr(b->bud, f->ref.computer);
        b->at_channel = dup_cstr(b->bud, f->ref.channel);
    }
    return KZ_OK;
}

/* Reads b's spilled list into sp's buffers; *files points at them. */
static bool
read_back(a_bulk_spill *sp, const struct a_bulk *b, const char *const **files)
{
    uint32_t len;
    size_t i, used = 0;
    char *nb, *p;

    if (sp == NULL || sp->f == NULL || fflush(sp->f) != 0 ||
        fseeko(sp->f, (off_t)b->spill_off, SEEK_SET) != 0)
        return false;
    if (sp->ptrcap < b->nfiles + 1) {
        char **np = realloc(sp->ptrs, (b->nfiles + 1) * sizeof(*np));

        if (np == NULL)
            return false;
        sp->ptrs = np;
        sp->ptrcap = b->nfiles + 1;
    }
    /* Names first (the buffer may move), pointers at the end: names
     * hold no NUL (a_bulk_fact cuts them at the first). */
    for (i = 0; i < b->nfiles; i++) {
        if (fread(&len, sizeof(len), 1, sp->f) != 1 || len > (1u << 24))
            return false;
        if (used + len + 1 > sp->bufcap) {
            size_t cap = 2 * (used + len + 1);

            if ((nb = realloc(sp->buf, cap)) == NULL)
                return false;
            sp->buf = nb;
            sp->bufcap = cap;
        }
        if (fread(sp->buf + used, 1, len, sp->f) != len)
            return false;
        sp->buf[used + len] = '\0';
        used += len + 1;
    }
    for (i = 0, p = sp->buf; i < b->nfiles; i++, p += strlen(p) + 1)
        sp->ptrs[i] = p;
    *files = (const char *const *)sp->ptrs;
    return true;
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
    if (b->spilled && !read_back(a->spill, b, files)) {
        *files = NULL;
        *nfiles = 0;
        return false;
    }
    return true;
}
