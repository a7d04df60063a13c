/*
 * logon.c - the logon collector: interned text, aggregation of facts into
 * summary rows and graph edges, account joining, ordering and PageRank.
 *
 * Every value is interned once (an id per distinct text; id 0 is ""), so
 * a row or an edge is a tuple of 7 ids plus its counters, and tables are
 * open-addressing maps from tuples to records. At finish the account ids
 * in the tuples are replaced by their joined account, tuples that became
 * equal are merged (sort + merge), and everything is sorted by the byte
 * order of the texts (each text's rank in a sort of all texts), so the
 * output depends only on the set of facts. Reference: docs/logons.md.
 */
#include "investigate/logon.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/grow.h"
#include "base/hash.h"

#define KLEN 7
#define NONE_ID UINT32_MAX
#define MULTI_ID (UINT32_MAX - 1)

/* An interned text. */
typedef struct itext {
    const char *p; /* NUL-terminated, in the arena */
    uint32_t len;  /* bytes */
    uint64_t hash; /* kz_hash of the bytes */
    uint8_t role;  /* host keys: KZ_HOST_* seen for the host */
} itext;

/* A row or an edge: key tuple and counters. */
typedef struct agg {
    uint32_t k[KLEN];    /* key (ids; logon type + 1 where a type is) */
    uint64_t count;      /* facts */
    uint64_t failed;     /* of them failures */
    kz_time first, last; /* KZ_TIME_NONE if no fact had a time */
    uint32_t mask;       /* event table entries */
    uint8_t src_kind;    /* rows: kz_logon_src_kind */
} agg;

/* A map from key tuples to records. */
typedef struct aggtab {
    agg *v;         /* records */
    size_t n, cap;  /* used, allocated */
    uint32_t *slot; /* open addressing: index + 1, 0 = empty */
    size_t nslot;   /* power of two */
    size_t max;     /* cap on n */
} aggtab;

/* An account key. */
typedef struct account {
    uint32_t key;    /* "domain\name", "name" or a SID */
    uint32_t name;   /* name part ("" for a SID-only key) */
    uint32_t domain; /* domain part or "" */
    uint32_t sid;    /* first SID seen, or 0 */
    uint32_t label;  /* display form */
    uint32_t canon;  /* account index it joins (itself if none) */
    bool admin;      /* a 4672 was seen */
} account;

struct kz_logon {
    kz_logon_opts o; /* bounds (defaults filled in) */
    kz_arena mem;    /* interned texts */
    itext *txt;      /* by id */
    size_t ntxt, captxt;
    uint32_t *tslot; /* text map: id + 1 */
    size_t ntslot;
    account *acc; /* accounts */
    size_t nacc, capacc;
    uint32_t *aslot; /* account map by key id: index + 1 */
    size_t naslot;
    aggtab rows, edges;   /* summary rows; graph edges (both kinds) */
    kz_strbuf s1, s2, s3; /* scratch */
    kz_logon_stats st;
    bool finished;
    /* results of finish */
    uint32_t *ord; /* text id -> rank in byte order */
    kz_logon_row *orows;
    size_t norows;
    kz_logon_node *nodes;
    uint32_t *node_txt; /* node i's id text */
    size_t nnodes;
    kz_logon_edge *oedges;
    size_t noedges;
    size_t *ranking;
};

/* ---- interned text ------------------------------------------------- */

static kz_status
grow_slots(uint32_t **slot, size_t *nslot, size_t n)
{
    uint32_t *s;
    size_t cap = *nslot != 0 ? *nslot : 64;

    if (n * 2 < *nslot)
        return KZ_OK;
    while (cap <= n * 2)
        cap *= 2;
    if ((s = calloc(cap, sizeof(*s))) == NULL)
        return KZ_ENOMEM;
    free(*slot);
    *slot = s;
    *nslot = cap;
    return KZ_OK;
}

/* Rebuilds the text map after growing. */
static kz_status
text_rehash(kz_logon *l)
{
    kz_status st;
    size_t i, j;

    if (l->ntxt * 2 < l->ntslot)
        return KZ_OK;
    if ((st = grow_slots(&l->tslot, &l->ntslot, l->ntxt + 1)) != KZ_OK)
        return st;
    for (i = 0; i < l->ntxt; i++) {
        for (j = l->txt[i].hash & (l->ntslot - 1); l->tslot[j] != 0;
             j = (j + 1) & (l->ntslot - 1))
            ;
        l->tslot[j] = (uint32_t)i + 1;
    }
    return KZ_OK;
}

/* Sets *id to the id of s[0..n) (cut at max_text), adding it. KZ_ELIMIT
 * at max_bytes. */
static kz_status
intern(kz_logon *l, const char *s, size_t n, uint32_t *id)
{
    uint64_t h;
    size_t j;
    kz_status st;
    char *p;

    if (n > l->o.max_text) {
        n = l->o.max_text;
        /* Do not cut a UTF-8 sequence in two. */
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        l->st.cut_values++;
    }
    h = kz_hash(s, n);
    if (l->ntslot != 0)
        for (j = h & (l->ntslot - 1); l->tslot[j] != 0;
             j = (j + 1) & (l->ntslot - 1)) {
            const itext *t = &l->txt[l->tslot[j] - 1];

            if (t->hash == h && t->len == n && memcmp(t->p, s, n) == 0) {
                *id = l->tslot[j] - 1;
                return KZ_OK;
            }
        }
    if (l->ntxt >= NONE_ID - 2)
        return KZ_ELIMIT;
    if ((st = kz_grow(&l->txt, &l->captxt, l->ntxt + 1, sizeof(*l->txt),
                      256)) != KZ_OK)
        return st;
    if ((p = kz_arena_strndup(&l->mem, s, n)) == NULL)
        return l->mem.held + n + 64 > l->o.max_bytes ? KZ_ELIMIT : KZ_ENOMEM;
    l->txt[l->ntxt].p = p;
    l->txt[l->ntxt].len = (uint32_t)n;
    l->txt[l->ntxt].hash = h;
    l->txt[l->ntxt].role = 0;
    *id = (uint32_t)l->ntxt;
    l->ntxt++;
    if (l->ntxt * 2 >= l->ntslot)
        return text_rehash(l);
    for (j = h & (l->ntslot - 1); l->tslot[j] != 0;
         j = (j + 1) & (l->ntslot - 1))
        ;
    l->tslot[j] = *id + 1;
    return KZ_OK;
}

