/*
 * impact.c - the impact scope (impact.h): a spool of file-access facts,
 * their attribution to incidents through a table of keys, an external
 * sort and the grouped read-back. Procedure: docs/investigate.md
 * "Procedure 6: impact scope".
 */
#include "investigate/impact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "base/grow.h"
#include "base/hash.h"
#include "base/sorter.h"
#include "base/strbuf.h"
#include "base/tmpfile.h"
#include "investigate/incident.h"

#define NSTR 7 /* host, share, object, account, source, image, file */
enum { S_HOST, S_SHARE, S_OBJECT, S_ACCOUNT, S_SOURCE, S_IMAGE, S_FILE };

/* One entry of the key table: a tagged key and the incidents holding
 * it (indices into incs). */
typedef struct kentry {
    struct kentry *next;
    size_t *inc;
    size_t n, cap;
    size_t klen;
    char key[]; /* tag byte + key, NUL-terminated */
} kentry;

struct kz_imp {
    kz_imp_config cfg;
    char dir[512];
    FILE *spool;          /* the facts, unlinked */
    kz_strbuf rec;        /* one record being built or read */
    kz_strbuf tmp;        /* keys */
    kentry **tab;         /* key table (run) */
    size_t nb;
    bool ran;
    kz_imp_stats st;
};

kz_status
kz_imp_new(const kz_imp_config *cfg, kz_imp **out, kz_error *err)
{
    kz_imp *m;
    const char *dir;
    kz_status st;

    *out = NULL;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return KZ_ENOMEM;
    if (cfg != NULL)
        m->cfg = *cfg;
    if (m->cfg.max_facts == 0)
        m->cfg.max_facts = KZ_IMP_MAX_FACTS;
    dir = kz_tmp_dir(m->cfg.tmp_dir);
    snprintf(m->dir, sizeof(m->dir), "%s", dir);
    m->cfg.tmp_dir = m->dir;
    kz_strbuf_init(&m->rec, 0);
    kz_strbuf_init(&m->tmp, 0);
    if ((st = kz_tmpfile(m->dir, "impact", &m->spool, err)) != KZ_OK) {
        kz_imp_free(m);
        return st;
    }
    *out = m;
    return KZ_OK;
}

static void
tab_free(kz_imp *m)
{
    size_t i;

    for (i = 0; m->tab != NULL && i < m->nb; i++)
        while (m->tab[i] != NULL) {
            kentry *e = m->tab[i];

            m->tab[i] = e->next;
            free(e->inc);
            free(e);
        }
    free(m->tab);
    m->tab = NULL;
}

void
kz_imp_free(kz_imp *m)
{
    if (m == NULL)
        return;
    if (m->spool != NULL)
        fclose(m->spool);
    tab_free(m);
    kz_strbuf_fini(&m->rec);
    kz_strbuf_fini(&m->tmp);
    free(m);
}

/* ---- records --------------------------------------------------------- */

static kz_status
put_bytes(kz_strbuf *b, const void *p, size_t n)
{
    return kz_strbuf_add_grow(b, p, n);
}

/* A string: u16 length (0xffff = NULL) and its bytes, cut at max. */
static kz_status
put_str(kz_imp *m, kz_strbuf *b, const char *s)
{
    uint16_t n;
    size_t len;
    kz_status st;

    if (s == NULL) {
        n = 0xffff;
        return put_bytes(b, &n, 2);
    }
    len = strlen(s);
    if (len > KZ_IMP_MAX_TEXT) {
        len = KZ_IMP_MAX_TEXT;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
        m->st.cut_strings++;
    }
    n = (uint16_t)len;
    if ((st = put_bytes(b, &n, 2)) != KZ_OK)
        return st;
    return put_bytes(b, s, len);
}

/* Reads a string put by put_str at *p (below end) as a NUL-terminated
 * copy appended to out; *off = its offset, SIZE_MAX for NULL. */
static bool
get_str(const uint8_t **p, const uint8_t *end, kz_strbuf *out, size_t *off)
{
    uint16_t n;

    if (end - *p < 2)
        return false;
    memcpy(&n, *p, 2);
    *p += 2;
    if (n == 0xffff) {
        *off = SIZE_MAX;
        return true;
    }
    if ((size_t)(end - *p) < n)
        return false;
    *off = out->len;
    if (kz_strbuf_add_grow(out, *p, n) != KZ_OK ||
        kz_strbuf_addc(out, '\0') != KZ_OK)
        return false;
    *p += n;
    return true;
}

