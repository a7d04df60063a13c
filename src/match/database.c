/*
 * database.c - one Vectorscan database per field slot: expressions from
 * the MP_HS predicates (identical ones merged into one pattern), compiled
 * on a few threads, refused expressions moved to PCRE2, and an optional
 * on-disk cache of the serialized databases keyed by a hash of every
 * expression. Caseless ASCII literals (contains, startswith, endswith,
 * exact) go to a second, literal database per slot, anchors checked at
 * match time; exact ones to a hash table instead; the literal database
 * also holds a required literal of each rule regex on the field
 * (prefilter). See docs/internals/match.md.
 */
#include "match/match_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hash.h"

#define MAX_THREADS 8
#define CACHE_MAGIC "KZHSDB5"
#define MAX_LIT ((uint32_t)1 << 28) /* longer literals stay regexes */
#define PRE_MIN 3                   /* shortest prefilter literal */
#define EXACT (MT_LIT_START | MT_LIT_END)

/* One predicate's expression. */
typedef struct pexpr {
    const char *text;          /* NUL-terminated, in the job's buffer */
    uint32_t pred;             /* predicate */
    bool cased;                /* KZ_SVF_CASED */
    bool lit;                  /* literal database (caseless ASCII) */
    uint8_t anc;               /* lit: MT_LIT_START | MT_LIT_END */
    size_t loff;               /* lit: bytes in the job's lits buffer */
    uint32_t llen;
} pexpr;

/* The database of one slot. */
typedef struct job {
    uint32_t slot;
    pexpr *pe;                 /* sorted by (text, cased, pred) */
    size_t n;
    size_t *first;             /* unique expression j = pe[first[j] ..
                                  first[j+1]) */
    size_t m;                  /* unique expressions */
    uint8_t *dropped;          /* per unique expression: moved to PCRE2 */
    uint32_t base;             /* pattern id of expression 0 */
    kz_strbuf all;             /* expression texts */
    kz_strbuf lits;            /* literal bytes of lit expressions */
    const uint32_t *rx;        /* MP_PCRE rule regexes of the slot */
    size_t nrx;
    uint32_t *pre_pred;        /* prefilter q: its regex predicate, */
    size_t *pre_off;           /* literal in lits, pattern id base+m+q */
    uint32_t *pre_len;
    size_t npre;               /* (ids reserved even when nopre) */
    bool nopre;                /* prefilters refused: none used */
    hs_database_t *db;         /* result: regex database */
    hs_database_t *ldb;        /* result: literal database (exact
                                  literals excluded, prefilters included) */
    long refused;              /* unique index refused, or -1 */
    char why[160];             /* compile error text when not refused */
} job;

static int
pexpr_cmp(const void *a, const void *b)
{
    const pexpr *x = a, *y = b;
    int r = strcmp(x->text, y->text);

    if (r != 0)
        return r;
    if (x->cased != y->cased)
        return x->cased ? 1 : -1;
    return x->pred < y->pred ? -1 : x->pred > y->pred;
}

/* If glob p is caseless and, between its leading and trailing `*`, only
 * ASCII literal text, appends that text to lits, sets *anc and returns
 * true. Vectorscan's caseless UTF-8 regexes also match U+017F for `s` and
 * U+212A for `k` (tested: no other ASCII character has a non-ASCII case
 * partner); the matcher folds those two before scanning the literal
 * database (eval.c), so results are the same. */
static bool
lit_form(const kz_sg_value *v, kz_strbuf *lits, uint8_t *anc, kz_status *st)
{
    const kz_sg_pattern *p = &v->pat;
    size_t i, k, lo = 0, hi = p->ntoks, len = 0;

    if (v->flags & KZ_SVF_CASED)
        return false;
    while (lo < hi && (p->toks[lo].kind == KZ_TOK_STAR ||
                       (p->toks[lo].kind == KZ_TOK_LIT &&
                        p->toks[lo].len == 0)))
        lo++;
    while (hi > lo && (p->toks[hi - 1].kind == KZ_TOK_STAR ||
                       (p->toks[hi - 1].kind == KZ_TOK_LIT &&
                        p->toks[hi - 1].len == 0)))
        hi--;
    for (i = lo; i < hi; i++) {
        const kz_sg_tok *t = &p->toks[i];

        if (t->kind != KZ_TOK_LIT || (size_t)t->off + t->len > p->text_len)
            return false;
        for (k = 0; k < t->len; k++)
            if ((unsigned char)p->text[t->off + k] >= 0x80)
                return false;
        len += t->len;
    }
    if (len == 0 || len >= MAX_LIT)
        return false;
    for (i = lo; i < hi && *st == KZ_OK; i++)
        *st = kz_strbuf_add(lits, p->text + p->toks[i].off, p->toks[i].len);
    *anc = (uint8_t)((lo == 0 ? MT_LIT_START : 0) |
                     (hi == p->ntoks ? MT_LIT_END : 0));
    return *st == KZ_OK;
}

