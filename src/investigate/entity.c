/*
 * entity.c - the entity table (entity.h): hosts, accounts and addresses
 * from logon facts and the coverage, and the address -> host
 * observations. Text is interned once (ids into one table); each entity
 * kind is an array with a hash index on its key ids; links (spellings,
 * SIDs, hosts) are small bounded sets of text ids that keep the smallest
 * values in byte order, so the kept set does not depend on the order of
 * the facts. kz_ent_finish joins bare names and bare SIDs to their
 * accounts and builds the sorted public views in the arena.
 * Reference: docs/investigate.md "Entities".
 */
#include "investigate/entity.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analytics/analytics.h"
#include "base/arena.h"
#include "base/grow.h"
#include "base/hash.h"
#include "base/strbuf.h"

#define NONE 0u /* text id of "" / absent */

typedef struct text {
    const char *s; /* NUL-terminated, in the arena */
    size_t len;
    uint64_t hash;
} text;

/* A bounded set of text ids: the smallest max values in byte order. */
typedef struct links {
    uint32_t *v; /* malloc, max entries */
    uint32_t n;
    uint64_t omitted; /* values seen past the cap (once per fact) */
} links;

/* Hash index of up to three uint32 keys -> array index. */
typedef struct kslot {
    uint32_t k[3];
    uint32_t idx1; /* index + 1, 0 = free */
} kslot;

typedef struct ktab {
    kslot *s;
    size_t cap; /* power of two or 0 */
    size_t n;
} ktab;

typedef struct ihost {
    uint32_t key;
    links spell;
    uint8_t roles;
    bool logs_read;
    uint64_t events;
    kz_time first, last;
    uint32_t machine; /* label of its machine account or NONE */
} ihost;

typedef struct iacct {
    uint32_t key, label, name, domain, upn;
    links sids, admin_hosts, hosts;
    bool admin, machine;
    uint64_t logons, auths, failures;
    kz_time first, last;
    uint32_t canon; /* itself, or the account it was joined to */
} iacct;

typedef struct iaddr {
    uint32_t key;
    bool internal;
    uint64_t logons, failures;
    kz_time first, last;
} iaddr;

typedef struct imap {
    uint32_t addr, host;
    uint8_t how;
    kz_time first, last;
    uint64_t count;
    uint32_t mask;
} imap;

struct kz_ent {
    kz_ent_opts o;
    kz_ent_stats st;
    bool finished;
    bool oom; /* a view could not be allocated */
    kz_arena mem;
    size_t bytes; /* interned text */
    text *txt;
    size_t ntxt, captxt;
    ktab ttab; /* text hash -> id (k[0..1] = hash halves) */
    ihost *ho;
    size_t nho, capho;
    ktab htab;
    iacct *ac;
    size_t nac, capac;
    ktab atab;
    iaddr *ad;
    size_t nad, capad;
    ktab dtab;
    imap *mp;
    size_t nmp, capmp;
    ktab mtab;
    kz_strbuf s1, s2, s3;
    /* the views (kz_ent_finish) */
    kz_ent_host *vho;
    size_t nvho;
    kz_ent_account *vac;
    size_t nvac;
    kz_ent_addr *vad;
    size_t nvad;
    kz_ent_map *vmp;
    size_t nvmp;
};

/* ---- small tables ---------------------------------------------------- */

static uint64_t
khash(const uint32_t k[3])
{
    return kz_hash_mix(kz_hash_mix(kz_hash_mix(0x51ed27u, k[0]), k[1]), k[2]);
}

/* The index of key k in *idx (true), or the free slot (false). */
static kslot *
ktab_find(const ktab *t, const uint32_t k[3], bool *found)
{
    size_t i;

    *found = false;
    if (t->cap == 0)
        return NULL;
    for (i = khash(k) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        kslot *s = &t->s[i];

        if (s->idx1 == 0)
            return s;
        if (s->k[0] == k[0] && s->k[1] == k[1] && s->k[2] == k[2]) {
            *found = true;
            return s;
        }
    }
}

/* Makes room for one more entry. */
static kz_status
ktab_reserve(ktab *t)
{
    kslot *old = t->s, *ns;
    size_t oldcap = t->cap, ncap, i;
    bool f;

    if ((t->n + 1) * 2 <= t->cap)
        return KZ_OK;
    ncap = t->cap == 0 ? 64 : t->cap * 2;
    if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
        return KZ_ENOMEM;
    t->s = ns;
    t->cap = ncap;
    for (i = 0; i < oldcap; i++)
        if (old[i].idx1 != 0)
            *ktab_find(t, old[i].k, &f) = old[i];
    free(old);
    return KZ_OK;
}