/* The fixed part of a spooled fact and of a sorted value. */
typedef struct fixed {
    int64_t time;
    uint64_t record_id;
    uint32_t event_id;
    uint8_t kind, access;
} fixed;

kz_status
kz_imp_add(kz_imp *m, const kz_imp_fact *f, kz_error *err)
{
    const char *s[NSTR];
    fixed fx;
    uint32_t len;
    kz_status st;
    size_t i;

    if (m->ran)
        return kz_error_set(err, KZ_EUSAGE, "impact: add after run");
    if (f->time == KZ_TIME_NONE || (f->access & 7u) == 0 ||
        f->object == NULL || f->object[0] == '\0') {
        m->st.dropped_facts++;
        return KZ_OK;
    }
    if (m->st.facts >= m->cfg.max_facts) {
        m->st.capped_facts++;
        return KZ_OK;
    }
    memset(&fx, 0, sizeof(fx));
    fx.time = f->time;
    fx.record_id = f->record_id;
    fx.event_id = f->event_id;
    fx.kind = f->kind;
    fx.access = (uint8_t)(f->access & 7u);
    s[S_HOST] = f->host;
    s[S_SHARE] = f->share;
    s[S_OBJECT] = f->object;
    s[S_ACCOUNT] = f->account;
    s[S_SOURCE] = f->source;
    s[S_IMAGE] = f->image;
    s[S_FILE] = f->file;
    kz_strbuf_reset(&m->rec);
    len = 0;
    if ((st = put_bytes(&m->rec, &len, 4)) != KZ_OK ||
        (st = put_bytes(&m->rec, &fx, sizeof(fx))) != KZ_OK)
        return st;
    for (i = 0; i < NSTR; i++)
        if ((st = put_str(m, &m->rec, s[i])) != KZ_OK)
            return st;
    len = (uint32_t)(m->rec.len - 4);
    memcpy(m->rec.data, &len, 4);
    if (fwrite(m->rec.data, 1, m->rec.len, m->spool) != m->rec.len)
        return kz_error_set(err, KZ_EIO,
                            "cannot write the impact spool in %s (disk "
                            "full?)",
                            m->dir);
    m->st.facts++;
    return KZ_OK;
}

/* ---- key table ------------------------------------------------------ */

static kentry *
tab_get(const kz_imp *m, char tag, const char *k, size_t n)
{
    kentry *e;
    uint64_t h;

    if (m->tab == NULL)
        return NULL;
    h = kz_hash(k, n) ^ (uint64_t)(uint8_t)tag;
    for (e = m->tab[h & (m->nb - 1)]; e != NULL; e = e->next)
        if (e->klen == n + 1 && e->key[0] == tag &&
            memcmp(e->key + 1, k, n) == 0)
            return e;
    return NULL;
}

/* Adds incident i under (tag, key). */
static kz_status
tab_add(kz_imp *m, char tag, const char *k, size_t n, size_t i)
{
    kentry *e = tab_get(m, tag, k, n);
    uint64_t h;

    if (n == 0)
        return KZ_OK;
    if (e == NULL) {
        if ((e = malloc(sizeof(*e) + n + 2)) == NULL)
            return KZ_ENOMEM;
        memset(e, 0, sizeof(*e));
        e->key[0] = tag;
        memcpy(e->key + 1, k, n);
        e->key[n + 1] = '\0';
        e->klen = n + 1;
        h = kz_hash(k, n) ^ (uint64_t)(uint8_t)tag;
        e->next = m->tab[h & (m->nb - 1)];
        m->tab[h & (m->nb - 1)] = e;
    }
    if (e->n > 0 && e->inc[e->n - 1] == i)
        return KZ_OK;
    if (kz_grow(&e->inc, &e->cap, e->n + 1, sizeof(size_t), 4) != KZ_OK)
        return KZ_ENOMEM;
    e->inc[e->n++] = i;
    return KZ_OK;
}

/* Lower-case ASCII copy of s into m->tmp ('/' as '\' when path). */
static const char *
fold(kz_imp *m, const char *s, bool path)
{
    size_t i, n = s != NULL ? strlen(s) : 0;

    kz_strbuf_reset(&m->tmp);
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (path && c == '/')
            c = '\\';
        if (kz_strbuf_addc(&m->tmp, c) != KZ_OK)
            return "";
    }
    return kz_strbuf_addc(&m->tmp, '\0') == KZ_OK ? m->tmp.data : "";
}