static kz_status
intern_buf(kz_logon *l, const kz_strbuf *b, uint32_t *id)
{
    return intern(l, b->data != NULL ? b->data : "", b->len, id);
}

/* ---- tuple maps ---------------------------------------------------- */

static uint64_t
key_hash(const uint32_t k[KLEN])
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    size_t i;

    for (i = 0; i < KLEN; i++)
        h = kz_hash_mix(h, k[i]);
    return h;
}

static kz_status
agg_rehash(aggtab *t)
{
    kz_status st;
    size_t i, j;

    if ((st = grow_slots(&t->slot, &t->nslot, t->n + 1)) != KZ_OK)
        return st;
    memset(t->slot, 0, t->nslot * sizeof(*t->slot));
    for (i = 0; i < t->n; i++) {
        for (j = key_hash(t->v[i].k) & (t->nslot - 1); t->slot[j] != 0;
             j = (j + 1) & (t->nslot - 1))
            ;
        t->slot[j] = (uint32_t)i + 1;
    }
    return KZ_OK;
}

/* Sets *out to the record of key k, adding a zeroed one; KZ_ELIMIT when
 * the table is full. */
static kz_status
agg_get(aggtab *t, const uint32_t k[KLEN], agg **out)
{
    size_t j;
    kz_status st;
    agg *a;

    if (t->nslot != 0)
        for (j = key_hash(k) & (t->nslot - 1); t->slot[j] != 0;
             j = (j + 1) & (t->nslot - 1))
            if (memcmp(t->v[t->slot[j] - 1].k, k, sizeof(uint32_t) * KLEN) ==
                0) {
                *out = &t->v[t->slot[j] - 1];
                return KZ_OK;
            }
    if (t->n >= t->max)
        return KZ_ELIMIT;
    if ((st = kz_grow(&t->v, &t->cap, t->n + 1, sizeof(*t->v), 256)) != KZ_OK)
        return st;
    a = &t->v[t->n++];
    memset(a, 0, sizeof(*a));
    memcpy(a->k, k, sizeof(a->k));
    a->first = a->last = KZ_TIME_NONE;
    if ((t->n + 1) * 2 >= t->nslot) {
        if ((st = agg_rehash(t)) != KZ_OK) {
            t->n--;
            return st;
        }
    } else {
        for (j = key_hash(k) & (t->nslot - 1); t->slot[j] != 0;
             j = (j + 1) & (t->nslot - 1))
            ;
        t->slot[j] = (uint32_t)t->n;
    }
    *out = a;
    return KZ_OK;
}

static void
agg_count(agg *a, kz_time t, uint32_t mask, bool failed, uint64_t n)
{
    a->count += n;
    if (failed)
        a->failed += n;
    a->mask |= mask;
    if (t != KZ_TIME_NONE) {
        if (a->first == KZ_TIME_NONE || t < a->first)
            a->first = t;
        if (a->last == KZ_TIME_NONE || t > a->last)
            a->last = t;
    }
}

static void
agg_fini(aggtab *t)
{
    free(t->v);
    free(t->slot);
}

/* ---- life cycle ---------------------------------------------------- */

kz_logon *
kz_logon_new(const kz_logon_opts *o)
{
    kz_logon *l = calloc(1, sizeof(*l));
    uint32_t id;

    if (l == NULL)
        return NULL;
    if (o != NULL)
        l->o = *o;
    if (l->o.max_rows == 0)
        l->o.max_rows = 200000;
    if (l->o.max_edges == 0)
        l->o.max_edges = 200000;
    if (l->o.max_accounts == 0)
        l->o.max_accounts = 100000;
    if (l->o.max_bytes == 0)
        l->o.max_bytes = (size_t)64 << 20;
    if (l->o.max_text == 0)
        l->o.max_text = 256;
    if (l->o.ninternal_nets > KZ_A_MAX_NETS)
        l->o.ninternal_nets = KZ_A_MAX_NETS;
    l->rows.max = l->o.max_rows;
    l->edges.max = l->o.max_edges;
    kz_arena_init(&l->mem, 64 * 1024, l->o.max_bytes);
    kz_strbuf_init(&l->s1, 4096);
    kz_strbuf_init(&l->s2, 4096);
    kz_strbuf_init(&l->s3, 4096);
    if (intern(l, "", 0, &id) != KZ_OK) {
        kz_logon_free(l);
        return NULL;
    }
    return l;
}

void
kz_logon_free(kz_logon *l)
{
    if (l == NULL)
        return;
    kz_arena_fini(&l->mem);
    free(l->txt);
    free(l->tslot);
    free(l->acc);
    free(l->aslot);
    agg_fini(&l->rows);
    agg_fini(&l->edges);
    kz_strbuf_fini(&l->s1);
    kz_strbuf_fini(&l->s2);
    kz_strbuf_fini(&l->s3);
    free(l->ord);
    free(l->orows);
    free(l->nodes);
    free(l->node_txt);
    free(l->oedges);
    free(l->ranking);
    free(l);
}