static void
links_fini(links *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* ---- text -------------------------------------------------------------- */

/* n cut to max bytes on a UTF-8 boundary. */
static size_t
cut_len(kz_ent *e, const char *s, size_t n)
{
    if (n <= e->o.max_text)
        return n;
    e->st.cut_values++;
    n = e->o.max_text;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* The id of s[0..n) (interned; NONE for empty). KZ_ELIMIT past
 * max_bytes. */
static kz_status
intern(kz_ent *e, const char *s, size_t n, uint32_t *id)
{
    uint32_t k[3];
    uint64_t h;
    kslot *sl;
    kz_status st;
    char *c;
    bool f;

    *id = NONE;
    if (n == 0)
        return KZ_OK;
    n = cut_len(e, s, n);
    h = kz_hash(s, n);
    k[0] = (uint32_t)h;
    k[1] = (uint32_t)(h >> 32);
    k[2] = (uint32_t)n;
    for (sl = ktab_find(&e->ttab, k, &f); f;) {
        /* equal hash and length: compare; on a collision probe on with
         * a perturbed key */
        if (e->txt[sl->idx1 - 1].len == n &&
            memcmp(e->txt[sl->idx1 - 1].s, s, n) == 0) {
            *id = sl->idx1 - 1;
            return KZ_OK;
        }
        k[2] += 0x10000000u;
        sl = ktab_find(&e->ttab, k, &f);
    }
    if (e->bytes + n + 1 > e->o.max_bytes || e->ntxt >= UINT32_MAX - 1)
        return KZ_ELIMIT;
    if ((st = ktab_reserve(&e->ttab)) != KZ_OK ||
        (st = kz_grow(&e->txt, &e->captxt, e->ntxt + 1, sizeof(*e->txt),
                      256)) != KZ_OK)
        return st;
    if ((c = kz_arena_strndup(&e->mem, s, n)) == NULL)
        return KZ_ENOMEM;
    sl = ktab_find(&e->ttab, k, &f);
    sl->k[0] = k[0];
    sl->k[1] = k[1];
    sl->k[2] = k[2];
    sl->idx1 = (uint32_t)e->ntxt + 1;
    e->ttab.n++;
    e->txt[e->ntxt].s = c;
    e->txt[e->ntxt].len = n;
    e->txt[e->ntxt].hash = h;
    *id = (uint32_t)e->ntxt++;
    e->bytes += n + 1;
    return KZ_OK;
}

static kz_status
intern_buf(kz_ent *e, const kz_strbuf *b, uint32_t *id)
{
    return intern(e, b->data != NULL ? b->data : "", b->len, id);
}

static const char *
tx(const kz_ent *e, uint32_t id)
{
    return e->txt[id].s;
}

/* Adds id to l (the smallest max_links kept). */
static kz_status
links_add(kz_ent *e, links *l, uint32_t id)
{
    uint32_t i, worst = 0;

    if (id == NONE)
        return KZ_OK;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == id)
            return KZ_OK;
    if (l->v == NULL && (l->v = malloc(e->o.max_links * sizeof(*l->v))) == NULL)
        return KZ_ENOMEM;
    if (l->n < e->o.max_links) {
        l->v[l->n++] = id;
        return KZ_OK;
    }
    l->omitted++;
    for (i = 1; i < l->n; i++)
        if (strcmp(tx(e, l->v[i]), tx(e, l->v[worst])) > 0)
            worst = i;
    if (strcmp(tx(e, id), tx(e, l->v[worst])) < 0)
        l->v[worst] = id;
    return KZ_OK;
}

static void
span(kz_time *first, kz_time *last, kz_time t)
{
    if (t == KZ_TIME_NONE)
        return;
    if (*first == KZ_TIME_NONE || t < *first)
        *first = t;
    if (*last == KZ_TIME_NONE || t > *last)
        *last = t;
}

/* ---- lifecycle --------------------------------------------------------- */

kz_ent *
kz_ent_new(const kz_ent_opts *o)
{
    kz_ent *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    if (o != NULL)
        e->o = *o;
#define DEF(f, v)                                                              \
    if (e->o.f == 0)                                                           \
    e->o.f = (v)
    DEF(max_hosts, KZ_ENT_MAX_HOSTS);
    DEF(max_accounts, KZ_ENT_MAX_ACCOUNTS);
    DEF(max_addrs, KZ_ENT_MAX_ADDRS);
    DEF(max_maps, KZ_ENT_MAX_MAPS);
    DEF(max_links, KZ_ENT_MAX_LINKS);
    DEF(max_text, KZ_ENT_MAX_TEXT);
    DEF(max_bytes, KZ_ENT_MAX_BYTES);
#undef DEF
    if (e->o.ninternal_nets > KZ_A_MAX_NETS)
        e->o.ninternal_nets = KZ_A_MAX_NETS;
    if (e->o.max_links > 1024)
        e->o.max_links = 1024;
    kz_arena_init(&e->mem, 64 * 1024, 0);
    kz_strbuf_init(&e->s1, 0);
    kz_strbuf_init(&e->s2, 0);
    kz_strbuf_init(&e->s3, 0);
    /* id 0 is the empty text */
    if (kz_grow(&e->txt, &e->captxt, 1, sizeof(*e->txt), 256) != KZ_OK) {
        kz_ent_free(e);
        return NULL;
    }
    e->txt[0].s = "";
    e->txt[0].len = 0;
    e->ntxt = 1;
    return e;
}

void
kz_ent_free(kz_ent *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->nho; i++)
        links_fini(&e->ho[i].spell);
    for (i = 0; i < e->nac; i++) {
        links_fini(&e->ac[i].sids);
        links_fini(&e->ac[i].admin_hosts);
        links_fini(&e->ac[i].hosts);
    }
    free(e->ho);
    free(e->ac);
    free(e->ad);
    free(e->mp);
    free(e->txt);
    free(e->ttab.s);
    free(e->htab.s);
    free(e->atab.s);
    free(e->dtab.s);
    free(e->mtab.s);
    free(e->vho);
    free(e->vac);
    free(e->vad);
    free(e->vmp);
    kz_strbuf_fini(&e->s1);
    kz_strbuf_fini(&e->s2);
    kz_strbuf_fini(&e->s3);
    kz_arena_fini(&e->mem);
    free(e);
}