/* Tags: 'h' host key, 's' source (folded), 'a' full account key, 'b'
 * name of a bare account key, 'n' name part of any account key, 'i'
 * image (folded path). */
static kz_status
build_table(kz_imp *m, const kz_imp_incident *incs, size_t n)
{
    size_t i, k, nk = 0;
    kz_status st;

    for (i = 0; i < n; i++)
        nk += incs[i].n_hosts + incs[i].n_sources +
              2 * incs[i].n_accounts + incs[i].n_images;
    for (m->nb = 64; m->nb < nk * 2 && m->nb < ((size_t)1 << 24);)
        m->nb *= 2;
    if ((m->tab = calloc(m->nb, sizeof(*m->tab))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < n; i++) {
        const kz_imp_incident *c = &incs[i];

        for (k = 0; k < c->n_hosts; k++)
            if ((st = tab_add(m, 'h', c->hosts[k], strlen(c->hosts[k]),
                              i)) != KZ_OK)
                return st;
        for (k = 0; k < c->n_sources; k++) {
            const char *f = fold(m, c->sources[k], false);

            if ((st = tab_add(m, 's', f, strlen(f), i)) != KZ_OK)
                return st;
        }
        for (k = 0; k < c->n_accounts; k++) {
            const char *a = c->accounts[k], *bs = strrchr(a, '\\');

            if (kz_inc_service_identity(a))
                continue;
            if ((st = tab_add(m, bs != NULL ? 'a' : 'b', a, strlen(a),
                              i)) != KZ_OK ||
                (st = tab_add(m, 'n', bs != NULL ? bs + 1 : a,
                              strlen(bs != NULL ? bs + 1 : a), i)) != KZ_OK)
                return st;
        }
        for (k = 0; k < c->n_images; k++) {
            const char *f = fold(m, c->images[k], true);

            if ((st = tab_add(m, 'i', f, strlen(f), i)) != KZ_OK)
                return st;
        }
    }
    return KZ_OK;
}

/* The candidate incidents of one fact: a stamp per incident (mark) and
 * the list of those marked (cand). */
typedef struct cands {
    uint32_t *mark;  /* n stamps */
    uint32_t *imark; /* n stamps: marked by image */
    uint32_t stamp;
    size_t *v;       /* marked incidents */
    size_t n;
} cands;

/* Marks the incidents of (tag, key); image marks go to imark. */
static void
mark_key(kz_imp *m, char tag, const char *k, cands *c)
{
    kentry *e = tab_get(m, tag, k, strlen(k));
    uint32_t *mk = tag == 'i' ? c->imark : c->mark;
    size_t i;

    for (i = 0; e != NULL && i < e->n; i++)
        if (mk[e->inc[i]] != c->stamp) {
            mk[e->inc[i]] = c->stamp;
            if (tag != 'i')
                c->v[c->n++] = e->inc[i];
        }
}

/* ---- attribution ------------------------------------------------------ */

/* The account key of a fact's account into key (empty: none or a
 * service identity). */
static void
acct_key(kz_imp *m, const char *a, kz_strbuf *key)
{
    kz_strbuf_reset(key);
    if (a == NULL || *a == '\0' ||
        kz_inc_account_key(key, a, strlen(a)) != KZ_OK ||
        kz_strbuf_addc(key, '\0') != KZ_OK ||
        kz_inc_service_identity(key->data))
        kz_strbuf_reset(key);
    (void)m;
}

/* Marks the incidents whose accounts hold the account key k. */
static void
mark_account(kz_imp *m, const char *k, cands *c)
{
    const char *bs = strrchr(k, '\\');

    if (bs != NULL) {
        mark_key(m, 'a', k, c);
        mark_key(m, 'b', bs + 1, c);
    } else
        mark_key(m, 'n', k, c);
}

/* The host key of s in m->tmp (NUL-ended), or "" . */
static const char *
host_key(kz_imp *m, const char *s)
{
    kz_strbuf_reset(&m->tmp);
    if (s == NULL || kz_a_host_key(&m->tmp, s, strlen(s)) != KZ_OK ||
        kz_strbuf_addc(&m->tmp, '\0') != KZ_OK)
        return "";
    return m->tmp.data;
}

/* A folded path under the Windows system directories (their binaries
 * are the system's, not a tool that arrived). */
static bool
system_path(const char *f)
{
    static const char *const dirs[] = {"\\windows\\system32\\",
                                       "\\windows\\syswow64\\",
                                       "\\windows\\winsxs\\"};
    size_t i;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (strstr(f, dirs[i]) != NULL)
            return true;
    return false;
}

/* Fills c->v with the incidents the fact belongs to (docs/investigate.md
 * "Procedure 6"), before the time check. ak: the fact's account key. */
static void
attribute(kz_imp *m, const fixed *fx, const char *const *s, const char *ak,
          cands *c)
{
    const char *hk;
    kentry *e, *eo;
    size_t i, n0;

    c->n = 0;
    if (*ak != '\0')
        mark_account(m, ak, c);
    if (fx->kind == KZ_IMP_SHARE) {
        if (s[S_SOURCE] != NULL) {
            /* a host name (not an address) is also a host key */
            if (kz_addr_classify(s[S_SOURCE], strlen(s[S_SOURCE])) ==
                    KZ_ADDR_UNKNOWN &&
                strchr(s[S_SOURCE], ':') == NULL)
                mark_key(m, 'h', host_key(m, s[S_SOURCE]), c);
            mark_key(m, 's', fold(m, s[S_SOURCE], false), c);
        }
        return;
    }
    /* local and mailbox: on one of its hosts, and by one of its
     * accounts, or one of its images (local), or without an account
     * (mailbox) */
    if (s[S_IMAGE] != NULL && fx->kind == KZ_IMP_LOCAL)
        mark_key(m, 'i', fold(m, s[S_IMAGE], true), c);
    /* the file is itself one of its images (how a tool arrived), on any
     * host, unless a system binary */
    eo = NULL;
    if (fx->kind == KZ_IMP_LOCAL) {
        const char *f = fold(m, s[S_OBJECT], true);

        if (!system_path(f))
            eo = tab_get(m, 'i', f, strlen(f));
    }
    hk = host_key(m, s[S_HOST]);
    e = tab_get(m, 'h', hk, strlen(hk));
    n0 = c->n;
    c->n = 0;
    for (i = 0; e != NULL && i < e->n; i++) {
        size_t x = e->inc[i];
        bool ok = (c->mark[x] == c->stamp && n0 > 0) ||
                  (fx->kind == KZ_IMP_LOCAL && c->imark[x] == c->stamp) ||
                  (fx->kind == KZ_IMP_MAILBOX && *ak == '\0');

        if (ok)
            c->v[c->n++] = x;
    }
    for (i = 0; eo != NULL && i < eo->n; i++) {
        size_t j, x = eo->inc[i];
        bool dup = false;

        for (j = 0; j < c->n && !dup; j++)
            dup = c->v[j] == x;
        if (!dup)
            c->v[c->n++] = x;
    }
}

/* Appends the sort key of a fact of incident id: incident (4 bytes big
 * endian), kind, host key, share key, object key (each NUL-ended),
 * time (8 bytes, order-preserving), spool position (8 bytes). */
static kz_status
sort_key(kz_imp *m, kz_strbuf *k, size_t id, const fixed *fx,
         const char *host, const char *share, const char *object,
         uint64_t seq)
{
    uint8_t be[8];
    uint64_t t = (uint64_t)fx->time ^ ((uint64_t)1 << 63);
    const char *f;
    size_t i;
    kz_status st;

    kz_strbuf_reset(k);
    for (i = 0; i < 4; i++)
        be[i] = (uint8_t)((uint64_t)id >> (24 - 8 * i));
    if ((st = put_bytes(k, be, 4)) != KZ_OK ||
        (st = kz_strbuf_addc(k, (char)fx->kind)) != KZ_OK)
        return st;
    f = host_key(m, host);
    if ((st = put_bytes(k, f, strlen(f))) != KZ_OK ||
        (st = kz_strbuf_addc(k, '\0')) != KZ_OK)
        return st;
    f = fold(m, share, false);
    if ((st = put_bytes(k, f, strlen(f))) != KZ_OK ||
        (st = kz_strbuf_addc(k, '\0')) != KZ_OK)
        return st;
    f = fold(m, object, true);
    while (*f == '\\')
        f++;
    if ((st = put_bytes(k, f, strlen(f))) != KZ_OK ||
        (st = kz_strbuf_addc(k, '\0')) != KZ_OK)
        return st;
    for (i = 0; i < 8; i++)
        be[i] = (uint8_t)(t >> (56 - 8 * i));
    if ((st = put_bytes(k, be, 8)) != KZ_OK)
        return st;
    for (i = 0; i < 8; i++)
        be[i] = (uint8_t)(seq >> (56 - 8 * i));
    return put_bytes(k, be, 8);
}

/* ---- read-back --------------------------------------------------------- */

/* The group being read back, and its current object. */
typedef struct reader {
    kz_imp *m;
    kz_imp_object_fn on_object;
    kz_imp_group_fn on_group;
    void *ctx;
    kz_strbuf gkey, okey;   /* group and object key prefixes */
    kz_strbuf gstr, ostr;   /* their strings */
    bool in_group, in_obj;
    kz_imp_group g;
    kz_imp_object o;
    size_t g_host, g_share; /* offsets in gstr */
    size_t names[KZ_IMP_MAX_NAMES], accts[KZ_IMP_MAX_NAMES];
    const char *pn[KZ_IMP_MAX_NAMES], *pa[KZ_IMP_MAX_NAMES];
} reader;

static const char *
sat(const kz_strbuf *b, size_t off)
{
    return off == SIZE_MAX ? NULL : b->data + off;
}

static kz_status
end_object(reader *r)
{
    kz_imp_object *o = &r->o;
    size_t i;
    kz_status st;

    if (!r->in_obj)
        return KZ_OK;
    r->in_obj = false;
    r->m->st.objects++;
    r->g.total++;
    r->g.read += (o->access & KZ_IMP_READ) != 0;
    r->g.written += (o->access & KZ_IMP_WRITE) != 0;
    r->g.deleted += (o->access & KZ_IMP_DELETE) != 0;
    r->g.events += o->events;
    if (r->g.first == KZ_TIME_NONE || o->first < r->g.first)
        r->g.first = o->first;
    if (r->g.last == KZ_TIME_NONE || o->last > r->g.last)
        r->g.last = o->last;
    if (r->g.n_names < KZ_IMP_MAX_NAMES) {
        size_t off = r->gstr.len;

        if (kz_strbuf_adds(&r->gstr, o->object) != KZ_OK ||
            kz_strbuf_addc(&r->gstr, '\0') != KZ_OK)
            return KZ_ENOMEM;
        r->names[r->g.n_names++] = off;
    }
    if (o->account != NULL && r->g.n_accounts < KZ_IMP_MAX_NAMES) {
        bool seen = false;

        for (i = 0; i < r->g.n_accounts && !seen; i++)
            seen = strcasecmp(r->gstr.data + r->accts[i], o->account) == 0;
        if (!seen) {
            size_t off = r->gstr.len;

            if (kz_strbuf_adds(&r->gstr, o->account) != KZ_OK ||
                kz_strbuf_addc(&r->gstr, '\0') != KZ_OK)
                return KZ_ENOMEM;
            r->accts[r->g.n_accounts++] = off;
        }
    }
    if (r->on_object != NULL && (st = r->on_object(r->ctx, o)) != KZ_OK)
        return st;
    return KZ_OK;
}

static kz_status
end_group(reader *r)
{
    size_t i;
    kz_status st;

    if ((st = end_object(r)) != KZ_OK)
        return st;
    if (!r->in_group)
        return KZ_OK;
    r->in_group = false;
    r->m->st.groups++;
    /* gstr may have moved while growing: pointers taken now */
    r->g.host = sat(&r->gstr, r->g_host);
    r->g.share = sat(&r->gstr, r->g_share);
    for (i = 0; i < r->g.n_names; i++)
        r->pn[i] = r->gstr.data + r->names[i];
    for (i = 0; i < r->g.n_accounts; i++)
        r->pa[i] = r->gstr.data + r->accts[i];
    r->g.names = r->pn;
    r->g.accounts = r->pa;
    if (r->on_group != NULL && (st = r->on_group(r->ctx, &r->g)) != KZ_OK)
        return st;
    return KZ_OK;
}

/* One sorted record: key = sort_key, value = fixed + the strings. */
static kz_status
read_one(reader *r, const uint8_t *key, size_t klen, const uint8_t *val,
         size_t vlen)
{
    const uint8_t *p = val, *end = val + vlen, *oend;
    size_t off[NSTR], i, gk = 0, ok;
    fixed fx;
    kz_status st;

    if (vlen < sizeof(fx) || klen < 4 + 1 + 3 + 16)
        return KZ_EINTERNAL;
    memcpy(&fx, p, sizeof(fx));
    p += sizeof(fx);
    /* group key: up to the host and share NULs; object key: one more */
    oend = key + 5;
    for (i = 0; i < 3; i++) {
        oend = memchr(oend, '\0', (size_t)(key + klen - oend));
        if (oend == NULL)
            return KZ_EINTERNAL;
        oend++;
        if (i == 1)
            gk = (size_t)(oend - key);
    }
    ok = (size_t)(oend - key);
    if (r->in_group && (r->gkey.len != gk ||
                        memcmp(r->gkey.data, key, gk) != 0)) {
        if ((st = end_group(r)) != KZ_OK)
            return st;
    }
    if (r->in_obj &&
        (r->okey.len != ok || memcmp(r->okey.data, key, ok) != 0)) {
        if ((st = end_object(r)) != KZ_OK)
            return st;
    }
    if (!r->in_obj) {
        kz_strbuf_reset(&r->ostr);
        kz_strbuf_reset(&r->okey);
        if ((st = put_bytes(&r->okey, key, ok)) != KZ_OK)
            return st;
        for (i = 0; i < NSTR; i++)
            if (!get_str(&p, end, &r->ostr, &off[i]))
                return KZ_EINTERNAL;
        if (!r->in_group) {
            memset(&r->g, 0, sizeof(r->g));
            kz_strbuf_reset(&r->gstr);
            kz_strbuf_reset(&r->gkey);
            if ((st = put_bytes(&r->gkey, key, gk)) != KZ_OK)
                return st;
            r->g.incident = ((size_t)key[0] << 24) | ((size_t)key[1] << 16) |
                            ((size_t)key[2] << 8) | key[3];
            r->g.kind = fx.kind;
            r->g.first = r->g.last = KZ_TIME_NONE;
            r->g_host = r->g_share = SIZE_MAX;
            for (i = 0; i < 2; i++) {
                const char *s = sat(&r->ostr, off[i == 0 ? S_HOST : S_SHARE]);
                size_t o2 = r->gstr.len;

                if (s == NULL)
                    continue;
                if (kz_strbuf_adds(&r->gstr, s) != KZ_OK ||
                    kz_strbuf_addc(&r->gstr, '\0') != KZ_OK)
                    return KZ_ENOMEM;
                *(i == 0 ? &r->g_host : &r->g_share) = o2;
            }
            r->in_group = true;
        }
        memset(&r->o, 0, sizeof(r->o));
        r->o.incident = r->g.incident;
        r->o.kind = fx.kind;
        r->o.host = sat(&r->ostr, off[S_HOST]);
        r->o.share = sat(&r->ostr, off[S_SHARE]);
        r->o.object = sat(&r->ostr, off[S_OBJECT]);
        r->o.account = sat(&r->ostr, off[S_ACCOUNT]);
        r->o.source = sat(&r->ostr, off[S_SOURCE]);
        r->o.image = sat(&r->ostr, off[S_IMAGE]);
        r->o.file = sat(&r->ostr, off[S_FILE]);
        r->o.event_id = fx.event_id;
        r->o.record_id = fx.record_id;
        r->o.first = fx.time;
        r->in_obj = true;
    }
    r->o.access |= fx.access;
    r->o.last = fx.time;
    r->o.events++;
    return KZ_OK;
}

/* ---- run ------------------------------------------------------------- */

kz_status
kz_imp_run(kz_imp *m, const kz_imp_incident *incs, size_t n,
           kz_imp_object_fn on_object, kz_imp_group_fn on_group, void *ctx,
           kz_error *err)
{
    kz_sorter_opts so;
    kz_sorter *sorter = NULL;
    kz_strbuf key, ak, strs;
    cands c;
    reader r;
    uint64_t seq = 0;
    kz_status st;
    size_t i;

    if (m->ran)
        return kz_error_set(err, KZ_EUSAGE, "impact: run twice");
    m->ran = true;
    kz_strbuf_init(&key, 0);
    kz_strbuf_init(&ak, 0);
    kz_strbuf_init(&strs, 0);
    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    r.m = m;
    r.on_object = on_object;
    r.on_group = on_group;
    r.ctx = ctx;
    kz_strbuf_init(&r.gkey, 0);
    kz_strbuf_init(&r.okey, 0);
    kz_strbuf_init(&r.gstr, 0);
    kz_strbuf_init(&r.ostr, 0);
    memset(&so, 0, sizeof(so));
    so.mem_bound = m->cfg.mem_bound;
    so.tmp_dir = m->dir;
    if ((st = build_table(m, incs, n)) != KZ_OK ||
        (st = kz_sorter_new(&so, &sorter, err)) != KZ_OK)
        goto out;
    if (n > 0 && ((c.mark = calloc(n, sizeof(*c.mark))) == NULL ||
                  (c.imark = calloc(n, sizeof(*c.imark))) == NULL ||
                  (c.v = calloc(n, sizeof(*c.v))) == NULL)) {
        st = KZ_ENOMEM;
        goto out;
    }
    if (fflush(m->spool) != 0 || fseek(m->spool, 0, SEEK_SET) != 0) {
        st = kz_error_set(err, KZ_EIO, "cannot read back the impact spool "
                                       "in %s", m->dir);
        goto out;
    }
    for (;;) {
        uint32_t len;
        const uint8_t *p, *end;
        size_t off[NSTR];
        const char *s[NSTR];
        fixed fx;
        bool any = false;

        if (fread(&len, 1, 4, m->spool) != 4)
            break;
        kz_strbuf_reset(&m->rec);
        if (len < sizeof(fx) || len > (1u << 20) ||
            kz_strbuf_reserve(&m->rec, len) != KZ_OK ||
            fread(m->rec.data, 1, len, m->spool) != len) {
            st = kz_error_set(err, KZ_EIO, "the impact spool in %s could "
                                           "not be read back", m->dir);
            goto out;
        }
        p = (const uint8_t *)m->rec.data;
        end = p + len;
        memcpy(&fx, p, sizeof(fx));
        p += sizeof(fx);
        kz_strbuf_reset(&strs);
        for (i = 0; i < NSTR; i++)
            if (!get_str(&p, end, &strs, &off[i])) {
                st = KZ_EINTERNAL;
                goto out;
            }
        for (i = 0; i < NSTR; i++)
            s[i] = sat(&strs, off[i]);
        seq++;
        if (n == 0) {
            m->st.unattributed++;
            continue;
        }
        if (++c.stamp == 0) {
            memset(c.mark, 0, n * sizeof(*c.mark));
            memset(c.imark, 0, n * sizeof(*c.imark));
            c.stamp = 1;
        }
        acct_key(m, s[S_ACCOUNT], &ak);
        attribute(m, &fx, s, ak.len > 0 ? ak.data : "", &c);
        for (i = 0; i < c.n; i++) {
            const kz_imp_incident *inc = &incs[c.v[i]];

            if (fx.time < inc->from || fx.time > inc->to)
                continue;
            any = true;
            m->st.attributed++;
            if ((st = sort_key(m, &key, inc->id, &fx, s[S_HOST], s[S_SHARE],
                               s[S_OBJECT], seq)) != KZ_OK ||
                (st = kz_sorter_add(sorter, key.data, key.len, m->rec.data,
                                    len, err)) != KZ_OK)
                goto out;
        }
        if (!any)
            m->st.unattributed++;
    }
    if ((st = kz_sorter_finish(sorter, err)) != KZ_OK)
        goto out;
    for (;;) {
        const uint8_t *k, *v;
        size_t kl, vl;

        if ((st = kz_sorter_next(sorter, &k, &kl, &v, &vl, err)) != KZ_OK)
            goto out;
        if (k == NULL)
            break;
        if ((st = read_one(&r, k, kl, v, vl)) != KZ_OK)
            goto out;
    }
    st = end_group(&r);
out:
    if (sorter != NULL) {
        kz_sorter_stats ss;

        kz_sorter_stats_get(sorter, &ss);
        m->st.spills = ss.spills;
    }
    kz_sorter_free(sorter);
    free(c.mark);
    free(c.imark);
    free(c.v);
    kz_strbuf_fini(&key);
    kz_strbuf_fini(&ak);
    kz_strbuf_fini(&strs);
    kz_strbuf_fini(&r.gkey);
    kz_strbuf_fini(&r.okey);
    kz_strbuf_fini(&r.gstr);
    kz_strbuf_fini(&r.ostr);
    return st;
}

void
kz_imp_get_stats(const kz_imp *m, kz_imp_stats *st)
{
    *st = m->st;
}