/* Whether unique expression k of j is a short literal the matcher tests
 * itself (short_scan in eval.c) instead of the literal database: an
 * anchored one in place (in the database it reported at every
 * occurrence), unanchored ones by first-byte groups or a pair table
 * (mt_ptab), where a 1- or 2-byte literal cost most of the database's
 * scan. */
static bool
is_short(const job *j, size_t k)
{
    const pexpr *p = &j->pe[j->first[k]];

    return !j->dropped[k] && p->lit && p->anc != EXACT &&
           p->llen <= MT_SHORT_MAX;
}

/* Fills job j from the predicates pl[0..n) of slot s. */
static kz_status
job_prepare(const kz_ruleset *rs, job *j, uint32_t s, const uint32_t *pl,
            size_t n, const uint32_t *rx, size_t nrx)
{
    size_t *offs = malloc((n ? n : 1) * sizeof(*offs)), i;
    kz_status st = KZ_OK;

    j->slot = s;
    j->n = n;
    j->refused = -1;
    kz_strbuf_init(&j->all, 0);
    kz_strbuf_init(&j->lits, 0);
    j->rx = rx;
    j->nrx = nrx;
    j->pre_pred = malloc((nrx ? nrx : 1) * sizeof(*j->pre_pred));
    j->pre_off = malloc((nrx ? nrx : 1) * sizeof(*j->pre_off));
    j->pre_len = malloc((nrx ? nrx : 1) * sizeof(*j->pre_len));
    j->pe = malloc((n ? n : 1) * sizeof(*j->pe));
    j->first = malloc((n + 1) * sizeof(*j->first));
    j->dropped = calloc(n ? n : 1, 1);
    if (offs == NULL || j->pe == NULL || j->first == NULL ||
        j->dropped == NULL || j->pre_pred == NULL || j->pre_off == NULL ||
        j->pre_len == NULL) {
        free(offs);
        return KZ_ENOMEM;
    }
    for (i = 0; i < n && st == KZ_OK; i++) {
        offs[i] = j->all.len;
        st = mt_glob_regex(&rs->preds[pl[i]].v->pat, &j->all);
        if (st == KZ_OK)
            st = kz_strbuf_addc(&j->all, '\0');
        if (st == KZ_OK) {
            pexpr *e = &j->pe[i];
            size_t l0 = j->lits.len;

            e->lit = lit_form(rs->preds[pl[i]].v, &j->lits, &e->anc, &st);
            e->loff = l0;
            e->llen = (uint32_t)(j->lits.len - l0);
        }
    }
    if (st == KZ_OK) {
        for (i = 0; i < n; i++) {
            /* the lit fields were set in the loop above */
            j->pe[i].text = j->all.data + offs[i];
            j->pe[i].pred = pl[i];
            j->pe[i].cased = (rs->preds[pl[i]].v->flags & KZ_SVF_CASED) != 0;
        }
        qsort(j->pe, n, sizeof(*j->pe), pexpr_cmp);
        for (i = 0; i < n; i++)
            if (i == 0 || strcmp(j->pe[i].text, j->pe[i - 1].text) != 0 ||
                j->pe[i].cased != j->pe[i - 1].cased)
                j->first[j->m++] = i;
        j->first[j->m] = n;
    }
    /* prefilters: a required literal of each rule regex of the slot */
    for (i = 0; i < nrx && st == KZ_OK; i++) {
        size_t l0 = j->lits.len;
        const char *re = rs->preds[rx[i]].v->regex;

        if (!mt_regex_literal(re, PRE_MIN, &j->lits)) {
            j->lits.len = l0;
            continue;
        }
        if (j->lits.len - l0 >= MAX_LIT) {
            j->lits.len = l0;
            continue;
        }
        j->pre_pred[j->npre] = rx[i];
        j->pre_off[j->npre] = l0;
        j->pre_len[j->npre++] = (uint32_t)(j->lits.len - l0);
    }
    free(offs);
    return st;
}

static void
job_fini(job *j)
{
    kz_strbuf_fini(&j->all);
    kz_strbuf_fini(&j->lits);
    free(j->pe);
    free(j->first);
    free(j->dropped);
    free(j->pre_pred);
    free(j->pre_off);
    free(j->pre_len);
    if (j->db != NULL)
        hs_free_database(j->db);
    if (j->ldb != NULL)
        hs_free_database(j->ldb);
}