void
kz_logon_get_stats(const kz_logon *l, kz_logon_stats *st)
{
    *st = l->st;
}

/* ---- normalisation ------------------------------------------------- */

static bool
blank(kz_str s)
{
    return s.len == 0 || s.p == NULL || (s.len == 1 && s.p[0] == '-');
}

/* s without surrounding spaces. */
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

/* The address as a node: "::ffff:a.b.c.d" -> "a.b.c.d", lower case. */
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

/* Index of the account of (domain, name, sid) in *idx, adding it; *idx =
 * NONE_ID when the fact names no account. */
static kz_status
account_of(kz_logon *l, kz_str domain, kz_str name, kz_str sid, uint32_t *idx)
{
    kz_str dom = trim(domain), nm = trim(name), sd = trim(sid);
    uint32_t key, nid = 0, did = 0, sidid = 0, lab;
    const char *at;
    bool cn;
    size_t i, j;
    kz_status st;
    account *a;

    *idx = NONE_ID;
    if (blank(sd) || (sd.len == 7 && memcmp(sd.p, "S-1-0-0", 7) == 0))
        sd.len = 0;
    kz_strbuf_reset(&l->s1);
    kz_strbuf_reset(&l->s2);
    kz_strbuf_reset(&l->s3);
    if (!blank(nm)) {
        cn = nm.len > 3 && (nm.p[0] == 'C' || nm.p[0] == 'c') &&
             (nm.p[1] == 'N' || nm.p[1] == 'n') && nm.p[2] == '=';
        if (blank(dom) && !cn) {
            /* The domain inside the name: "DOMAIN\name", "name@realm". */
            for (i = nm.len; i > 0 && nm.p[i - 1] != '\\'; i--)
                ;
            if (i > 1) {
                dom.p = nm.p;
                dom.len = i - 1;
            } else if ((at = memchr(nm.p, '@', nm.len)) != NULL && at > nm.p) {
                dom.p = at + 1;
                dom.len = (size_t)(nm.p + nm.len - at - 1);
            }
        }
        if ((st = kz_a_account_key(&l->s1, nm.p, nm.len)) != KZ_OK)
            return st;
    }
    if (l->s1.len == 0) {
        if (sd.len == 0)
            return KZ_OK;
        /* A SID alone: the key is the SID. */
        if ((st = intern(l, sd.p, sd.len, &key)) != KZ_OK)
            return st;
        sidid = key;
        lab = key;
    } else {
        if (!blank(dom) &&
            (st = kz_a_host_key(&l->s2, dom.p, dom.len)) != KZ_OK)
            return st;
        if ((st = intern_buf(l, &l->s1, &nid)) != KZ_OK ||
            (st = intern_buf(l, &l->s2, &did)) != KZ_OK)
            return st;
        if (l->s2.len > 0) {
            if ((st = kz_strbuf_add(&l->s3, l->s2.data, l->s2.len)) != KZ_OK ||
                (st = kz_strbuf_addc(&l->s3, '\\')) != KZ_OK)
                return st;
            for (i = 0; i < l->s2.len; i++)
                l->s2.data[i] =
                    (char)(l->s2.data[i] >= 'a' && l->s2.data[i] <= 'z'
                               ? l->s2.data[i] - 32
                               : l->s2.data[i]);
            if ((st = kz_strbuf_addc(&l->s2, '\\')) != KZ_OK)
                return st;
        }
        if ((st = kz_strbuf_add(&l->s3, l->s1.data, l->s1.len)) != KZ_OK ||
            (st = kz_strbuf_add(&l->s2, l->s1.data, l->s1.len)) != KZ_OK)
            return st;
        if ((st = intern_buf(l, &l->s3, &key)) != KZ_OK ||
            (st = intern_buf(l, &l->s2, &lab)) != KZ_OK)
            return st;
        if (sd.len > 0 && (st = intern(l, sd.p, sd.len, &sidid)) != KZ_OK)
            return st;
    }
    /* Find or add the account of key. */
    if (l->naslot != 0)
        for (j = l->txt[key].hash & (l->naslot - 1); l->aslot[j] != 0;
             j = (j + 1) & (l->naslot - 1))
            if (l->acc[l->aslot[j] - 1].key == key) {
                a = &l->acc[l->aslot[j] - 1];
                if (a->sid == 0)
                    a->sid = sidid;
                *idx = l->aslot[j] - 1;
                return KZ_OK;
            }
    if (l->nacc >= l->o.max_accounts)
        return KZ_ELIMIT;
    if ((st = kz_grow(&l->acc, &l->capacc, l->nacc + 1, sizeof(*l->acc), 64)) !=
        KZ_OK)
        return st;
    a = &l->acc[l->nacc];
    memset(a, 0, sizeof(*a));
    a->key = key;
    a->name = nid;
    a->domain = did;
    a->sid = sidid;
    a->label = lab;
    a->canon = (uint32_t)l->nacc;
    *idx = (uint32_t)l->nacc;
    l->nacc++;
    if (l->nacc * 2 >= l->naslot) {
        if ((st = grow_slots(&l->aslot, &l->naslot, l->nacc)) != KZ_OK) {
            l->nacc--;
            *idx = NONE_ID;
            return st;
        }
        memset(l->aslot, 0, l->naslot * sizeof(*l->aslot));
        for (i = 0; i < l->nacc; i++) {
            for (j = l->txt[l->acc[i].key].hash & (l->naslot - 1);
                 l->aslot[j] != 0; j = (j + 1) & (l->naslot - 1))
                ;
            l->aslot[j] = (uint32_t)i + 1;
        }
    } else {
        for (j = l->txt[key].hash & (l->naslot - 1); l->aslot[j] != 0;
             j = (j + 1) & (l->naslot - 1))
            ;
        l->aslot[j] = (uint32_t)l->nacc;
    }
    return KZ_OK;
}