void
kz_ent_get_stats(const kz_ent *e, kz_ent_stats *st)
{
    *st = e->st;
}

/* ---- entities ---------------------------------------------------------- */

/* Finds or adds the entity of key in an array (generic over the three
 * kinds through elem/init): *idx, or KZ_ELIMIT when full. */
static kz_status
get_entity(ktab *t, void *arrp, size_t *n, size_t *cap, size_t elem, size_t max,
           uint32_t k0, uint32_t k1, uint32_t k2, size_t *idx, bool *added)
{
    uint32_t k[3] = {k0, k1, k2};
    kslot *s;
    kz_status st;
    bool f;

    *added = false;
    s = ktab_find(t, k, &f);
    if (f) {
        *idx = s->idx1 - 1;
        return KZ_OK;
    }
    if (*n >= max)
        return KZ_ELIMIT;
    if ((st = ktab_reserve(t)) != KZ_OK ||
        (st = kz_grow(arrp, cap, *n + 1, elem, 64)) != KZ_OK)
        return st;
    s = ktab_find(t, k, &f);
    memcpy(s->k, k, sizeof(k));
    s->idx1 = (uint32_t)*n + 1;
    t->n++;
    memset((char *)*(void **)arrp + *n * elem, 0, elem);
    *idx = (*n)++;
    *added = true;
    return KZ_OK;
}

/* The host of key id (added), or NULL past max_hosts (counted). */
static kz_status
host_of(kz_ent *e, uint32_t key, ihost **out)
{
    size_t i;
    bool added;
    kz_status st;

    *out = NULL;
    st = get_entity(&e->htab, &e->ho, &e->nho, &e->capho, sizeof(*e->ho),
                    e->o.max_hosts, key, 0, 0, &i, &added);
    if (st == KZ_ELIMIT) {
        e->st.dropped_hosts++;
        return KZ_OK;
    }
    if (st != KZ_OK)
        return st;
    if (added) {
        e->ho[i].key = key;
        e->ho[i].first = e->ho[i].last = KZ_TIME_NONE;
    }
    *out = &e->ho[i];
    return KZ_OK;
}

static bool
blank(kz_str s)
{
    return s.p == NULL || s.len == 0 || (s.len == 1 && s.p[0] == '-');
}