/* Compiles the live expressions of j (thread-safe: touches only j): the
 * literal database first (exact literals excluded: the matcher looks
 * them up in a hash table; prefilter literals included), then the regex
 * one. If Vectorscan refuses a prefilter, the job goes without them. */
static void
job_compile(job *j)
{
    size_t mm = j->m + j->npre ? j->m + j->npre : 1;
    const char **ex = malloc(mm * sizeof(*ex));
    unsigned *fl = malloc(mm * sizeof(*fl));
    unsigned *ids = malloc(mm * sizeof(*ids));
    size_t *back = malloc(mm * sizeof(*back));
    size_t *lens = malloc(mm * sizeof(*lens));
    size_t k, live;
    hs_compile_error_t *ce = NULL;
    hs_error_t he;
    int pass;

    j->refused = -1;
    j->why[0] = '\0';
    if (ex == NULL || fl == NULL || ids == NULL || back == NULL ||
        lens == NULL) {
        snprintf(j->why, sizeof(j->why), "out of memory");
        goto out;
    }
again:
    for (pass = 0; pass < 2; pass++) {
        hs_database_t **dst = pass == 0 ? &j->ldb : &j->db;

        live = 0;
        for (k = 0; pass == 0 && !j->nopre && k < j->npre; k++) {
            ids[live] = j->base + (unsigned)(j->m + k);
            ex[live] = j->lits.data + j->pre_off[k];
            lens[live] = j->pre_len[k];
            fl[live] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
            back[live++] = SIZE_MAX;
        }
        for (k = 0; k < j->m; k++) {
            const pexpr *p = &j->pe[j->first[k]];

            if (j->dropped[k] || p->lit != (pass == 0) ||
                (p->lit && p->anc == EXACT) || is_short(j, k))
                continue;
            ids[live] = j->base + (unsigned)k;
            if (pass == 0) {
                /* contains: one report is enough; anchored ones report
                 * every occurrence, the callback checks the offsets */
                ex[live] = j->lits.data + p->loff;
                lens[live] = p->llen;
                fl[live] = HS_FLAG_CASELESS |
                           (p->anc == 0 ? HS_FLAG_SINGLEMATCH : 0);
            } else {
                ex[live] = p->text;
                fl[live] = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH |
                           HS_FLAG_UTF8 | (p->cased ? 0 : HS_FLAG_CASELESS);
            }
            back[live++] = k;
        }
        if (live == 0)
            continue;
        ce = NULL;
        if (pass == 0)
            he = hs_compile_lit_multi(ex, fl, ids, lens, (unsigned)live,
                                      HS_MODE_BLOCK, NULL, dst, &ce);
        else
            he = hs_compile_multi(ex, fl, ids, (unsigned)live, HS_MODE_BLOCK,
                                  NULL, dst, &ce);
        if (he == HS_SUCCESS)
            continue;
        *dst = NULL;
        if (ce != NULL && ce->expression >= 0 &&
            (size_t)ce->expression < live &&
            back[ce->expression] == SIZE_MAX) {
            hs_free_compile_error(ce);
            if (j->ldb != NULL)
                hs_free_database(j->ldb);
            j->ldb = NULL;
            j->nopre = true;
            goto again;
        }
        if (ce != NULL && ce->expression >= 0 &&
            (size_t)ce->expression < live)
            j->refused = (long)back[ce->expression];
        else
            snprintf(j->why, sizeof(j->why), "%s",
                     ce ? ce->message : "compile failed");
        hs_free_compile_error(ce);
        if (j->ldb != NULL) {
            hs_free_database(j->ldb);
            j->ldb = NULL;
        }
        break;
    }
out:
    free(ex);
    free(fl);
    free(ids);
    free(back);
    free(lens);
}

/* Work queue of the compile threads. */
typedef struct pool {
    job *jobs;
    size_t njobs;
    size_t next;
    pthread_mutex_t mu;
} pool;

static void *
pool_run(void *arg)
{
    pool *p = arg;

    for (;;) {
        size_t i;

        pthread_mutex_lock(&p->mu);
        i = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->njobs)
            return NULL;
        job_compile(&p->jobs[i]);
    }
}

/* Compiles every job on `threads` threads (0 = one per core), the
 * calling thread included, at most MAX_THREADS. */