/* Bit of the event table entry of event id eid (0 if none). */
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

kz_status
kz_logon_mask_ids(kz_strbuf *b, uint32_t mask)
{
    const kz_logon_source *s;
    kz_status st;
    bool any = false;
    size_t i;

    for (i = 0; i < 32 && (s = kz_logon_source_at(i)) != NULL; i++) {
        if (!(mask & (1u << i)))
            continue;
        if ((any && (st = kz_strbuf_addc(b, ' ')) != KZ_OK) ||
            (st = kz_strbuf_add_u64(b, s->event_id)) != KZ_OK)
            return st;
        any = true;
    }
    return KZ_OK;
}

/* The role a fact tells of the host that logs it (KZ_HOST_*): Kerberos
 * and NTLM validation make a domain controller; access to a share that is
 * not administrative (its name does not end in '$': ADMIN$, C$ and IPC$
 * are on every machine) makes a file server. */
static uint8_t
host_role(const kz_logon_fact *f)
{
    kz_str s;

    switch (f->event_id) {
    case 4768:
    case 4769:
    case 4776: return KZ_HOST_DC;
    case 5140:
        s = trim(f->service);
        return !blank(s) && s.p[s.len - 1] != '$' ? KZ_HOST_FILE_SERVER : 0;
    default: return 0;
    }
}

kz_status
kz_logon_add_roles(kz_logon *l, const char *host, size_t n, uint8_t roles)
{
    uint32_t id;
    kz_status st;

    if (l->finished)
        return KZ_EUSAGE;
    if (host == NULL || n == 0 || roles == 0)
        return KZ_OK;
    kz_strbuf_reset(&l->s1);
    if ((st = kz_a_host_key(&l->s1, host, n)) != KZ_OK)
        return st;
    if (l->s1.len == 0)
        return KZ_OK;
    st = intern_buf(l, &l->s1, &id);
    if (st == KZ_ELIMIT)
        return KZ_OK; /* the text is full: no new host */
    if (st != KZ_OK)
        return st;
    l->txt[id].role |= roles;
    return KZ_OK;
}

uint8_t
kz_logon_fact_roles(const kz_logon_fact *f)
{
    return host_role(f);
}

const char *
kz_logon_roles_str(uint8_t roles)
{
    switch (roles & (KZ_HOST_DC | KZ_HOST_FILE_SERVER)) {
    case KZ_HOST_DC: return "domain controller";
    case KZ_HOST_FILE_SERVER: return "file server";
    case KZ_HOST_DC | KZ_HOST_FILE_SERVER:
        return "domain controller, file server";
    default: return "";
    }
}

/* The interning steps of kz_logon_add, KZ_ELIMIT when text is full. */
static kz_status
add_fact(kz_logon *l, const kz_logon_fact *f)
{
    uint32_t acc, host = 0, addr = 0, ws = 0, auth = 0, status = 0;
    uint32_t srcid = 0, type, mask, k[KLEN];
    uint8_t srck = KZ_SRC_NONE;
    kz_addr_class cls = KZ_ADDR_UNKNOWN;
    kz_str s;
    kz_status st;
    agg *a;
    bool failed = f->result == KZ_LOGON_FAILURE;

    if ((st = account_of(l, f->domain, f->name, f->sid, &acc)) != KZ_OK) {
        if (st == KZ_ELIMIT && l->nacc >= l->o.max_accounts) {
            l->st.dropped_accounts++;
            return KZ_OK;
        }
        return st;
    }
    if (acc == NONE_ID) {
        l->st.no_account++;
        return KZ_OK;
    }
    if (f->result == KZ_LOGON_PRIVILEGED) {
        l->st.privileged++;
        l->acc[acc].admin = true;
        return KZ_OK;
    }
    kz_strbuf_reset(&l->s1);
    s = trim(f->host);
    if (!blank(s) && (st = kz_a_host_key(&l->s1, s.p, s.len)) != KZ_OK)
        return st;
    if ((st = intern_buf(l, &l->s1, &host)) != KZ_OK)
        return st;
    if (!blank(trim(f->host)))
        l->txt[host].role |= host_role(f);
    s = trim(f->address);
    if (!blank(s)) {
        cls = kz_addr_classify_nets(s.p, s.len, l->o.internal_nets,
                                    l->o.ninternal_nets);
        kz_strbuf_reset(&l->s1);
        if ((st = addr_norm(&l->s1, s)) != KZ_OK ||
            (st = intern_buf(l, &l->s1, &addr)) != KZ_OK)
            return st;
    }
    s = trim(f->workstation);
    if (!blank(s)) {
        kz_strbuf_reset(&l->s1);
        if ((st = kz_a_host_key(&l->s1, s.p, s.len)) != KZ_OK ||
            (st = intern_buf(l, &l->s1, &ws)) != KZ_OK)
            return st;
    }
    if (cls != KZ_ADDR_UNKNOWN) {
        srck = cls == KZ_ADDR_INTERNAL ? KZ_SRC_INTERNAL : KZ_SRC_EXTERNAL;
        srcid = addr;
    } else if (ws != 0 && ws != host) {
        srck = KZ_SRC_HOST;
        srcid = ws;
    }
    s = trim(f->auth);
    if (!blank(s) && (st = intern(l, s.p, s.len, &auth)) != KZ_OK)
        return st;
    s = trim(f->status);
    if (failed && !blank(s)) {
        kz_strbuf_reset(&l->s1);
        if ((st = addr_norm(&l->s1, s)) != KZ_OK ||
            (st = intern_buf(l, &l->s1, &status)) != KZ_OK)
            return st;
    }
    type = f->logon_type < 0 ? 0 : (uint32_t)f->logon_type + 1;
    mask = event_bit(f->event_id);
    /* The summary row. */
    k[0] = f->result;
    k[1] = acc;
    k[2] = addr;
    k[3] = ws;
    k[4] = type;
    k[5] = host;
    k[6] = status;
    if ((st = agg_get(&l->rows, k, &a)) == KZ_OK) {
        agg_count(a, f->time, mask, failed, 1);
        a->src_kind = srck;
    } else if (st == KZ_ELIMIT)
        l->st.dropped_rows++;
    else
        return st;
    /* The logon edge, then the edge from the source. */
    k[0] = KZ_EDGE_LOGON;
    k[1] = acc;
    k[2] = srck;
    k[3] = srcid;
    k[4] = host;
    k[5] = type;
    k[6] = auth;
    if ((st = agg_get(&l->edges, k, &a)) == KZ_OK)
        agg_count(a, f->time, mask, failed, 1);
    else if (st == KZ_ELIMIT) {
        l->st.dropped_edges++;
        return KZ_OK;
    } else
        return st;
    if (srck == KZ_SRC_NONE)
        return KZ_OK;
    k[0] = KZ_EDGE_FROM;
    k[1] = srck;
    k[2] = srcid;
    k[3] = acc;
    k[4] = k[5] = k[6] = 0;
    if ((st = agg_get(&l->edges, k, &a)) == KZ_OK)
        agg_count(a, f->time, mask, failed, 1);
    else if (st == KZ_ELIMIT)
        l->st.dropped_edges++;
    else
        return st;
    return KZ_OK;
}