static kz_str
trim(kz_str s)
{
    if (s.p == NULL)
        s.len = 0;
    while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* The host entity of a name as logged (spelling kept); *out NULL when
 * the name is blank or the table is full. */
static kz_status
host_named(kz_ent *e, kz_str name, ihost **out)
{
    uint32_t key, sp;
    kz_status st;

    *out = NULL;
    name = trim(name);
    if (blank(name))
        return KZ_OK;
    kz_strbuf_reset(&e->s1);
    if ((st = kz_a_host_key(&e->s1, name.p, name.len)) != KZ_OK ||
        (st = intern_buf(e, &e->s1, &key)) != KZ_OK)
        return st;
    if (key == NONE)
        return KZ_OK;
    if ((st = intern(e, name.p, name.len, &sp)) != KZ_OK ||
        (st = host_of(e, key, out)) != KZ_OK)
        return st;
    return *out != NULL ? links_add(e, &(*out)->spell, sp) : KZ_OK;
}

/* What the fact says of its account. */
typedef struct acct_ids {
    uint32_t key, label, name, domain, sid, upn;
    bool machine;
    uint32_t mhost; /* machine account: the host key */
    kz_str mname;   /* machine account: the host name as logged */
} acct_ids;

/* The identity of (domain, name, sid); a->key NONE when none. */
static kz_status
account_ids(kz_ent *e, kz_str domain, kz_str name, kz_str sid, acct_ids *a)
{
    kz_str dom = trim(domain), nm = trim(name), sd = trim(sid);
    const char *at;
    size_t i;
    kz_status st;
    bool cn;

    memset(a, 0, sizeof(*a));
    if (blank(sd) || (sd.len == 7 && memcmp(sd.p, "S-1-0-0", 7) == 0))
        sd.len = 0;
    if (sd.len > 0 && (st = intern(e, sd.p, sd.len, &a->sid)) != KZ_OK)
        return st;
    kz_strbuf_reset(&e->s1);
    kz_strbuf_reset(&e->s2);
    kz_strbuf_reset(&e->s3);
    if (!blank(nm)) {
        cn = nm.len > 3 && (nm.p[0] == 'C' || nm.p[0] == 'c') &&
             (nm.p[1] == 'N' || nm.p[1] == 'n') && nm.p[2] == '=';
        at = cn ? NULL : memchr(nm.p, '@', nm.len);
        if (at != NULL && at > nm.p && memchr(nm.p, '\\', nm.len) == NULL &&
            (st = intern(e, nm.p, nm.len, &a->upn)) != KZ_OK)
            return st;
        if (blank(dom) && !cn) {
            for (i = nm.len; i > 0 && nm.p[i - 1] != '\\'; i--)
                ;
            if (i > 1) {
                dom.p = nm.p;
                dom.len = i - 1;
            } else if (at != NULL && at > nm.p) {
                dom.p = at + 1;
                dom.len = (size_t)(nm.p + nm.len - at - 1);
            }
        }
        if ((st = kz_a_account_key(&e->s1, nm.p, nm.len)) != KZ_OK)
            return st;
    }
    if (e->s1.len == 0) {
        a->upn = NONE;
        a->key = a->label = a->sid; /* a SID alone, or nothing */
        return KZ_OK;
    }
    if (e->s1.data[e->s1.len - 1] == '$' && e->s1.len > 1) {
        /* HOST$ names host "host" */
        a->machine = true;
        a->mname = nm;
        for (i = nm.len; i > 0 && nm.p[i - 1] != '\\'; i--)
            ;
        a->mname.p += i;
        a->mname.len -= i;
        at = memchr(a->mname.p, '@', a->mname.len);
        if (at != NULL)
            a->mname.len = (size_t)(at - a->mname.p);
        if (a->mname.len > 0 && a->mname.p[a->mname.len - 1] == '$')
            a->mname.len--;
        if ((st = kz_a_host_key(&e->s3, e->s1.data, e->s1.len - 1)) != KZ_OK ||
            (st = intern_buf(e, &e->s3, &a->mhost)) != KZ_OK)
            return st;
        kz_strbuf_reset(&e->s3);
    }
    if ((st = intern_buf(e, &e->s1, &a->name)) != KZ_OK)
        return st;
    if (!blank(dom)) {
        if ((st = kz_a_host_key(&e->s2, dom.p, dom.len)) != KZ_OK ||
            (st = intern_buf(e, &e->s2, &a->domain)) != KZ_OK)
            return st;
    }
    if (e->s2.len > 0) {
        if ((st = kz_strbuf_add(&e->s3, e->s2.data, e->s2.len)) != KZ_OK ||
            (st = kz_strbuf_addc(&e->s3, '\\')) != KZ_OK)
            return st;
        for (i = 0; i < e->s2.len; i++)
            if (e->s2.data[i] >= 'a' && e->s2.data[i] <= 'z')
                e->s2.data[i] = (char)(e->s2.data[i] - 32);
        if ((st = kz_strbuf_addc(&e->s2, '\\')) != KZ_OK)
            return st;
    }
    if ((st = kz_strbuf_add(&e->s3, e->s1.data, e->s1.len)) != KZ_OK ||
        (st = kz_strbuf_add(&e->s2, e->s1.data, e->s1.len)) != KZ_OK ||
        (st = intern_buf(e, &e->s3, &a->key)) != KZ_OK)
        return st;
    return intern_buf(e, &e->s2, &a->label);
}

/* The account of ids (added), or NULL past max_accounts (counted). */
static kz_status
account_of(kz_ent *e, const acct_ids *x, iacct **out)
{
    size_t i;
    bool added;
    kz_status st;
    iacct *a;

    *out = NULL;
    st = get_entity(&e->atab, &e->ac, &e->nac, &e->capac, sizeof(*e->ac),
                    e->o.max_accounts, x->key, 0, 0, &i, &added);
    if (st == KZ_ELIMIT) {
        e->st.dropped_accounts++;
        return KZ_OK;
    }
    if (st != KZ_OK)
        return st;
    a = &e->ac[i];
    if (added) {
        a->key = x->key;
        a->label = x->label;
        a->name = x->name;
        a->domain = x->domain;
        a->machine = x->machine;
        a->first = a->last = KZ_TIME_NONE;
        a->canon = (uint32_t)i;
    }
    if (x->upn != NONE &&
        (a->upn == NONE || strcmp(tx(e, x->upn), tx(e, a->upn)) < 0))
        a->upn = x->upn;
    if ((st = links_add(e, &a->sids, x->sid)) != KZ_OK)
        return st;
    *out = a;
    return KZ_OK;
}

/* The address entity of a (normalised) address id. */
static kz_status
addr_of(kz_ent *e, uint32_t key, bool internal, iaddr **out)
{
    size_t i;
    bool added;
    kz_status st;

    *out = NULL;
    st = get_entity(&e->dtab, &e->ad, &e->nad, &e->capad, sizeof(*e->ad),
                    e->o.max_addrs, key, 0, 0, &i, &added);
    if (st == KZ_ELIMIT) {
        e->st.dropped_addrs++;
        return KZ_OK;
    }
    if (st != KZ_OK)
        return st;
    if (added) {
        e->ad[i].key = key;
        e->ad[i].internal = internal;
        e->ad[i].first = e->ad[i].last = KZ_TIME_NONE;
    }
    *out = &e->ad[i];
    return KZ_OK;
}

/* Appends the address as a key: "::ffff:a.b.c.d" -> "a.b.c.d", lower
 * case (as the logon collector's address nodes). */
static kz_status
addr_norm(kz_strbuf *b, kz_str a)
{
    static const char pre[] = "::ffff:";
    size_t i = 0, k;
    kz_status st;

    if (a.len > 7 && memchr(a.p + 7, '.', a.len - 7) != NULL) {
        for (k = 0; k < 7; k++)
            if (kz_ascii_lower((unsigned char)a.p[k]) != (unsigned char)pre[k])
                break;
        if (k == 7)
            i = 7;
    }
    for (; i < a.len; i++)
        if ((st = kz_strbuf_addc(
                 b, (char)kz_ascii_lower((unsigned char)a.p[i]))) != KZ_OK)
            return st;
    return KZ_OK;
}

/* True for a loopback address key (127/8, ::1): it names every host. */
static bool
loopback(const char *k)
{
    return strncmp(k, "127.", 4) == 0 || strcmp(k, "::1") == 0 ||
           strcmp(k, "0:0:0:0:0:0:0:1") == 0;
}

/* Bit of the logon event table entry of event id eid (0 if none). */
static uint32_t
event_bit(uint32_t eid)
{
    const kz_logon_source *s;
    size_t i;

    for (i = 0; i < 32 && (s = kz_logon_source_at(i)) != NULL; i++)
        if (s->event_id == eid)
            return 1u << i;
    return 0;
}

/* Counts one address -> host observation. */
static kz_status
add_map(kz_ent *e, uint32_t addr, uint32_t host, uint8_t how,
        const kz_logon_fact *f)
{
    size_t i;
    bool added;
    kz_status st;
    imap *m;

    st = get_entity(&e->mtab, &e->mp, &e->nmp, &e->capmp, sizeof(*e->mp),
                    e->o.max_maps, addr, host, how, &i, &added);
    if (st == KZ_ELIMIT) {
        e->st.dropped_maps++;
        return KZ_OK;
    }
    if (st != KZ_OK)
        return st;
    m = &e->mp[i];
    if (added) {
        m->addr = addr;
        m->host = host;
        m->how = how;
        m->first = m->last = KZ_TIME_NONE;
    }
    span(&m->first, &m->last, f->time);
    m->count++;
    m->mask |= event_bit(f->event_id);
    return KZ_OK;
}

static bool
validation(uint32_t eid)
{
    return eid == 4768 || eid == 4769 || eid == 4776;
}

/* The steps of kz_ent_add_fact; KZ_ELIMIT when the text is full. */
static kz_status
add_fact(kz_ent *e, const kz_logon_fact *f)
{
    acct_ids x;
    ihost *h = NULL, *mh = NULL, *wh;
    iacct *a = NULL;
    iaddr *ad = NULL;
    uint32_t addr = NONE;
    kz_addr_class cls = KZ_ADDR_UNKNOWN;
    kz_str s;
    kz_status st;
    bool ok = f->result == KZ_LOGON_SUCCESS;

    if ((st = account_ids(e, f->domain, f->name, f->sid, &x)) != KZ_OK ||
        (st = host_named(e, f->host, &h)) != KZ_OK)
        return st;
    if (h != NULL)
        h->roles |= kz_logon_fact_roles(f);
    if (x.key != NONE && (st = account_of(e, &x, &a)) != KZ_OK)
        return st;
    if (x.machine && x.mhost != NONE) {
        /* the host the machine account names, spelled as in the name */
        if ((st = host_named(e, x.mname, &mh)) != KZ_OK)
            return st;
        if (mh != NULL && x.label != NONE &&
            (mh->machine == NONE ||
             strcmp(tx(e, x.label), tx(e, mh->machine)) < 0))
            mh->machine = x.label;
    }
    if (f->result == KZ_LOGON_PRIVILEGED) {
        if (a != NULL) {
            a->admin = true;
            if (h != NULL &&
                (st = links_add(e, &a->admin_hosts, h->key)) != KZ_OK)
                return st;
        }
        return KZ_OK;
    }
    if (a != NULL) {
        if (!ok)
            a->failures++;
        else {
            if (validation(f->event_id))
                a->auths++;
            else {
                a->logons++;
                if (h != NULL &&
                    (st = links_add(e, &a->hosts, h->key)) != KZ_OK)
                    return st;
            }
            span(&a->first, &a->last, f->time);
        }
    }
    s = trim(f->address);
    if (!blank(s))
        cls = kz_addr_classify_nets(s.p, s.len, e->o.internal_nets,
                                    e->o.ninternal_nets);
    if (cls == KZ_ADDR_UNKNOWN)
        return KZ_OK;
    kz_strbuf_reset(&e->s1);
    if ((st = addr_norm(&e->s1, s)) != KZ_OK ||
        (st = intern_buf(e, &e->s1, &addr)) != KZ_OK ||
        (st = addr_of(e, addr, cls == KZ_ADDR_INTERNAL, &ad)) != KZ_OK)
        return st;
    if (ad != NULL) {
        if (ok)
            ad->logons++;
        else
            ad->failures++;
        span(&ad->first, &ad->last, f->time);
    }
    /* address -> host: successes only, internal, not loopback */
    if (!ok || cls != KZ_ADDR_INTERNAL || loopback(tx(e, addr)))
        return KZ_OK;
    if (mh != NULL &&
        (f->event_id == 4624 || f->event_id == 4768 || f->event_id == 4769 ||
         f->event_id == 5140) &&
        (st = add_map(e, addr, mh->key, KZ_ENT_BY_MACHINE, f)) != KZ_OK)
        return st;
    if (f->event_id == 4624 && !blank(trim(f->workstation))) {
        if ((st = host_named(e, f->workstation, &wh)) != KZ_OK)
            return st;
        if (wh != NULL &&
            (st = add_map(e, addr, wh->key, KZ_ENT_BY_WORKSTATION, f)) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

kz_status
kz_ent_add_fact(kz_ent *e, const kz_logon_fact *f)
{
    kz_status st;

    if (e->finished)
        return KZ_EUSAGE;
    e->st.facts++;
    st = add_fact(e, f);
    if (st == KZ_ELIMIT) {
        e->st.dropped_text++;
        return KZ_OK;
    }
    return st;
}

kz_status
kz_ent_add_roles(kz_ent *e, const char *host, size_t n, uint8_t roles)
{
    kz_str s;
    ihost *h;
    kz_status st;

    if (e->finished)
        return KZ_EUSAGE;
    s.p = host;
    s.len = host != NULL ? n : 0;
    st = host_named(e, s, &h);
    if (st == KZ_ELIMIT) {
        e->st.dropped_text++;
        return KZ_OK;
    }
    if (st == KZ_OK && h != NULL)
        h->roles |= roles;
    return st;
}

kz_status
kz_ent_add_coverage(kz_ent *e, const char *host, size_t n, uint64_t events,
                    kz_time first, kz_time last)
{
    kz_str s;
    ihost *h;
    kz_status st;

    if (e->finished)
        return KZ_EUSAGE;
    s.p = host;
    s.len = host != NULL ? n : 0;
    st = host_named(e, s, &h);
    if (st == KZ_ELIMIT) {
        e->st.dropped_text++;
        return KZ_OK;
    }
    if (st != KZ_OK || h == NULL)
        return st;
    h->logs_read = true;
    h->events =
        h->events + events < h->events ? UINT64_MAX : h->events + events;
    span(&h->first, &h->last, first);
    span(&h->first, &h->last, last);
    return KZ_OK;
}

/* ---- finish ------------------------------------------------------------ */

/* Sorting with the table in a file-scope pointer would be a mutable
 * global; the sorts below use (text, index) pairs instead. */
typedef struct tpair {
    const char *k1; /* first key */
    const char *k2; /* second key */
    size_t i;       /* index */
} tpair;

static int
cmp_tpair(const void *x, const void *y)
{
    const tpair *a = x, *b = y;
    int c = strcmp(a->k1, b->k1);

    if (c != 0)
        return c;
    if ((c = strcmp(a->k2, b->k2)) != 0)
        return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

static uint32_t
canon(const kz_ent *e, uint32_t i)
{
    while (e->ac[i].canon != i)
        i = e->ac[i].canon;
    return i;
}

/* Joins account a into b. */
static kz_status
merge(kz_ent *e, iacct *a, iacct *b, uint32_t bi)
{
    kz_status st;
    uint32_t i;

    a->canon = bi;
    b->admin |= a->admin;
    b->logons += a->logons;
    b->auths += a->auths;
    b->failures += a->failures;
    span(&b->first, &b->last, a->first);
    span(&b->first, &b->last, a->last);
    if (a->upn != NONE &&
        (b->upn == NONE || strcmp(tx(e, a->upn), tx(e, b->upn)) < 0))
        b->upn = a->upn;
    for (i = 0; i < a->sids.n; i++)
        if ((st = links_add(e, &b->sids, a->sids.v[i])) != KZ_OK)
            return st;
    for (i = 0; i < a->admin_hosts.n; i++)
        if ((st = links_add(e, &b->admin_hosts, a->admin_hosts.v[i])) != KZ_OK)
            return st;
    for (i = 0; i < a->hosts.n; i++)
        if ((st = links_add(e, &b->hosts, a->hosts.v[i])) != KZ_OK)
            return st;
    b->sids.omitted += a->sids.omitted;
    b->admin_hosts.omitted += a->admin_hosts.omitted;
    b->hosts.omitted += a->hosts.omitted;
    e->st.merged_accounts++;
    return KZ_OK;
}

/* A bare name joins the one domain it is seen with; a bare SID the one
 * named account seen with it. */
static kz_status
join_accounts(kz_ent *e)
{
    tpair *v = NULL, key;
    size_t n = 0, i, j, lo, hi, need = 0;
    kz_status st = KZ_OK;

    if (e->nac == 0)
        return KZ_OK;
    for (i = 0; i < e->nac; i++)
        need += 1 + e->ac[i].sids.n;
    if ((v = calloc(need, sizeof(*v))) == NULL)
        return KZ_ENOMEM;
    /* (name, domain) of every named account with a domain */
    for (i = 0; i < e->nac; i++)
        if (e->ac[i].name != NONE && e->ac[i].domain != NONE) {
            v[n].k1 = tx(e, e->ac[i].name);
            v[n].k2 = tx(e, e->ac[i].domain);
            v[n++].i = i;
        }
    qsort(v, n, sizeof(*v), cmp_tpair);
    for (i = 0; i < e->nac && st == KZ_OK; i++) {
        iacct *a = &e->ac[i];

        if (a->name == NONE || a->domain != NONE)
            continue;
        key.k1 = tx(e, a->name);
        for (lo = 0, hi = n; lo < hi;) {
            size_t mid = lo + (hi - lo) / 2;

            if (strcmp(v[mid].k1, key.k1) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (j = lo; j < n && strcmp(v[j].k1, key.k1) == 0; j++)
            if (strcmp(v[j].k2, v[lo].k2) != 0)
                break;
        if (lo < n && strcmp(v[lo].k1, key.k1) == 0 &&
            (j == n || strcmp(v[j].k1, key.k1) != 0))
            st = merge(e, a, &e->ac[v[lo].i], (uint32_t)v[lo].i);
    }
    /* (sid, account) of every named account */
    n = 0;
    for (i = 0; i < e->nac; i++)
        if (e->ac[i].name != NONE && e->ac[i].canon == i)
            for (j = 0; j < e->ac[i].sids.n; j++) {
                v[n].k1 = tx(e, e->ac[i].sids.v[j]);
                v[n].k2 = "";
                v[n++].i = i;
            }
    qsort(v, n, sizeof(*v), cmp_tpair);
    for (i = 0; i < e->nac && st == KZ_OK; i++) {
        iacct *a = &e->ac[i];

        if (a->name != NONE || a->key == NONE)
            continue;
        key.k1 = tx(e, a->key);
        for (lo = 0, hi = n; lo < hi;) {
            size_t mid = lo + (hi - lo) / 2;

            if (strcmp(v[mid].k1, key.k1) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && strcmp(v[lo].k1, key.k1) == 0 &&
            (lo + 1 == n || strcmp(v[lo + 1].k1, key.k1) != 0)) {
            uint32_t b = canon(e, (uint32_t)v[lo].i);

            st = merge(e, a, &e->ac[b], b);
        }
    }
    free(v);
    return st;
}

/* An arena copy of the texts of l, sorted. */
static const char *const *
link_view(kz_ent *e, const links *l)
{
    const char **v;
    tpair *p;
    uint32_t i;

    if (l->n == 0)
        return NULL;
    v = kz_arena_alloc(&e->mem, l->n * sizeof(*v));
    p = malloc(l->n * sizeof(*p));
    if (v == NULL || p == NULL) {
        free(p);
        e->oom = true;
        return NULL;
    }
    for (i = 0; i < l->n; i++) {
        p[i].k1 = tx(e, l->v[i]);
        p[i].k2 = "";
        p[i].i = i;
    }
    qsort(p, l->n, sizeof(*p), cmp_tpair);
    for (i = 0; i < l->n; i++)
        v[i] = p[i].k1;
    free(p);
    return v;
}

static int
cmp_vmap(const void *x, const void *y)
{
    const kz_ent_map *a = x, *b = y;
    int c;

    if ((c = strcmp(a->address, b->address)) != 0 ||
        (c = strcmp(a->host, b->host)) != 0)
        return c;
    return (int)a->how - (int)b->how;
}

static int
cmp_vhost(const void *x, const void *y)
{
    return strcmp(((const kz_ent_host *)x)->key, ((const kz_ent_host *)y)->key);
}

static int
cmp_vacct(const void *x, const void *y)
{
    return strcmp(((const kz_ent_account *)x)->key,
                  ((const kz_ent_account *)y)->key);
}

static int
cmp_vaddr(const void *x, const void *y)
{
    return strcmp(((const kz_ent_addr *)x)->address,
                  ((const kz_ent_addr *)y)->address);
}

static int
cmp_pmap_host(const void *x, const void *y)
{
    const kz_ent_map *a = *(const kz_ent_map *const *)x;
    const kz_ent_map *b = *(const kz_ent_map *const *)y;
    int c;

    if ((c = strcmp(a->host, b->host)) != 0 ||
        (c = strcmp(a->address, b->address)) != 0)
        return c;
    return (int)a->how - (int)b->how;
}

/* Index of the first map of host key k in the host-sorted pointers. */
static size_t
first_of_host(const kz_ent_map *const *v, size_t n, const char *k)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(v[mid]->host, k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static kz_status
build_views(kz_ent *e)
{
    const kz_ent_map **byhost = NULL;
    size_t i, j, k;

    e->vmp = calloc(e->nmp + 1, sizeof(*e->vmp));
    e->vho = calloc(e->nho + 1, sizeof(*e->vho));
    e->vac = calloc(e->nac + 1, sizeof(*e->vac));
    e->vad = calloc(e->nad + 1, sizeof(*e->vad));
    if (e->vmp == NULL || e->vho == NULL || e->vac == NULL || e->vad == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < e->nmp; i++) {
        const imap *m = &e->mp[i];
        kz_ent_map *v = &e->vmp[i];

        v->address = tx(e, m->addr);
        v->host = tx(e, m->host);
        v->how = m->how;
        v->first = m->first;
        v->last = m->last;
        v->count = m->count;
        v->event_mask = m->mask;
    }
    e->nvmp = e->nmp;
    qsort(e->vmp, e->nvmp, sizeof(*e->vmp), cmp_vmap);
    if (e->nvmp > 0) {
        byhost = kz_arena_alloc(&e->mem, e->nvmp * sizeof(*byhost));
        if (byhost == NULL)
            return KZ_ENOMEM;
        for (i = 0; i < e->nvmp; i++)
            byhost[i] = &e->vmp[i];
        qsort(byhost, e->nvmp, sizeof(*byhost), cmp_pmap_host);
    }
    for (i = 0; i < e->nho; i++) {
        const ihost *h = &e->ho[i];
        kz_ent_host *v = &e->vho[i];

        v->key = tx(e, h->key);
        v->spellings = link_view(e, &h->spell);
        v->n_spellings = v->spellings != NULL ? h->spell.n : 0;
        v->spellings_omitted = h->spell.omitted;
        v->roles = h->roles;
        v->logs_read = h->logs_read;
        v->events = h->events;
        v->first = h->first;
        v->last = h->last;
        v->machine = h->machine != NONE ? tx(e, h->machine) : NULL;
        if (byhost != NULL) {
            j = first_of_host(byhost, e->nvmp, v->key);
            for (k = j; k < e->nvmp && strcmp(byhost[k]->host, v->key) == 0;
                 k++)
                ;
            v->addrs = k > j ? byhost + j : NULL;
            v->n_addrs = k - j;
        }
    }
    e->nvho = e->nho;
    qsort(e->vho, e->nvho, sizeof(*e->vho), cmp_vhost);
    for (i = 0, k = 0; i < e->nac; i++) {
        const iacct *a = &e->ac[i];
        kz_ent_account *v;

        if (a->canon != i)
            continue;
        v = &e->vac[k++];
        v->key = tx(e, a->key);
        v->label = tx(e, a->label);
        v->sids = link_view(e, &a->sids);
        v->n_sids = v->sids != NULL ? a->sids.n : 0;
        v->upn = a->upn != NONE ? tx(e, a->upn) : NULL;
        v->admin = a->admin;
        v->machine = a->machine;
        v->admin_hosts = link_view(e, &a->admin_hosts);
        v->n_admin_hosts = v->admin_hosts != NULL ? a->admin_hosts.n : 0;
        v->admin_hosts_omitted = a->admin_hosts.omitted;
        v->hosts = link_view(e, &a->hosts);
        v->n_hosts = v->hosts != NULL ? a->hosts.n : 0;
        v->hosts_omitted = a->hosts.omitted;
        v->logons = a->logons;
        v->auths = a->auths;
        v->failures = a->failures;
        v->first = a->first;
        v->last = a->last;
    }
    e->nvac = k;
    qsort(e->vac, e->nvac, sizeof(*e->vac), cmp_vacct);
    for (i = 0; i < e->nad; i++) {
        const iaddr *a = &e->ad[i];
        kz_ent_addr *v = &e->vad[i];

        v->address = tx(e, a->key);
        v->internal = a->internal;
        v->logons = a->logons;
        v->failures = a->failures;
        v->first = a->first;
        v->last = a->last;
    }
    e->nvad = e->nad;
    qsort(e->vad, e->nvad, sizeof(*e->vad), cmp_vaddr);
    /* each address's observations: a run of the address-sorted maps */
    for (i = 0, j = 0; i < e->nvad; i++) {
        kz_ent_addr *v = &e->vad[i];
        const char *last = NULL;

        while (j < e->nvmp && strcmp(e->vmp[j].address, v->address) < 0)
            j++;
        for (k = j; k < e->nvmp && strcmp(e->vmp[k].address, v->address) == 0;
             k++)
            if (last == NULL || strcmp(last, e->vmp[k].host) != 0) {
                last = e->vmp[k].host;
                v->n_hosts++;
            }
        if (k > j) {
            v->maps = kz_arena_alloc(&e->mem, (k - j) * sizeof(*v->maps));
            if (v->maps == NULL)
                return KZ_ENOMEM;
            for (size_t m = j; m < k; m++)
                ((const kz_ent_map **)v->maps)[m - j] = &e->vmp[m];
            v->n_maps = k - j;
        }
        v->host = v->n_hosts == 1 ? last : NULL;
        j = k;
    }
    return e->oom ? KZ_ENOMEM : KZ_OK;
}

kz_status
kz_ent_finish(kz_ent *e)
{
    kz_status st;

    if (e->finished)
        return KZ_EUSAGE;
    e->finished = true;
    if ((st = join_accounts(e)) != KZ_OK)
        return st;
    return build_views(e);
}

/* ---- accessors --------------------------------------------------------- */

size_t
kz_ent_n_hosts(const kz_ent *e)
{
    return e->nvho;
}

const kz_ent_host *
kz_ent_host_at(const kz_ent *e, size_t i)
{
    return i < e->nvho ? &e->vho[i] : NULL;
}

size_t
kz_ent_n_accounts(const kz_ent *e)
{
    return e->nvac;
}

const kz_ent_account *
kz_ent_account_at(const kz_ent *e, size_t i)
{
    return i < e->nvac ? &e->vac[i] : NULL;
}

size_t
kz_ent_n_addrs(const kz_ent *e)
{
    return e->nvad;
}

const kz_ent_addr *
kz_ent_addr_at(const kz_ent *e, size_t i)
{
    return i < e->nvad ? &e->vad[i] : NULL;
}

size_t
kz_ent_n_maps(const kz_ent *e)
{
    return e->nvmp;
}

const kz_ent_map *
kz_ent_map_at(const kz_ent *e, size_t i)
{
    return i < e->nvmp ? &e->vmp[i] : NULL;
}

const char *
kz_ent_how_str(uint8_t how)
{
    return how == KZ_ENT_BY_MACHINE ? "machine account" : "workstation name";
}