static void
compile_all(job *jobs, size_t njobs, unsigned threads)
{
    pool p;
    pthread_t th[MAX_THREADS];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = threads != 0 ? threads : cpus > 1 ? (size_t)cpus : 1;
    size_t i, started = 0;

    if (nt > MAX_THREADS)
        nt = MAX_THREADS;
    if (nt > njobs)
        nt = njobs;
    p.jobs = jobs;
    p.njobs = njobs;
    p.next = 0;
    pthread_mutex_init(&p.mu, NULL);
    for (i = 1; i < nt; i++)
        if (pthread_create(&th[started], NULL, pool_run, &p) == 0)
            started++;
    pool_run(&p);
    for (i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
}

/* Moves the predicates of unique expression k of j to PCRE2. */
static kz_status
demote(kz_ruleset *rs, job *j, size_t k, kz_error *err)
{
    size_t i;
    kz_status st;

    j->dropped[k] = 1;
    for (i = j->first[k]; i < j->first[k + 1]; i++) {
        mt_pred *p = &rs->preds[j->pe[i].pred];
        const char *path = rs->rules[rs->targets[p->target].rule]->path;

        p->kind = MP_PCRE;
        if ((st = mt_glob_pcre(p->v, path, &p->re, err)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

/* ---- cache ------------------------------------------------------------ */

static uint64_t
cache_key(const job *jobs, size_t njobs)
{
    uint64_t h = kz_hash(CACHE_MAGIC, sizeof(CACHE_MAGIC));
    const char *v = hs_version();
    size_t i, k;

    h = kz_hash_mix(h, kz_hash(v, strlen(v)));
    for (i = 0; i < njobs; i++) {
        const job *j = &jobs[i];

        h = kz_hash_mix(h, j->slot);
        h = kz_hash_mix(h, j->m);
        for (k = 0; k < j->m; k++) {
            const pexpr *p = &j->pe[j->first[k]];

            h = kz_hash_mix(h, kz_hash(p->text, strlen(p->text)));
            h = kz_hash_mix(h, p->cased);
        }
        h = kz_hash_mix(h, j->npre);
        for (k = 0; k < j->npre; k++)
            h = kz_hash_mix(h, kz_hash(j->lits.data + j->pre_off[k],
                                       j->pre_len[k]));
    }
    return h;
}

static void
cache_path(char *buf, size_t n, const char *dir, uint64_t key)
{
    snprintf(buf, n, "%s/kizuki-match-%016llx.hsdb", dir,
             (unsigned long long)key);
}

/* Reads the databases of every job from the cache; false (nothing kept)
 * on any mismatch. */
static bool
cache_read(kz_ruleset *rs, job *jobs, size_t njobs, const char *path,
           uint64_t key, kz_error *err)
{
    FILE *f = fopen(path, "rb");
    char magic[8];
    uint64_t k, sz;
    uint32_t nj, slot, m;
    size_t i;
    char *bytes = NULL;
    bool ok = false;

    if (f == NULL)
        return false;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CACHE_MAGIC, 8) != 0 ||
        fread(&k, 8, 1, f) != 1 || k != key || fread(&nj, 4, 1, f) != 1 ||
        nj != njobs)
        goto out;
    for (i = 0; i < njobs; i++) {
        job *j = &jobs[i];
        int d;

        if (fread(&slot, 4, 1, f) != 1 || slot != j->slot ||
            fread(&m, 4, 1, f) != 1 || m != j->m ||
            fread(j->dropped, 1, m, f) != m)
            goto out;
        for (d = 0; d < 2; d++) {
            hs_database_t **dst = d == 0 ? &j->db : &j->ldb;

            if (fread(&sz, 8, 1, f) != 1 || sz > ((uint64_t)1 << 31))
                goto out;
            if (sz == 0)
                continue;
            if ((bytes = malloc(sz)) == NULL ||
                fread(bytes, 1, sz, f) != sz ||
                hs_deserialize_database(bytes, sz, dst) != HS_SUCCESS) {
                *dst = NULL;
                goto out;
            }
            free(bytes);
            bytes = NULL;
        }
    }
    ok = true;
    for (i = 0; i < njobs && ok; i++) {
        size_t q;

        for (q = 0; q < jobs[i].m && ok; q++)
            if (jobs[i].dropped[q]) {
                jobs[i].dropped[q] = 0;
                ok = demote(rs, &jobs[i], q, err) == KZ_OK;
            }
    }
out:
    free(bytes);
    fclose(f);
    if (!ok)
        for (i = 0; i < njobs; i++) {
            if (jobs[i].db != NULL)
                hs_free_database(jobs[i].db);
            if (jobs[i].ldb != NULL)
                hs_free_database(jobs[i].ldb);
            jobs[i].db = NULL;
            jobs[i].ldb = NULL;
            memset(jobs[i].dropped, 0, jobs[i].m);
        }
    return ok;
}

/* Writes the databases (best effort: a failure only loses the cache). */
static void
cache_write(const job *jobs, size_t njobs, const char *path, uint64_t key)
{
    char tmp[4200];
    FILE *f;
    size_t i;
    bool ok = true;
    uint32_t nj = (uint32_t)njobs;

    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if ((f = fopen(tmp, "wb")) == NULL)
        return;
    ok = fwrite(CACHE_MAGIC, 1, 8, f) == 8 && fwrite(&key, 8, 1, f) == 1 &&
         fwrite(&nj, 4, 1, f) == 1;
    for (i = 0; i < njobs && ok; i++) {
        const job *j = &jobs[i];
        uint32_t slot = j->slot, m = (uint32_t)j->m;
        int d;

        ok = fwrite(&slot, 4, 1, f) == 1 && fwrite(&m, 4, 1, f) == 1 &&
             fwrite(j->dropped, 1, m, f) == m;
        for (d = 0; d < 2 && ok; d++) {
            const hs_database_t *db = d == 0 ? j->db : j->ldb;
            char *bytes = NULL;
            size_t len = 0;
            uint64_t sz;

            if (db != NULL &&
                hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
                ok = false;
                break;
            }
            sz = len;
            ok = fwrite(&sz, 8, 1, f) == 1 &&
                 (len == 0 || fwrite(bytes, 1, len, f) == len);
            free(bytes);
        }
    }
    if (fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0)
        remove(tmp);
}

/* ---- exact literals ---------------------------------------------------- */

uint64_t
mt_exact_hash(uint32_t slot, const char *s, size_t n)
{
    return kz_hash_mix(kz_hash_fold(s, n), slot);
}

/* Puts the exact caseless ASCII literals of every job (not compiled into
 * a literal database) in the ruleset's hash table, their lowercase text
 * in exact_text, and the longest per slot in exact_max. */
static kz_status
build_exact(kz_ruleset *rs, const job *jobs, size_t njobs)
{
    size_t i, k, n = 0, bytes = 0, cap = 16, at = 0;

    for (i = 0; i < njobs; i++)
        for (k = 0; k < jobs[i].m; k++) {
            const pexpr *p = &jobs[i].pe[jobs[i].first[k]];

            if (!jobs[i].dropped[k] && p->lit && p->anc == EXACT) {
                n++;
                bytes += p->llen;
            }
        }
    if (n == 0)
        return KZ_OK;
    if (bytes > UINT32_MAX || n > UINT32_MAX / 4)
        return KZ_ELIMIT;
    while (cap < 2 * n)
        cap *= 2;
    rs->exact = calloc(cap, sizeof(*rs->exact));
    rs->exact_text = malloc(bytes ? bytes : 1);
    if (rs->exact == NULL || rs->exact_text == NULL)
        return KZ_ENOMEM;
    rs->exact_cap = cap;
    for (i = 0; i < njobs; i++) {
        const job *j = &jobs[i];

        for (k = 0; k < j->m; k++) {
            const pexpr *p = &j->pe[j->first[k]];
            const char *t;
            size_t h, c;
            uint64_t h64;

            if (j->dropped[k] || !p->lit || p->anc != EXACT)
                continue;
            t = j->lits.data + p->loff;
            for (c = 0; c < p->llen; c++)
                rs->exact_text[at + c] = (char)kz_ascii_lower(
                    (unsigned char)t[c]);
            h64 = mt_exact_hash(j->slot, t, p->llen);
            h = (size_t)h64 & (cap - 1);
            while (rs->exact[h].pat != 0)
                h = (h + 1) & (cap - 1);
            rs->exact[h].fp = (uint32_t)(h64 >> 32);
            rs->exact[h].pat = j->base + (uint32_t)k + 1;
            rs->exact[h].slot = j->slot;
            rs->exact[h].off = (uint32_t)at;
            rs->exact[h].len = p->llen;
            at += p->llen;
            if (p->llen > rs->slots[j->slot].exact_max)
                rs->slots[j->slot].exact_max = p->llen;
            rs->slots[j->slot].exact_lens |=
                (uint64_t)1 << (p->llen < 63 ? p->llen : 63);
        }
    }
    return KZ_OK;
}

/* True if j compiled to a literal database only whose literals are all
 * unanchored and free of NUL bytes, with no exact literal: a match then
 * lies within a NUL-free stretch of the scanned text, so the values of
 * an event can be scanned as one text with a NUL after each value (one
 * hs_scan instead of one per value; eval.c, keywords). */
static bool
job_joinable(const job *j)
{
    size_t k;

    if (j->db != NULL || j->ldb == NULL)
        return false;
    for (k = 0; k < j->m; k++) {
        const pexpr *p = &j->pe[j->first[k]];

        if (j->dropped[k])
            continue;
        if (!p->lit || p->anc != 0 ||
            memchr(j->lits.data + p->loff, 0, p->llen) != NULL)
            return false;
    }
    for (k = 0; !j->nopre && k < j->npre; k++)
        if (memchr(j->lits.data + j->pre_off[k], 0, j->pre_len[k]) != NULL)
            return false;
    return true;
}

/* Short literal order in a slot: anchored ones first, then by first
 * byte, length, second byte (groups of a first byte are adjacent). */
static int
short_cmp(const void *a, const void *b)
{
    const mt_short *x = a, *y = b;

    if ((x->anc == 0) != (y->anc == 0))
        return x->anc != 0 ? -1 : 1;
    if (x->b[0] != y->b[0])
        return x->b[0] < y->b[0] ? -1 : 1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->b[1] != y->b[1])
        return x->b[1] < y->b[1] ? -1 : 1;
    return x->pat < y->pat ? -1 : x->pat > y->pat;
}

static unsigned
ascii_upper(unsigned c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* Sets bit b0 << 8 | b1 of t, for both cases of each letter. */
static void
ptab_set(mt_ptab *t, unsigned b0, unsigned b1)
{
    unsigned c0[2] = { b0, ascii_upper(b0) };
    unsigned c1[2] = { b1, ascii_upper(b1) };
    unsigned x, y, w;

    for (x = 0; x < 2; x++)
        for (y = 0; y < 2; y++) {
            w = c0[x] << 8 | c1[y];
            t->bits[w / 64] |= (uint64_t)1 << (w % 64);
        }
}

/* Fills the pair table of slot sl from its unanchored short literals. */
static void
fill_ptab(const kz_ruleset *rs, const mt_slot *sl, mt_ptab *t)
{
    uint32_t g, q;
    unsigned b;

    for (g = sl->sg0; g < sl->sg0 + sl->nsg; g++) {
        const mt_sgroup *gr = &rs->sgroups[g];

        t->grp[gr->b0] = g + 1;
        t->grp[ascii_upper(gr->b0)] = g + 1;
        for (q = gr->first; q < gr->first + gr->count; q++) {
            const mt_short *e = &rs->shorts[q];

            if (e->len == 1)
                for (b = 0; b < 256; b++)
                    ptab_set(t, e->b[0], b);
            else
                ptab_set(t, e->b[0], e->b[1]);
        }
    }
}

/* Puts the short literals of every job (left out of the literal
 * databases, job_compile) in rs->shorts, slot by slot, and groups the
 * unanchored ones by first byte in rs->sgroups. */
static kz_status
build_short(kz_ruleset *rs, const job *jobs, size_t njobs)
{
    size_t i, k, n = 0, ng = 0;

    for (i = 0; i < njobs; i++)
        for (k = 0; k < jobs[i].m; k++)
            n += is_short(&jobs[i], k);
    if (n == 0)
        return KZ_OK;
    rs->shorts = calloc(n, sizeof(*rs->shorts));
    rs->sgroups = calloc(n, sizeof(*rs->sgroups));
    if (rs->shorts == NULL || rs->sgroups == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < njobs; i++) {
        const job *j = &jobs[i];
        mt_slot *sl = &rs->slots[j->slot];
        size_t at = rs->nshorts, q;

        for (k = 0; k < j->m; k++) {
            const pexpr *p = &j->pe[j->first[k]];
            mt_short *e;

            if (!is_short(j, k))
                continue;
            e = &rs->shorts[rs->nshorts++];
            e->pat = j->base + (uint32_t)k;
            e->anc = p->anc;
            e->len = (uint8_t)p->llen;
            e->b[0] = kz_ascii_lower((unsigned char)j->lits.data[p->loff]);
            e->b[1] = p->llen > 1 ? kz_ascii_lower((unsigned char)
                                                   j->lits.data[p->loff + 1])
                                  : 0;
        }
        sl->short0 = (uint32_t)at;
        sl->nshort = (uint32_t)(rs->nshorts - at);
        qsort(rs->shorts + at, sl->nshort, sizeof(*rs->shorts), short_cmp);
        sl->sg0 = (uint32_t)ng;
        for (q = at; q < rs->nshorts; q++) {
            const mt_short *e = &rs->shorts[q];
            mt_sgroup *g = &rs->sgroups[ng - (ng > sl->sg0 ? 1 : 0)];

            if (e->anc != 0)
                continue;
            if (ng == sl->sg0 || g->b0 != e->b[0]) {
                g = &rs->sgroups[ng++];
                g->b0 = e->b[0];
                g->first = (uint32_t)q;
                g->b1 = e->len == 2 ? e->b[1] : -1;
            }
            g->count++;
            if (e->len == 1)
                g->one = true;
            else
                g->second[e->b[1] / 64] |= (uint64_t)1 << (e->b[1] % 64);
            if (e->len == 1 || e->b[1] != g->b1)
                g->b1 = -1;
        }
        sl->nsg = (uint32_t)(ng - sl->sg0);
        if (sl->nsg > MT_SHORT_GROUPS)
            sl->ptab = ++rs->nptabs; /* filled below */
    }
    rs->nsgroups = ng;
    if (rs->nptabs == 0)
        return KZ_OK;
    if ((rs->ptabs = calloc(rs->nptabs, sizeof(*rs->ptabs))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < rs->nslots; i++)
        if (rs->slots[i].ptab != 0)
            fill_ptab(rs, &rs->slots[i], &rs->ptabs[rs->slots[i].ptab - 1]);
    return KZ_OK;
}

/* ---- driver ----------------------------------------------------------- */

static int
job_size_cmp(const void *a, const void *b)
{
    const job *x = a, *y = b;

    return x->n > y->n ? -1 : x->n < y->n;
}

/* Pattern -> predicates arrays over all jobs (ids base + k). */
static kz_status
build_csr(kz_ruleset *rs, job *jobs, size_t njobs)
{
    size_t i, k, q, total = 0;

    for (i = 0; i < njobs; i++)
        total += jobs[i].m + jobs[i].npre;
    rs->npat = total;
    rs->pat_pred0 = malloc((total + 1) * sizeof(uint32_t));
    rs->pat_preds = malloc((rs->npreds + 1) * sizeof(uint32_t));
    rs->pat_lit = calloc(total + 1, sizeof(uint32_t));
    if (rs->pat_pred0 == NULL || rs->pat_preds == NULL ||
        rs->pat_lit == NULL)
        return KZ_ENOMEM;
    /* ids are assigned in job order; the pattern of id base + k */
    q = 0;
    for (i = 0; i < njobs; i++) {
        job *j = &jobs[i];

        for (k = 0; k < j->m; k++) {
            const pexpr *p = &j->pe[j->first[k]];
            size_t e;

            rs->pat_pred0[j->base + k] = (uint32_t)q;
            if (j->dropped[k])
                continue;
            if (p->lit)
                rs->pat_lit[j->base + k] = p->llen << 2 | p->anc;
            for (e = j->first[k]; e < j->first[k + 1]; e++) {
                rs->preds[j->pe[e].pred].pat = j->base + (uint32_t)k;
                rs->pat_preds[q++] = j->pe[e].pred;
            }
        }
        /* prefilters: their regex predicate */
        for (k = 0; k < j->npre; k++) {
            uint32_t id = j->base + (uint32_t)(j->m + k);

            rs->pat_pred0[id] = (uint32_t)q;
            rs->pat_lit[id] = j->pre_len[k] << 2;
            if (!j->nopre) {
                /* listed as the pattern's predicate: a trigger (pat_trig) */
                rs->preds[j->pre_pred[k]].pre = id + 1;
                rs->pat_preds[q++] = j->pre_pred[k];
            }
        }
    }
    rs->pat_pred0[total] = (uint32_t)q;
    rs->npat_preds = q;
    return KZ_OK;
}

kz_status
mt_build_dbs(kz_ruleset *rs, kz_error *err)
{
    size_t *cnt = calloc(rs->nslots + 1, sizeof(size_t));
    size_t *at = calloc(rs->nslots + 1, sizeof(size_t));
    uint32_t *list = malloc((rs->npreds + 1) * sizeof(uint32_t));
    size_t *rcnt = calloc(rs->nslots + 1, sizeof(size_t));
    size_t *rat = calloc(rs->nslots + 1, sizeof(size_t));
    uint32_t *rlist = malloc((rs->npreds + 1) * sizeof(uint32_t));
    job *jobs = calloc(rs->nslots + 1, sizeof(*jobs));
    size_t i, s, njobs = 0;
    uint32_t base = 0;
    uint64_t key = 0;
    char path[4096];
    kz_status st = KZ_OK;
    bool cached = false;

    if (cnt == NULL || at == NULL || list == NULL || jobs == NULL ||
        rcnt == NULL || rat == NULL || rlist == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < rs->npreds; i++)
        if (rs->preds[i].kind == MP_HS)
            cnt[rs->preds[i].slot]++;
    for (s = 1; s <= rs->nslots; s++)
        at[s] = at[s - 1] + cnt[s - 1];
    for (i = 0; i < rs->npreds; i++)
        if (rs->preds[i].kind == MP_HS)
            list[at[rs->preds[i].slot]++] = (uint32_t)i;
    /* rule regexes on a field (prefilters; keywords excluded) */
    for (i = 0; i < rs->npreds; i++) {
        rs->preds[i].pre = 0;
        if (rs->preds[i].kind == MP_PCRE && rs->preds[i].slot != 0 &&
            rs->preds[i].v->kind == KZ_SV_REGEX)
            rcnt[rs->preds[i].slot]++;
    }
    for (s = 1; s <= rs->nslots; s++)
        rat[s] = rat[s - 1] + rcnt[s - 1];
    for (i = 0; i < rs->npreds; i++)
        if (rs->preds[i].kind == MP_PCRE && rs->preds[i].slot != 0 &&
            rs->preds[i].v->kind == KZ_SV_REGEX)
            rlist[rat[rs->preds[i].slot]++] = (uint32_t)i;
    for (s = 0; s < rs->nslots && st == KZ_OK; s++)
        if (cnt[s] != 0)
            st = job_prepare(rs, &jobs[njobs++], (uint32_t)s,
                             list + at[s] - cnt[s], cnt[s],
                             rlist + rat[s] - rcnt[s], rcnt[s]);
    if (st != KZ_OK)
        goto out;
    for (i = 0; i < njobs; i++) {
        jobs[i].base = base;
        base += (uint32_t)(jobs[i].m + jobs[i].npre);
    }
    if (rs->o.cache_dir != NULL) {
        key = cache_key(jobs, njobs);
        cache_path(path, sizeof(path), rs->o.cache_dir, key);
        cached = cache_read(rs, jobs, njobs, path, key, err);
    }
    if (!cached) {
        job *sorted = malloc((njobs ? njobs : 1) * sizeof(*sorted));

        if (sorted == NULL) {
            st = KZ_ENOMEM;
            goto out;
        }
        /* biggest first, on a copy (ids stay in job order) */
        memcpy(sorted, jobs, njobs * sizeof(*jobs));
        qsort(sorted, njobs, sizeof(*sorted), job_size_cmp);
        compile_all(sorted, njobs, rs->o.threads);
        for (i = 0; i < njobs; i++) {
            size_t q;

            for (q = 0; q < njobs && jobs[q].slot != sorted[i].slot; q++)
                ;
            jobs[q].db = sorted[i].db;
            jobs[q].ldb = sorted[i].ldb;
            jobs[q].refused = sorted[i].refused;
            jobs[q].nopre = sorted[i].nopre;
            memcpy(jobs[q].why, sorted[i].why, sizeof(jobs[q].why));
        }
        free(sorted);
        for (i = 0; i < njobs && st == KZ_OK; i++) {
            job *j = &jobs[i];

            while (j->refused >= 0 && st == KZ_OK) {
                st = demote(rs, j, (size_t)j->refused, err);
                if (st == KZ_OK)
                    job_compile(j);
            }
            if (st == KZ_OK && j->why[0] != '\0')
                st = kz_error_set(err, KZ_EINTERNAL, "vectorscan: field %s: "
                                  "%s", rs->slots[j->slot].name, j->why);
        }
        for (i = 0; i < njobs; i++)
            if (jobs[i].nopre)
                break; /* the key counted the refused prefilters */
        if (st == KZ_OK && rs->o.cache_dir != NULL && i == njobs)
            cache_write(jobs, njobs, path, key);
    }
    rs->st.from_cache = cached;
    for (i = 0; i < njobs && st == KZ_OK; i++) {
        job *j = &jobs[i];

        if ((j->db != NULL &&
             hs_alloc_scratch(j->db, &rs->proto) != HS_SUCCESS) ||
            (j->ldb != NULL &&
             hs_alloc_scratch(j->ldb, &rs->proto) != HS_SUCCESS)) {
            st = KZ_ENOMEM;
            break;
        }
        rs->slots[j->slot].joined = job_joinable(j);
        rs->slots[j->slot].db = j->db;
        rs->slots[j->slot].ldb = j->ldb;
        rs->slots[j->slot].npat = j->m;
        j->db = NULL;
        j->ldb = NULL;
    }
    if (st == KZ_OK)
        st = build_csr(rs, jobs, njobs);
    if (st == KZ_OK)
        st = build_exact(rs, jobs, njobs);
    if (st == KZ_OK)
        st = build_short(rs, jobs, njobs);
out:
    for (i = 0; i < njobs; i++)
        job_fini(&jobs[i]);
    free(jobs);
    free(cnt);
    free(at);
    free(list);
    free(rcnt);
    free(rat);
    free(rlist);
    return st;
}