kz_status
kz_logon_add(kz_logon *l, const kz_logon_fact *f)
{
    kz_status st;

    if (l->finished)
        return KZ_EUSAGE;
    l->st.facts++;
    st = add_fact(l, f);
    if (st == KZ_ELIMIT) {
        l->st.dropped_text++;
        return KZ_OK;
    }
    return st;
}

/* ---- finish: join accounts, merge, order, rank ---------------------- */

static int
cmp_key(const void *x, const void *y)
{
    const agg *a = x, *b = y;
    size_t i;

    for (i = 0; i < KLEN; i++)
        if (a->k[i] != b->k[i])
            return a->k[i] < b->k[i] ? -1 : 1;
    return 0;
}

/* Sorts t by key and merges records with equal keys. */
static void
merge_equal(aggtab *t)
{
    size_t i, o = 0;

    if (t->n == 0)
        return;
    qsort(t->v, t->n, sizeof(*t->v), cmp_key);
    for (i = 1; i < t->n; i++) {
        agg *d = &t->v[o], *s = &t->v[i];

        if (cmp_key(d, s) == 0) {
            agg_count(d, s->first, s->mask, false, s->count);
            if (s->last != KZ_TIME_NONE)
                agg_count(d, s->last, 0, false, 0);
            d->failed += s->failed;
            if (s->src_kind > d->src_kind)
                d->src_kind = s->src_kind;
        } else
            t->v[++o] = *s;
    }
    t->n = o + 1;
}

/* Joins domainless names to their one domain, bare SIDs to the named
 * account with that SID. */
static kz_status
join_accounts(kz_logon *l)
{
    uint32_t *by = NULL, c;
    size_t i;

    if (l->nacc == 0)
        return KZ_OK;
    if ((by = malloc(l->ntxt * sizeof(*by))) == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < l->ntxt; i++)
        by[i] = NONE_ID;
    for (i = 0; i < l->nacc; i++) {
        const account *a = &l->acc[i];

        if (a->name == 0 || a->domain == 0)
            continue;
        by[a->name] = by[a->name] == NONE_ID ? (uint32_t)i : MULTI_ID;
    }
    for (i = 0; i < l->nacc; i++) {
        account *a = &l->acc[i];

        if (a->name != 0 && a->domain == 0 && (c = by[a->name]) != NONE_ID &&
            c != MULTI_ID)
            a->canon = c;
    }
    for (i = 0; i < l->ntxt; i++)
        by[i] = NONE_ID;
    for (i = 0; i < l->nacc; i++) {
        const account *a = &l->acc[i];

        if (a->name == 0 || a->sid == 0)
            continue;
        c = l->acc[a->canon].canon;
        by[a->sid] = by[a->sid] == NONE_ID || by[a->sid] == c ? c : MULTI_ID;
    }
    for (i = 0; i < l->nacc; i++) {
        account *a = &l->acc[i];

        if (a->name == 0 && (c = by[a->key]) != NONE_ID && c != MULTI_ID)
            a->canon = c;
    }
    for (i = 0; i < l->nacc; i++) {
        account *a = &l->acc[i], *t = &l->acc[a->canon];

        if (a->canon == i)
            continue;
        l->st.merged_accounts++;
        t->admin = t->admin || a->admin;
        if (t->sid == 0)
            t->sid = a->sid;
    }
    free(by);
    return KZ_OK;
}

static int
cmp_text(const void *x, const void *y)
{
    const itext *a = *(const itext *const *)x, *b = *(const itext *const *)y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, n);

    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* l->ord: each text's rank in byte order. */
static kz_status
order_texts(kz_logon *l)
{
    const itext **v;
    size_t i;

    free(l->ord);
    if ((v = malloc(l->ntxt * sizeof(*v))) == NULL ||
        (l->ord = malloc(l->ntxt * sizeof(*l->ord))) == NULL) {
        free(v);
        return KZ_ENOMEM;
    }
    for (i = 0; i < l->ntxt; i++)
        v[i] = &l->txt[i];
    qsort(v, l->ntxt, sizeof(*v), cmp_text);
    for (i = 0; i < l->ntxt; i++)
        l->ord[v[i] - l->txt] = (uint32_t)i;
    free(v);
    return KZ_OK;
}

/* A row with its sort key. */
typedef struct srow {
    const agg *a;
    uint64_t count;
    uint32_t o[7]; /* failure first, then orders */
} srow;

static int
cmp_srow(const void *x, const void *y)
{
    const srow *a = x, *b = y;
    size_t i;

    if (a->o[0] != b->o[0])
        return a->o[0] < b->o[0] ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    for (i = 1; i < 7; i++)
        if (a->o[i] != b->o[i])
            return a->o[i] < b->o[i] ? -1 : 1;
    return 0;
}

static const char *
text(const kz_logon *l, uint32_t id)
{
    return id < l->ntxt ? l->txt[id].p : "";
}

static kz_status
build_rows(kz_logon *l)
{
    srow *v;
    size_t i;

    if (l->rows.n == 0)
        return KZ_OK;
    if ((v = calloc(l->rows.n, sizeof(*v))) == NULL ||
        (l->orows = calloc(l->rows.n, sizeof(*l->orows))) == NULL) {
        free(v);
        return KZ_ENOMEM;
    }
    for (i = 0; i < l->rows.n; i++) {
        const agg *a = &l->rows.v[i];

        v[i].a = a;
        v[i].count = a->count;
        v[i].o[0] = a->k[0] == KZ_LOGON_FAILURE ? 0 : 1;
        v[i].o[1] = l->ord[l->acc[a->k[1]].key];
        v[i].o[2] = l->ord[a->k[5]];
        v[i].o[3] = l->ord[a->k[2]];
        v[i].o[4] = l->ord[a->k[3]];
        v[i].o[5] = a->k[4];
        v[i].o[6] = l->ord[a->k[6]];
    }
    qsort(v, l->rows.n, sizeof(*v), cmp_srow);
    for (i = 0; i < l->rows.n; i++) {
        const agg *a = v[i].a;
        const account *ac = &l->acc[a->k[1]];
        kz_logon_row *r = &l->orows[i];

        r->result = (uint8_t)a->k[0];
        r->account = text(l, ac->label);
        r->account_key = text(l, ac->key);
        r->sid = text(l, ac->sid);
        r->address = text(l, a->k[2]);
        r->src_kind = a->src_kind;
        r->workstation = text(l, a->k[3]);
        r->logon_type = (int)a->k[4] - 1;
        r->host = text(l, a->k[5]);
        r->status = text(l, a->k[6]);
        r->count = a->count;
        r->first = a->first;
        r->last = a->last;
        r->event_mask = a->mask;
    }
    l->norows = l->rows.n;
    free(v);
    return KZ_OK;
}

/* Interns "prefix" + text id into *out. */
static kz_status
node_text(kz_logon *l, const char *prefix, uint32_t id, uint32_t *out)
{
    size_t max;
    kz_status st;

    kz_strbuf_reset(&l->s1);
    if ((st = kz_strbuf_adds(&l->s1, prefix)) != KZ_OK ||
        (st = kz_strbuf_add(&l->s1, l->txt[id].p, l->txt[id].len)) != KZ_OK)
        return st;
    /* Node ids are never cut: they must stay distinct. */
    max = l->o.max_text;
    l->o.max_text = SIZE_MAX;
    st = intern(l, l->s1.data, l->s1.len, out);
    l->o.max_text = max;
    return st;
}

/* Node text of a source (kind, id). */
static kz_status
src_text(kz_logon *l, uint32_t kind, uint32_t id, uint32_t *out)
{
    return node_text(l, kind == KZ_SRC_HOST ? "host:" : "addr:", id, out);
}

/* An edge with the texts of its ends. */
typedef struct sedge {
    const agg *a;
    uint32_t src, dst, via; /* node texts (via NONE_ID if none) */
} sedge;

/* Node candidates: (kind, text, label, account). */
typedef struct snode {
    uint32_t txt; /* node id text */
    uint32_t ord; /* its order */
    uint8_t kind;
    uint32_t label; /* label text */
    uint32_t acc;   /* account index or NONE_ID */
    bool external;
} snode;

static int
cmp_snode(const void *x, const void *y)
{
    const snode *a = x, *b = y;

    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int
cmp_oedge(const void *x, const void *y)
{
    const kz_logon_edge *a = x, *b = y;

    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    if (a->target != b->target)
        return a->target < b->target ? -1 : 1;
    if (a->via != b->via)
        return a->via < b->via ? -1 : 1;
    if (a->logon_type != b->logon_type)
        return a->logon_type < b->logon_type ? -1 : 1;
    return strcmp(a->auth, b->auth);
}

static kz_status
add_snode(snode **v, size_t *n, size_t *cap, uint32_t txt, uint8_t kind,
          uint32_t label, uint32_t acc, bool external)
{
    kz_status st;

    if ((st = kz_grow(v, cap, *n + 1, sizeof(**v), 64)) != KZ_OK)
        return st;
    (*v)[*n].txt = txt;
    (*v)[*n].kind = kind;
    (*v)[*n].label = label;
    (*v)[*n].acc = acc;
    (*v)[*n].external = external;
    (*v)[*n].ord = 0;
    (*n)++;
    return KZ_OK;
}

static kz_status
build_graph(kz_logon *l)
{
    sedge *e = NULL;
    snode *sn = NULL;
    size_t nsn = 0, capsn = 0, i, o;
    uint32_t *idx = NULL, an, hn, vn = NONE_ID;
    kz_status st = KZ_OK;

    if (l->edges.n == 0)
        return KZ_OK;
    if ((e = calloc(l->edges.n, sizeof(*e))) == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < l->edges.n && st == KZ_OK; i++) {
        const agg *a = &l->edges.v[i];
        uint32_t acc = a->k[0] == KZ_EDGE_LOGON ? a->k[1] : a->k[3];
        const account *ac = &l->acc[acc];
        uint32_t sk = a->k[0] == KZ_EDGE_LOGON ? a->k[2] : a->k[1];
        uint32_t sid = a->k[0] == KZ_EDGE_LOGON ? a->k[3] : a->k[2];

        e[i].a = a;
        e[i].via = NONE_ID;
        if ((st = node_text(l, "account:", ac->key, &an)) != KZ_OK ||
            (st = add_snode(&sn, &nsn, &capsn, an, KZ_NODE_ACCOUNT, ac->label,
                            acc, false)) != KZ_OK)
            break;
        if (sk != KZ_SRC_NONE) {
            if ((st = src_text(l, sk, sid, &vn)) != KZ_OK ||
                (st = add_snode(&sn, &nsn, &capsn, vn,
                                sk == KZ_SRC_HOST ? KZ_NODE_HOST
                                                  : KZ_NODE_ADDRESS,
                                sid, NONE_ID, sk == KZ_SRC_EXTERNAL)) != KZ_OK)
                break;
        }
        if (a->k[0] == KZ_EDGE_LOGON) {
            if ((st = node_text(l, "host:", a->k[4], &hn)) != KZ_OK ||
                (st = add_snode(&sn, &nsn, &capsn, hn, KZ_NODE_HOST, a->k[4],
                                NONE_ID, false)) != KZ_OK)
                break;
            e[i].src = an;
            e[i].dst = hn;
            e[i].via = sk != KZ_SRC_NONE ? vn : NONE_ID;
        } else {
            e[i].src = vn;
            e[i].dst = an;
        }
    }
    if (st != KZ_OK)
        goto out;
    if ((st = order_texts(l)) != KZ_OK)
        goto out;
    for (i = 0; i < nsn; i++)
        sn[i].ord = l->ord[sn[i].txt];
    qsort(sn, nsn, sizeof(*sn), cmp_snode);
    /* Unique nodes; idx: node text -> node index. */
    if ((idx = malloc(l->ntxt * sizeof(*idx))) == NULL ||
        (l->nodes = calloc(nsn, sizeof(*l->nodes))) == NULL ||
        (l->node_txt = calloc(nsn, sizeof(*l->node_txt))) == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < l->ntxt; i++)
        idx[i] = NONE_ID;
    for (i = 0, o = 0; i < nsn; i++) {
        kz_logon_node *nd;

        if (idx[sn[i].txt] != NONE_ID)
            continue;
        idx[sn[i].txt] = (uint32_t)o;
        nd = &l->nodes[o];
        l->node_txt[o] = sn[i].txt;
        nd->kind = sn[i].kind;
        nd->id = text(l, sn[i].txt);
        nd->label = text(l, sn[i].label);
        nd->sid = sn[i].acc != NONE_ID ? text(l, l->acc[sn[i].acc].sid) : "";
        nd->admin = sn[i].acc != NONE_ID && l->acc[sn[i].acc].admin;
        nd->external = sn[i].external;
        nd->roles = sn[i].kind == KZ_NODE_HOST ? l->txt[sn[i].label].role : 0;
        o++;
    }
    l->nnodes = o;
    if ((l->oedges = calloc(l->edges.n, sizeof(*l->oedges))) == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < l->edges.n; i++) {
        const agg *a = e[i].a;
        kz_logon_edge *d = &l->oedges[i];

        d->kind = (uint8_t)a->k[0];
        d->source = idx[e[i].src];
        d->target = idx[e[i].dst];
        d->via = e[i].via != NONE_ID ? idx[e[i].via] : SIZE_MAX;
        d->logon_type =
            a->k[0] == KZ_EDGE_LOGON ? (int)a->k[5] - 1 : KZ_LOGON_TYPE_NONE;
        d->auth = a->k[0] == KZ_EDGE_LOGON ? text(l, a->k[6]) : "";
        d->count = a->count;
        d->failed = a->failed;
        d->first = a->first;
        d->last = a->last;
        d->event_mask = a->mask;
    }
    l->noedges = l->edges.n;
    qsort(l->oedges, l->noedges, sizeof(*l->oedges), cmp_oedge);
out:
    free(e);
    free(sn);
    free(idx);
    return st;
}

unsigned
kz_logon_pagerank(size_t n, const size_t *from, const size_t *to, size_t m,
                  double *rank)
{
    double *r = NULL, *nr = NULL, dangling, diff;
    size_t *outdeg = NULL, i;
    unsigned it = 0;

    if (n == 0)
        return 1;
    if ((r = malloc(n * sizeof(*r))) == NULL ||
        (nr = malloc(n * sizeof(*nr))) == NULL ||
        (outdeg = calloc(n, sizeof(*outdeg))) == NULL)
        goto out;
    for (i = 0; i < m; i++)
        outdeg[from[i]]++;
    for (i = 0; i < n; i++)
        r[i] = 1.0 / (double)n;
    while (it < KZ_LOGON_MAX_ITER) {
        it++;
        dangling = 0;
        for (i = 0; i < n; i++)
            if (outdeg[i] == 0)
                dangling += r[i];
        for (i = 0; i < n; i++)
            nr[i] = (1.0 - KZ_LOGON_DAMPING) / (double)n +
                    KZ_LOGON_DAMPING * dangling / (double)n;
        for (i = 0; i < m; i++)
            nr[to[i]] +=
                KZ_LOGON_DAMPING * r[from[i]] / (double)outdeg[from[i]];
        diff = 0;
        for (i = 0; i < n; i++) {
            diff += fabs(nr[i] - r[i]);
            r[i] = nr[i];
        }
        if (diff < KZ_LOGON_TOLERANCE)
            break;
    }
    memcpy(rank, r, n * sizeof(*r));
out:
    if (outdeg == NULL)
        it = 0;
    free(r);
    free(nr);
    free(outdeg);
    return it;
}

/* Ranking order: rank descending, then node index. Ranks are compared
 * through a table of (rank, index) pairs. */
typedef struct rk {
    double rank;
    size_t i;
} rk;

static int
cmp_rk(const void *x, const void *y)
{
    const rk *a = x, *b = y;

    if (a->rank != b->rank)
        return a->rank > b->rank ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static kz_status
rank_nodes(kz_logon *l)
{
    size_t *from = NULL, *to = NULL, i;
    double *r = NULL, lo, hi;
    rk *v = NULL;
    kz_status st = KZ_ENOMEM;

    if (l->nnodes == 0)
        return KZ_OK;
    if ((from = malloc((l->noedges + 1) * sizeof(*from))) == NULL ||
        (to = malloc((l->noedges + 1) * sizeof(*to))) == NULL ||
        (r = malloc(l->nnodes * sizeof(*r))) == NULL ||
        (v = malloc(l->nnodes * sizeof(*v))) == NULL ||
        (l->ranking = malloc(l->nnodes * sizeof(*l->ranking))) == NULL)
        goto out;
    for (i = 0; i < l->noedges; i++) {
        from[i] = l->oedges[i].source;
        to[i] = l->oedges[i].target;
    }
    if (kz_logon_pagerank(l->nnodes, from, to, l->noedges, r) == 0)
        goto out;
    lo = hi = r[0];
    for (i = 0; i < l->nnodes; i++) {
        lo = r[i] < lo ? r[i] : lo;
        hi = r[i] > hi ? r[i] : hi;
    }
    for (i = 0; i < l->nnodes; i++) {
        l->nodes[i].rank = r[i];
        l->nodes[i].rank_norm = hi > lo ? (r[i] - lo) / (hi - lo) : 1.0;
        v[i].rank = r[i];
        v[i].i = i;
    }
    qsort(v, l->nnodes, sizeof(*v), cmp_rk);
    for (i = 0; i < l->nnodes; i++)
        l->ranking[i] = v[i].i;
    st = KZ_OK;
out:
    free(from);
    free(to);
    free(r);
    free(v);
    return st;
}

kz_status
kz_logon_finish(kz_logon *l)
{
    size_t i;
    kz_status st;

    if (l->finished)
        return KZ_EUSAGE;
    l->finished = true;
    if ((st = join_accounts(l)) != KZ_OK)
        return st;
    for (i = 0; i < l->nacc; i++)
        l->acc[i].canon = l->acc[l->acc[i].canon].canon;
    for (i = 0; i < l->rows.n; i++)
        l->rows.v[i].k[1] = l->acc[l->rows.v[i].k[1]].canon;
    for (i = 0; i < l->edges.n; i++) {
        agg *a = &l->edges.v[i];

        if (a->k[0] == KZ_EDGE_LOGON)
            a->k[1] = l->acc[a->k[1]].canon;
        else
            a->k[3] = l->acc[a->k[3]].canon;
    }
    merge_equal(&l->rows);
    merge_equal(&l->edges);
    /* Node texts are interned by build_graph, which orders all texts. */
    if ((st = build_graph(l)) != KZ_OK)
        return st;
    if (l->ord == NULL && (st = order_texts(l)) != KZ_OK)
        return st;
    if ((st = build_rows(l)) != KZ_OK)
        return st;
    return rank_nodes(l);
}

size_t
kz_logon_n_rows(const kz_logon *l)
{
    return l->norows;
}

const kz_logon_row *
kz_logon_row_at(const kz_logon *l, size_t i)
{
    return i < l->norows ? &l->orows[i] : NULL;
}

size_t
kz_logon_n_nodes(const kz_logon *l)
{
    return l->nnodes;
}

const kz_logon_node *
kz_logon_node_at(const kz_logon *l, size_t i)
{
    return i < l->nnodes ? &l->nodes[i] : NULL;
}

size_t
kz_logon_n_edges(const kz_logon *l)
{
    return l->noedges;
}

const kz_logon_edge *
kz_logon_edge_at(const kz_logon *l, size_t i)
{
    return i < l->noedges ? &l->oedges[i] : NULL;
}

const size_t *
kz_logon_ranking(const kz_logon *l)
{
    return l->ranking;
}
