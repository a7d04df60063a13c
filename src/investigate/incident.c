/*
 * incident.c - the incident engine (incident.h): seeds, clustering,
 * kill-chain order, tools, lateral movement and patient zero, as
 * documented step by step in docs/investigate.md.
 */
#include "investigate/incident.h"

#include <stdlib.h>
#include <string.h>

#include "analytics/analytics.h"
#include "base/arena.h"
#include "base/grow.h"
#include "base/hash.h"
#include "base/strbuf.h"

/* ---- the kill chain ---------------------------------------------- */

/* ATT&CK tactics in kill-chain order (docs/investigate.md). */
static const char *const kz_inc_tactics[] = {
    "reconnaissance",  "resource-development",
    "initial-access",  "execution",
    "persistence",     "privilege-escalation",
    "defense-evasion", "credential-access",
    "discovery",       "lateral-movement",
    "collection",      "command-and-control",
    "exfiltration",    "impact",
};
#define N_TACTICS (sizeof(kz_inc_tactics) / sizeof(kz_inc_tactics[0]))
#define NO_TACTIC ((int)N_TACTICS)

int
kz_inc_tactic_rank(const char *s, size_t n)
{
    size_t i, j;

    for (i = 0; i < N_TACTICS; i++) {
        const char *t = kz_inc_tactics[i];

        if (strlen(t) != n)
            continue;
        for (j = 0; j < n; j++) {
            char c = (char)kz_ascii_lower((unsigned char)s[j]);

            if (c == '_')
                c = '-';
            if (c != t[j])
                break;
        }
        if (j == n)
            return (int)i;
    }
    return -1;
}

/* ---- the engine -------------------------------------------------- */

typedef struct ialert {
    kz_inc_row row; /* copy, keys */
    int rank;       /* tactic rank or NO_TACTIC */
    size_t comp;    /* union-find parent (seed index) */
} ialert;

typedef struct iedge {
    kz_inc_edge e;      /* copy; account, target as keys */
    const char *source; /* host key when a host, else as given */
} iedge;

typedef struct ihost {
    const char *key;
    kz_time first, last;
} ihost;

/* An address -> host observation (kz_inc_add_addr_host). */
typedef struct imap {
    const char *addr;     /* as given (copied) */
    const char *host;     /* host key */
    kz_time first, last;  /* last >= first */
    const char *evidence; /* copy or "" */
} imap;

/* An incident under construction: owns its arrays (malloc). */
typedef struct iinc {
    kz_incident pub;
    const char **hosts, **accounts, **techniques;
    kz_inc_row *rows;
    kz_inc_tool *tools;
    kz_inc_step *steps;
    size_t cap_steps;        /* steps allocated (grown as reached) */
    kz_inc_candidate *cands;
} iinc;

struct kz_inc {
    kz_inc_config cfg;
    kz_inc_time_fmt time_fmt; /* times in evidence and reasons, or NULL */
    void *time_ctx;
    kz_arena arena;
    ialert *al;
    size_t nal, capal;
    iedge *ed;
    size_t ned, caped;
    ihost *ho;
    size_t nho, capho;
    imap *am;             /* address -> host observations */
    size_t nam, capam;
    iinc *inc;
    size_t ninc;
    bool ran;
    kz_inc_stats st;
    kz_strbuf tmp;
};

#define ARENA_LIMIT ((size_t)512 << 20)
#define KZ_INC_MAX_SPAN ((kz_time)100 * 366 * 24 * 3600 * KZ_INC_SECOND)

kz_inc *
kz_inc_new(const kz_inc_config *cfg)
{
    kz_inc *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    if (cfg != NULL)
        e->cfg = *cfg;
    if (e->cfg.window <= 0)
        e->cfg.window = KZ_INC_WINDOW;
    if (e->cfg.tie_window <= 0)
        e->cfg.tie_window = KZ_INC_TIE_WINDOW;
    if (e->cfg.lead <= 0)
        e->cfg.lead = KZ_INC_LEAD;
    /* at most 100 years each: no overflow in time arithmetic */
    if (e->cfg.window > KZ_INC_MAX_SPAN)
        e->cfg.window = KZ_INC_MAX_SPAN;
    if (e->cfg.tie_window > KZ_INC_MAX_SPAN)
        e->cfg.tie_window = KZ_INC_MAX_SPAN;
    if (e->cfg.lead > KZ_INC_MAX_SPAN)
        e->cfg.lead = KZ_INC_MAX_SPAN;
    if (e->cfg.min_level == 0)
        e->cfg.min_level = KZ_INC_MIN_LEVEL;
#define DEF(f, v)                                                              \
    if (e->cfg.f == 0)                                                         \
    e->cfg.f = (v)
    DEF(max_alerts, KZ_INC_MAX_ALERTS);
    DEF(max_edges, KZ_INC_MAX_EDGES);
    DEF(max_hosts, KZ_INC_MAX_HOSTS);
    DEF(max_incidents, KZ_INC_MAX_INCIDENTS);
    DEF(max_rows, KZ_INC_MAX_ROWS);
    DEF(max_steps, KZ_INC_MAX_STEPS);
    DEF(max_tools, KZ_INC_MAX_TOOLS);
    DEF(max_candidates, KZ_INC_MAX_CANDIDATES);
    DEF(max_text, KZ_INC_MAX_TEXT);
    DEF(max_addr_hosts, KZ_INC_MAX_ADDR_HOSTS);
#undef DEF
    kz_arena_init(&e->arena, 64 * 1024, ARENA_LIMIT);
    kz_strbuf_init(&e->tmp, 0);
    return e;
}

static void
iinc_free(iinc *c)
{
    free(c->hosts);
    free(c->accounts);
    free(c->techniques);
    free(c->rows);
    free(c->tools);
    free(c->steps);
    free(c->cands);
}

void
kz_inc_free(kz_inc *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->ninc; i++)
        iinc_free(&e->inc[i]);
    free(e->inc);
    free(e->al);
    free(e->ed);
    free(e->ho);
    free(e->am);
    kz_strbuf_fini(&e->tmp);
    kz_arena_fini(&e->arena);
    free(e);
}

/* A copy of s[0..n) cut to max_text on a UTF-8 boundary; "" for NULL. */
static const char *
dupn(kz_inc *e, const char *s, size_t n)
{
    if (s == NULL || n == 0)
        return "";
    if (n > e->cfg.max_text) {
        n = e->cfg.max_text;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        e->st.cut_strings++;
    }
    return kz_arena_strndup(&e->arena, s, n);
}

static const char *
dup(kz_inc *e, const char *s)
{
    return s == NULL ? "" : dupn(e, s, strlen(s));
}

/* The host key of s, copied. */
static const char *
host_key(kz_inc *e, const char *s)
{
    if (s == NULL || *s == '\0')
        return "";
    kz_strbuf_reset(&e->tmp);
    if (kz_a_host_key(&e->tmp, s, strlen(s)) != KZ_OK || e->tmp.len == 0)
        return "";
    return dupn(e, e->tmp.data, e->tmp.len);
}

kz_status
kz_inc_account_key(kz_strbuf *b, const char *s, size_t n)
{
    const char *bs, *at;
    size_t nlen, start = b->len;
    kz_status st;

    bs = memchr(s, '\\', n);
    at = memchr(s, '@', n);
    if (bs != NULL && bs > s) {
        if ((st = kz_a_host_key(b, s, (size_t)(bs - s))) != KZ_OK)
            return st;
    } else if (at != NULL && (size_t)(at + 1 - s) < n) {
        if ((st = kz_a_host_key(b, at + 1, n - (size_t)(at + 1 - s))) !=
            KZ_OK)
            return st;
    }
    if (b->len > start && (st = kz_strbuf_addc(b, '\\')) != KZ_OK)
        return st;
    nlen = b->len;
    if ((st = kz_a_account_key(b, s, n)) != KZ_OK)
        return st;
    if (b->len == nlen)
        b->len = start; /* no name: no key */
    if (b->data != NULL)
        b->data[b->len] = '\0';
    return KZ_OK;
}

/* The account key of s ("domain\name", or "name" without a domain),
 * copied; "" when s names no account. */
static const char *
account_key(kz_inc *e, const char *s)
{
    if (s == NULL || *s == '\0')
        return "";
    kz_strbuf_reset(&e->tmp);
    if (kz_inc_account_key(&e->tmp, s, strlen(s)) != KZ_OK ||
        e->tmp.len == 0)
        return "";
    return dupn(e, e->tmp.data, e->tmp.len);
}

/* The name part of an account key. */
static const char *
acct_name(const char *k)
{
    const char *bs = strrchr(k, '\\');

    return bs ? bs + 1 : k;
}

bool
kz_inc_service_identity(const char *k)
{
    static const char *const names[] = {
        "system",
        "local service",
        "network service",
        "anonymous logon",
        "localservice",
        "networkservice",
        "-",
    };
    const char *nm = acct_name(k);
    size_t i, n = strlen(nm);

    if (*k == '\0' || n == 0 || nm[n - 1] == '$')
        return true;
    if (strncmp(k, "nt authority\\", 13) == 0)
        return true;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(nm, names[i]) == 0)
            return true;
    return false;
}

/* Service identities: never join incidents, never incident accounts. */
static bool
noise_account(const char *k)
{
    return kz_inc_service_identity(k);
}

/* The earliest kill-chain tactic among comma-separated tags. */
static int
tags_rank(const char *tags)
{
    int best = NO_TACTIC;
    const char *p = tags;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *q = p;
        size_t m = n;

        while (m > 0 && (*q == ' ' || *q == '\t')) {
            q++;
            m--;
        }
        while (m > 0 && (q[m - 1] == ' ' || q[m - 1] == '\t'))
            m--;
        if (m > 7 && strncmp(q, "attack.", 7) == 0) {
            int r = kz_inc_tactic_rank(q + 7, m - 7);

            if (r >= 0 && r < best)
                best = r;
        }
        p = end ? end + 1 : NULL;
    }
    return best;
}

kz_status
kz_inc_add_alert(kz_inc *e, const kz_inc_alert *a)
{
    ialert *x;
    kz_inc_alert *c;

    if (e->ran)
        return KZ_EUSAGE;
    e->st.alerts++;
    if (a->time == KZ_TIME_NONE) {
        e->st.no_time++;
        return KZ_OK;
    }
    if (a->level < e->cfg.min_level)
        return KZ_OK;
    if (e->nal >= e->cfg.max_alerts) {
        e->st.dropped_alerts++;
        return KZ_OK;
    }
    if (kz_grow(&e->al, &e->capal, e->nal + 1, sizeof(*e->al), 64) != KZ_OK)
        return KZ_ENOMEM;
    x = &e->al[e->nal];
    memset(x, 0, sizeof(*x));
    c = &x->row.alert;
    c->time = a->time;
    c->level = a->level;
    c->correlation = a->correlation;
    c->record_id = a->record_id;
    c->host = dup(e, a->host);
    c->account = dup(e, a->account);
    c->logon_id = dup(e, a->logon_id);
    c->rule_id = dup(e, a->rule_id);
    c->title = dup(e, a->title);
    c->tags = dup(e, a->tags);
    c->file = dup(e, a->file);
    c->image = dup(e, a->image);
    c->hash = dup(e, a->hash);
    c->cmdline = dup(e, a->cmdline);
    c->parent_image = dup(e, a->parent_image);
    x->row.host = host_key(e, a->host);
    x->row.account = account_key(e, a->account);
    x->rank = tags_rank(c->tags);
    x->row.tactic = x->rank < NO_TACTIC ? kz_inc_tactics[x->rank] : "";
    if (c->host == NULL || c->account == NULL || c->logon_id == NULL ||
        c->rule_id == NULL || c->title == NULL || c->tags == NULL ||
        c->file == NULL || c->image == NULL || c->hash == NULL ||
        c->cmdline == NULL || c->parent_image == NULL ||
        x->row.host == NULL || x->row.account == NULL)
        return KZ_ENOMEM;
    e->nal++;
    e->st.seeds++;
    return KZ_OK;
}

kz_status
kz_inc_add_edge(kz_inc *e, const kz_inc_edge *in)
{
    iedge *x;

    if (e->ran)
        return KZ_EUSAGE;
    if (in->target == NULL || *in->target == '\0' || in->account == NULL ||
        *in->account == '\0' || in->first == KZ_TIME_NONE)
        return KZ_OK;
    if (in->count > 0 && in->count == in->failed)
        return KZ_OK;
    if (e->ned >= e->cfg.max_edges) {
        e->st.dropped_edges++;
        return KZ_OK;
    }
    if (kz_grow(&e->ed, &e->caped, e->ned + 1, sizeof(*e->ed), 64) != KZ_OK)
        return KZ_ENOMEM;
    x = &e->ed[e->ned];
    x->e = *in;
    x->e.account = account_key(e, in->account);
    x->e.target = host_key(e, in->target);
    x->e.method = dup(e, in->method);
    x->e.evidence = dup(e, in->evidence);
    x->e.source = dup(e, in->source);
    if (x->e.last == KZ_TIME_NONE || x->e.last < x->e.first)
        x->e.last = x->e.first;
    if (x->e.source != NULL && *x->e.source == '\0')
        x->e.src_kind = KZ_INC_SRC_NONE;
    x->source = x->e.src_kind == KZ_INC_SRC_HOST ? host_key(e, in->source)
                                                 : x->e.source;
    if (x->e.account == NULL || x->e.target == NULL || x->e.method == NULL ||
        x->e.evidence == NULL || x->e.source == NULL || x->source == NULL)
        return KZ_ENOMEM;
    if (*x->e.account == '\0' || *x->e.target == '\0')
        return KZ_OK;
    e->ned++;
    return KZ_OK;
}

kz_status
kz_inc_add_host(kz_inc *e, const char *host, kz_time first, kz_time last)
{
    ihost *x;
    const char *k;

    if (e->ran)
        return KZ_EUSAGE;
    k = host_key(e, host);
    if (k == NULL)
        return KZ_ENOMEM;
    if (*k == '\0')
        return KZ_OK;
    if (e->nho >= e->cfg.max_hosts) {
        e->st.dropped_hosts++;
        return KZ_OK;
    }
    if (kz_grow(&e->ho, &e->capho, e->nho + 1, sizeof(*e->ho), 64) != KZ_OK)
        return KZ_ENOMEM;
    x = &e->ho[e->nho++];
    x->key = k;
    x->first = first;
    x->last = last;
    return KZ_OK;
}

kz_status
kz_inc_add_addr_host(kz_inc *e, const kz_inc_addr_host *m)
{
    imap *x;

    if (e->ran)
        return KZ_EUSAGE;
    if (m->address == NULL || *m->address == '\0' || m->host == NULL ||
        *m->host == '\0' || m->first == KZ_TIME_NONE)
        return KZ_OK;
    if (e->nam >= e->cfg.max_addr_hosts) {
        e->st.dropped_addr_hosts++;
        return KZ_OK;
    }
    if (kz_grow(&e->am, &e->capam, e->nam + 1, sizeof(*e->am), 64) != KZ_OK)
        return KZ_ENOMEM;
    x = &e->am[e->nam];
    x->addr = dup(e, m->address);
    x->host = host_key(e, m->host);
    x->evidence = dup(e, m->evidence);
    x->first = m->first;
    x->last = m->last == KZ_TIME_NONE || m->last < m->first ? m->first
                                                            : m->last;
    if (x->addr == NULL || x->host == NULL || x->evidence == NULL)
        return KZ_ENOMEM;
    if (*x->host != '\0')
        e->nam++;
    return KZ_OK;
}

/* ---- orders ------------------------------------------------------ */

static int
cmp_time(kz_time a, kz_time b)
{
    return a < b ? -1 : a > b;
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

/* Total order on alerts: time, host key, account key, rule, title,
 * level, file, record, tags, image, hash, command line, logon id, host
 * and account as logged. */
static int
cmp_alert(const void *pa, const void *pb)
{
    const ialert *x = pa, *y = pb;
    const kz_inc_alert *a = &x->row.alert, *b = &y->row.alert;
    int c;

    if ((c = cmp_time(a->time, b->time)) != 0 ||
        (c = strcmp(x->row.host, y->row.host)) != 0 ||
        (c = strcmp(x->row.account, y->row.account)) != 0 ||
        (c = strcmp(a->rule_id, b->rule_id)) != 0 ||
        (c = strcmp(a->title, b->title)) != 0 ||
        (c = cmp_u64(a->level, b->level)) != 0 ||
        (c = strcmp(a->file, b->file)) != 0 ||
        (c = cmp_u64(a->record_id, b->record_id)) != 0 ||
        (c = strcmp(a->tags, b->tags)) != 0 ||
        (c = strcmp(a->image, b->image)) != 0 ||
        (c = strcmp(a->hash, b->hash)) != 0 ||
        (c = strcmp(a->cmdline, b->cmdline)) != 0 ||
        (c = strcmp(a->parent_image, b->parent_image)) != 0 ||
        (c = strcmp(a->logon_id, b->logon_id)) != 0 ||
        (c = strcmp(a->host, b->host)) != 0 ||
        (c = cmp_u64(a->correlation, b->correlation)) != 0)
        return c;
    return strcmp(a->account, b->account);
}

/* Total order on edges: first, target, account, source, logon type,
 * last, count, failed, method, evidence. */
static int
cmp_edge(const void *pa, const void *pb)
{
    const iedge *x = pa, *y = pb;
    const kz_inc_edge *a = &x->e, *b = &y->e;
    int c;

    if ((c = cmp_time(a->first, b->first)) != 0 ||
        (c = strcmp(a->target, b->target)) != 0 ||
        (c = strcmp(a->account, b->account)) != 0 ||
        (c = strcmp(x->source, y->source)) != 0 ||
        (c = cmp_u64(a->src_kind, b->src_kind)) != 0 ||
        (c = (a->logon_type > b->logon_type) -
             (a->logon_type < b->logon_type)) != 0 ||
        (c = cmp_time(a->last, b->last)) != 0 ||
        (c = cmp_u64(a->count, b->count)) != 0 ||
        (c = cmp_u64(a->failed, b->failed)) != 0 ||
        (c = strcmp(a->method, b->method)) != 0)
        return c;
    return strcmp(a->evidence, b->evidence);
}

static int
cmp_host(const void *pa, const void *pb)
{
    const ihost *a = pa, *b = pb;

    return strcmp(a->key, b->key);
}

/* Total order on observations: address, host, first, last, evidence. */
static int
cmp_map(const void *pa, const void *pb)
{
    const imap *a = pa, *b = pb;
    int c;

    if ((c = strcmp(a->addr, b->addr)) != 0 ||
        (c = strcmp(a->host, b->host)) != 0 ||
        (c = cmp_time(a->first, b->first)) != 0 ||
        (c = cmp_time(a->last, b->last)) != 0)
        return c;
    return strcmp(a->evidence, b->evidence);
}

static int
cmp_str(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* ---- a small string set (open addressing) ------------------------ */

typedef struct sset {
    const char **k;
    kz_time *t;
    size_t cap, n;
} sset;

static kz_status
sset_init(sset *s, size_t want)
{
    size_t cap = 16;

    while (cap < want * 2 + 2)
        cap *= 2;
    s->k = calloc(cap, sizeof(*s->k));
    s->t = calloc(cap, sizeof(*s->t));
    s->cap = cap;
    s->n = 0;
    return s->k && s->t ? KZ_OK : KZ_ENOMEM;
}

static void
sset_fini(sset *s)
{
    free(s->k);
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static size_t
sset_slot(const sset *s, const char *k)
{
    size_t i = (size_t)kz_hash(k, strlen(k)) & (s->cap - 1);

    while (s->k[i] != NULL && strcmp(s->k[i], k) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static bool
sset_has(const sset *s, const char *k, kz_time *t)
{
    size_t i = sset_slot(s, k);

    if (s->k[i] == NULL)
        return false;
    if (t != NULL)
        *t = s->t[i];
    return true;
}

/* Adds k (kept pointer) with time t; true when it was new. */
static kz_status
sset_add(sset *s, const char *k, kz_time t, bool *added)
{
    size_t i;

    if (added)
        *added = false;
    if ((s->n + 1) * 2 > s->cap) {
        sset o = *s;
        size_t j;

        if (sset_init(s, s->cap) != KZ_OK) {
            sset_fini(s);
            *s = o;
            return KZ_ENOMEM;
        }
        for (j = 0; j < o.cap; j++)
            if (o.k[j] != NULL) {
                size_t d = sset_slot(s, o.k[j]);

                s->k[d] = o.k[j];
                s->t[d] = o.t[j];
                s->n++;
            }
        sset_fini(&o);
    }
    i = sset_slot(s, k);
    if (s->k[i] != NULL)
        return KZ_OK;
    s->k[i] = k;
    s->t[i] = t;
    s->n++;
    if (added)
        *added = true;
    return KZ_OK;
}

/* ---- identity: bare names join their one domain ------------------ */

typedef struct nk {
    const char *name;
    const char *key;
} nk;

static int
cmp_nk(const void *pa, const void *pb)
{
    const nk *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);

    return c ? c : strcmp(a->key, b->key);
}

/* The one domain account of bare name k, or k. */
static const char *
join_bare(const nk *v, size_t n, const char *k)
{
    size_t lo = 0, hi = n, i;
    const char *found = NULL;

    if (strchr(k, '\\') != NULL)
        return k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(v[mid].name, k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < n && strcmp(v[i].name, k) == 0; i++) {
        if (found != NULL && strcmp(found, v[i].key) != 0)
            return k; /* two domains: stays apart */
        found = v[i].key;
    }
    return found ? found : k;
}

static kz_status
join_accounts(kz_inc *e)
{
    nk *v = malloc((e->nal + e->ned + 1) * sizeof(*v));
    size_t n = 0, i;

    if (v == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < e->nal; i++)
        if (strchr(e->al[i].row.account, '\\') != NULL)
            v[n++] =
                (nk){acct_name(e->al[i].row.account), e->al[i].row.account};
    for (i = 0; i < e->ned; i++)
        if (strchr(e->ed[i].e.account, '\\') != NULL)
            v[n++] = (nk){acct_name(e->ed[i].e.account), e->ed[i].e.account};
    qsort(v, n, sizeof(*v), cmp_nk);
    for (i = 0; i < e->nal; i++)
        e->al[i].row.account = join_bare(v, n, e->al[i].row.account);
    for (i = 0; i < e->ned; i++)
        e->ed[i].e.account = join_bare(v, n, e->ed[i].e.account);
    free(v);
    return KZ_OK;
}

/* ---- clustering -------------------------------------------------- */

typedef struct ktup {
    int kind; /* 0 host, 1 account: separate key spaces */
    const char *key;
    kz_time t;
    size_t idx;
} ktup;

static int
cmp_ktup(const void *pa, const void *pb)
{
    const ktup *a = pa, *b = pb;
    int c = (a->kind > b->kind) - (a->kind < b->kind);

    if (c == 0)
        c = strcmp(a->key, b->key);
    if (c != 0)
        return c;
    if ((c = cmp_time(a->t, b->t)) != 0)
        return c;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static size_t
uf_find(ialert *al, size_t i)
{
    while (al[i].comp != i) {
        al[i].comp = al[al[i].comp].comp;
        i = al[i].comp;
    }
    return i;
}

static void
uf_union(ialert *al, size_t a, size_t b)
{
    a = uf_find(al, a);
    b = uf_find(al, b);
    if (a == b)
        return;
    if (a < b)
        al[b].comp = a; /* the root is the smallest index */
    else
        al[a].comp = b;
}

/* Joins seeds sharing a key within the window: after sorting by (key,
 * time), consecutive seeds of one key within the window are joined,
 * which gives the transitive closure of "same key, within window". */
static kz_status
cluster(kz_inc *e)
{
    ktup *v = malloc((2 * e->nal + 1) * sizeof(*v));
    size_t n = 0, i;

    if (v == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < e->nal; i++) {
        const kz_inc_row *r = &e->al[i].row;

        e->al[i].comp = i;
        if (*r->host != '\0')
            v[n++] = (ktup){0, r->host, r->alert.time, i};
        if (!noise_account(r->account))
            v[n++] = (ktup){1, r->account, r->alert.time, i};
    }
    qsort(v, n, sizeof(*v), cmp_ktup);
    for (i = 1; i < n; i++)
        if (v[i].kind == v[i - 1].kind && strcmp(v[i].key, v[i - 1].key) == 0)
            if (v[i].t - v[i - 1].t <= e->cfg.window)
                uf_union(e->al, v[i].idx, v[i - 1].idx);
    free(v);
    return KZ_OK;
}

/* ---- per incident ------------------------------------------------ */

/* The coverage entry of host key k, or NULL. */
static const ihost *
coverage_of(const kz_inc *e, const char *k)
{
    ihost key = {k, 0, 0};

    if (*k == '\0' || e->nho == 0)
        return NULL;
    return bsearch(&key, e->ho, e->nho, sizeof(*e->ho), cmp_host);
}

/* Whether the logs of candidate host k cover its evidence at t: in the
 * coverage with a first event at least tie_window before t (or unknown);
 * a host missing from the coverage counts as read when its own events
 * gave the evidence (alert, external entry: known_read). */
static bool
logs_cover(const kz_inc *e, const char *k, kz_time t, bool known_read)
{
    const ihost *h = coverage_of(e, k);

    if (h == NULL)
        return known_read;
    return h->first == KZ_TIME_NONE || h->first <= t - e->cfg.tie_window;
}

/* Appends a time to b: through the engine's formatter (the report's
 * zone with its offset), else ISO UTC. */
static kz_status
add_time_fmt(const kz_inc *e, kz_strbuf *b, kz_time t)
{
    if (t == KZ_TIME_NONE)
        return kz_strbuf_adds(b, "unknown time");
    if (e->time_fmt != NULL)
        return e->time_fmt(e->time_ctx, b, t);
    return kz_time_format_iso(b, t, 0);
}

void
kz_inc_set_time_format(kz_inc *e, kz_inc_time_fmt fn, void *ctx)
{
    e->time_fmt = fn;
    e->time_ctx = ctx;
}

/* The scratch buffer, copied (cut); NULL on OOM. */
static const char *
tmp_copy(kz_inc *e)
{
    return dupn(e, e->tmp.data ? e->tmp.data : "", e->tmp.len);
}

typedef struct rowsort {
    int rank;
    size_t seed; /* index in the sorted seeds: time, then total order */
} rowsort;

static int
cmp_rowsort(const void *pa, const void *pb)
{
    const rowsort *a = pa, *b = pb;

    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->seed > b->seed) - (a->seed < b->seed);
}

static const char *
method_of(int type)
{
    switch (type) {
    case 2:
        return "interactive";
    case 3:
        return "network";
    case 4:
        return "batch";
    case 5:
        return "service";
    case 7:
        return "unlock";
    case 8:
        return "network cleartext";
    case 9:
        return "new credentials";
    case 10:
        return "RDP";
    case 11:
        return "cached interactive";
    default:
        return "logon";
    }
}

/* The SHA256 value of a hash list ("SHA1=..,SHA256=..."), else the text. */
static const char *
tool_hash(kz_inc *e, const char *h)
{
    const char *p = h;

    while ((p = strchr(p, '=')) != NULL) {
        if (p - h >= 6 && strncmp(p - 6, "SHA256", 6) == 0) {
            size_t n = strcspn(p + 1, ", ;");

            return dupn(e, p + 1, n);
        }
        p++;
    }
    return h;
}

typedef struct ttup {
    const char *path; /* lower-case image path */
    const char *hash; /* tool_hash of the alert's hash, or "" */
    size_t seed;
} ttup;

static int
cmp_ttup(const void *pa, const void *pb)
{
    const ttup *a = pa, *b = pb;
    int c = strcmp(a->path, b->path);

    if (c == 0)
        c = strcmp(a->hash, b->hash);
    return c ? c : (a->seed > b->seed) - (a->seed < b->seed);
}

static int
cmp_tool(const void *pa, const void *pb)
{
    const kz_inc_tool *a = pa, *b = pb;
    int c;

    if ((c = cmp_time(a->first, b->first)) != 0 ||
        (c = strcmp(a->path, b->path)) != 0)
        return c;
    return strcmp(a->hash, b->hash);
}

/* One tool from the tuples v[lo..hi) plus v[xlo..xhi) (the same path's
 * alerts without a hash, when the tool has one). */
static kz_status
make_tool(kz_inc *e, iinc *c, const ttup *v, size_t lo, size_t hi, size_t xlo,
          size_t xhi)
{
    kz_inc_tool *t = &c->tools[c->pub.n_tools];
    const kz_inc_alert *a;
    const char *p;
    size_t i, first = v[lo].seed;
    sset hs;
    kz_status st;

    for (i = xlo; i < xhi; i++)
        if (v[i].seed < first)
            first = v[i].seed; /* seeds are in time order */
    a = &e->al[first].row.alert;
    t->path = a->image;
    t->name = a->image;
    for (p = a->image; *p; p++)
        if (*p == '\\' || *p == '/')
            t->name = p + 1;
    t->hash = v[lo].hash;
    t->first = a->time;
    t->first_host = e->al[first].row.host;
    if ((st = sset_init(&hs, hi - lo + xhi - xlo)) != KZ_OK)
        return st;
    for (i = lo; i < hi && st == KZ_OK; i++)
        st = sset_add(&hs, e->al[v[i].seed].row.host, 0, NULL);
    for (i = xlo; i < xhi && st == KZ_OK; i++)
        st = sset_add(&hs, e->al[v[i].seed].row.host, 0, NULL);
    t->n_hosts = hs.n;
    sset_fini(&hs);
    c->pub.n_tools++;
    return st;
}

/* Tools: the seeds' images grouped by (path, case-insensitive; hash);
 * alerts of a path without a hash join the path's first hash. */
static kz_status
build_tools(kz_inc *e, iinc *c, const size_t *seeds, size_t ns)
{
    ttup *v = malloc((ns + 1) * sizeof(*v));
    size_t n = 0, i, j, k;
    kz_status st = KZ_OK;

    if (v == NULL)
        return KZ_ENOMEM;
    for (i = 0; i < ns; i++) {
        const kz_inc_alert *a = &e->al[seeds[i]].row.alert;

        if (*a->image == '\0')
            continue;
        kz_strbuf_reset(&e->tmp);
        for (k = 0; a->image[k] != '\0'; k++)
            if ((st = kz_strbuf_addc(&e->tmp,
                                     (char)kz_ascii_lower(
                                         (unsigned char)a->image[k]))) != KZ_OK)
                goto out;
        v[n].path = tmp_copy(e);
        v[n].hash = tool_hash(e, a->hash);
        if (v[n].path == NULL || v[n].hash == NULL) {
            st = KZ_ENOMEM;
            goto out;
        }
        v[n++].seed = seeds[i];
    }
    qsort(v, n, sizeof(*v), cmp_ttup);
    c->tools = calloc(n + 1, sizeof(*c->tools));
    if (c->tools == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i = j) {
        size_t nohash_end = i, g;

        for (j = i; j < n && strcmp(v[j].path, v[i].path) == 0; j++)
            ;
        while (nohash_end < j && *v[nohash_end].hash == '\0')
            nohash_end++; /* "" sorts first */
        if (nohash_end == j) {
            st = make_tool(e, c, v, i, j, 0, 0);
        } else {
            bool first = true;

            for (k = nohash_end; k < j && st == KZ_OK; k = g, first = false) {
                for (g = k; g < j && strcmp(v[g].hash, v[k].hash) == 0; g++)
                    ;
                st = first ? make_tool(e, c, v, k, g, i, nohash_end)
                           : make_tool(e, c, v, k, g, 0, 0);
            }
        }
        if (st != KZ_OK)
            goto out;
    }
    qsort(c->tools, c->pub.n_tools, sizeof(*c->tools), cmp_tool);
    if (c->pub.n_tools > e->cfg.max_tools) {
        e->st.dropped_tools += c->pub.n_tools - e->cfg.max_tools;
        c->pub.n_tools = e->cfg.max_tools;
    }
out:
    free(v);
    return st;
}

static kz_status
add_candidate(kz_inc *e, iinc *c, const char *host, uint8_t kind, bool logs,
              kz_time t)
{
    kz_inc_candidate *x = &c->cands[c->pub.n_candidates++];

    x->host = host;
    x->kind = kind;
    x->logs_read = logs;
    x->time = t;
    x->evidence = tmp_copy(e);
    x->address = "";
    return x->evidence ? KZ_OK : KZ_ENOMEM;
}

static int
cmp_cand(const void *pa, const void *pb)
{
    const kz_inc_candidate *a = pa, *b = pb;
    int c;

    if ((c = cmp_time(a->time, b->time)) != 0 ||
        (c = strcmp(a->host, b->host)) != 0 ||
        (c = cmp_u64(a->kind, b->kind)) != 0)
        return c;
    return strcmp(a->evidence, b->evidence);
}

/* Index of the first edge first seen at or after t (edges are sorted by
 * first time). */
static size_t
edge_from(const kz_inc *e, kz_time t)
{
    size_t lo = 0, hi = e->ned;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (e->ed[mid].e.first < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The address join: the observation naming the one host that internal
 * address a belongs to during [lo, hi] (observations overlapping it),
 * or NULL when none does or two hosts do (ambiguous). */
static const imap *
addr_host(const kz_inc *e, const char *a, kz_time lo, kz_time hi)
{
    const imap *found = NULL;
    size_t l = 0, h = e->nam;

    while (l < h) {
        size_t mid = l + (h - l) / 2;

        if (strcmp(e->am[mid].addr, a) < 0)
            l = mid + 1;
        else
            h = mid;
    }
    for (; l < e->nam && strcmp(e->am[l].addr, a) == 0; l++) {
        const imap *m = &e->am[l];

        if (m->first > hi || m->last < lo)
            continue;
        if (found != NULL && strcmp(found->host, m->host) != 0)
            return NULL;
        if (found == NULL)
            found = m;
    }
    return found;
}

/* The source of edge x within the incident span [lo, hi]: an internal
 * address joined to its host (*kind KZ_INC_SRC_HOST, *via the
 * observation), else the edge's own source. */
static const char *
edge_source(const kz_inc *e, const iedge *x, kz_time lo, kz_time hi,
            uint8_t *kind, const imap **via)
{
    const imap *m = NULL;

    *via = NULL;
    *kind = x->e.src_kind;
    if (x->e.src_kind == KZ_INC_SRC_INTERNAL && *x->source != '\0')
        m = addr_host(e, x->source, lo, hi);
    if (m == NULL)
        return x->source;
    *via = m;
    *kind = KZ_INC_SRC_HOST;
    return m->host;
}

/* Appends how a joined address was seen to be its host. */
static kz_status
add_join(kz_inc *e, const imap *m)
{
    kz_status st;

    if ((st = kz_strbuf_addf(&e->tmp, "%s = %s", m->addr, m->host)) !=
        KZ_OK)
        return st;
    if (*m->evidence != '\0' &&
        (st = kz_strbuf_addf(&e->tmp, " by %s", m->evidence)) != KZ_OK)
        return st;
    if ((st = kz_strbuf_adds(&e->tmp, " seen ")) != KZ_OK ||
        (st = add_time_fmt(e, &e->tmp, m->first)) != KZ_OK)
        return st;
    if (m->last != m->first &&
        ((st = kz_strbuf_adds(&e->tmp, " to ")) != KZ_OK ||
         (st = add_time_fmt(e, &e->tmp, m->last)) != KZ_OK))
        return st;
    return KZ_OK;
}

/* Lateral movement (steps) and patient zero of one incident. */
static kz_status
build_path(kz_inc *e, iinc *c, const size_t *seeds, size_t ns)
{
    sset reached = {0}, allowed = {0}, inset = {0};
    kz_time t0 = e->al[seeds[0]].row.alert.time, tent = KZ_TIME_NONE;
    kz_time tend = c->pub.last + e->cfg.window, te;
    kz_time jlo = t0 - (e->cfg.lead > e->cfg.tie_window ? e->cfg.lead
                                                        : e->cfg.tie_window);
    size_t i, maxc, nearly;
    kz_status st;
    bool b;

    c->pub.start_host = e->al[seeds[0]].row.host;
    if ((st = sset_init(&reached, 16)) != KZ_OK ||
        (st = sset_init(&allowed, c->pub.n_accounts + 8)) != KZ_OK ||
        (st = sset_init(&inset, c->pub.n_hosts + 8)) != KZ_OK)
        goto out;
    for (i = 0; i < c->pub.n_accounts; i++)
        if ((st = sset_add(&allowed, c->accounts[i], 0, NULL)) != KZ_OK)
            goto out;
    if (*c->pub.start_host != '\0' &&
        (st = sset_add(&reached, c->pub.start_host, t0, NULL)) != KZ_OK)
        goto out;
    /* steps grow as hosts are reached (most incidents reach few) */
    c->steps = NULL;
    c->cap_steps = 0;
    /* 4. the walk, in first-seen order */
    for (i = edge_from(e, t0 - e->cfg.tie_window); i < e->ned; i++) {
        const iedge *x = &e->ed[i];
        const imap *via;
        kz_time tr;
        kz_inc_step *s;

        if (x->e.first < t0 - e->cfg.tie_window)
            continue;
        if (x->e.first > tend)
            break;
        if (sset_has(&reached, x->e.target, &tr)) {
            if (x->e.first >= tr && !noise_account(x->e.account) &&
                (st = sset_add(&allowed, x->e.account, 0, NULL)) != KZ_OK)
                goto out;
            continue;
        }
        if (!sset_has(&allowed, x->e.account, NULL))
            continue;
        if ((st = sset_add(&reached, x->e.target, x->e.first, NULL)) != KZ_OK)
            goto out;
        if (c->pub.n_steps >= e->cfg.max_steps) {
            e->st.dropped_steps++;
            continue;
        }
        if ((st = kz_grow(&c->steps, &c->cap_steps, c->pub.n_steps + 1,
                          sizeof(*c->steps), 4)) != KZ_OK)
            goto out;
        s = &c->steps[c->pub.n_steps++];
        memset(s, 0, sizeof(*s));
        s->from = edge_source(e, x, jlo, tend, &s->from_kind, &via);
        s->to = x->e.target;
        s->account = x->e.account;
        s->time = x->e.first;
        s->logon_type = x->e.logon_type;
        s->method = *x->e.method ? x->e.method : method_of(x->e.logon_type);
        s->evidence = x->e.evidence;
        s->from_address = via != NULL ? x->source : "";
        if (via != NULL) {
            kz_strbuf_reset(&e->tmp);
            if ((st = kz_strbuf_addf(&e->tmp, "%s%s", x->e.evidence,
                                     *x->e.evidence ? "; " : "")) != KZ_OK ||
                (st = add_join(e, via)) != KZ_OK)
                goto out;
            if ((s->evidence = tmp_copy(e)) == NULL) {
                st = KZ_ENOMEM;
                goto out;
            }
        }
    }
    /* 5. patient zero */
    for (i = 0; i < c->pub.n_hosts; i++)
        if ((st = sset_add(&inset, c->hosts[i], 0, NULL)) != KZ_OK)
            goto out;
    for (i = 0; i < reached.cap; i++)
        if (reached.k[i] != NULL &&
            (st = sset_add(&inset, reached.k[i], 0, NULL)) != KZ_OK)
            goto out;
    maxc = e->cfg.max_candidates;
    if (maxc > ns + e->ned)
        maxc = ns + e->ned; /* no more can come */
    c->cands = calloc(2 * maxc + 2, sizeof(*c->cands));
    if (c->cands == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < ns; i++) {
        const kz_inc_row *r = &e->al[seeds[i]].row;

        if (r->alert.time > t0 + e->cfg.tie_window)
            break;
        if (*r->host == '\0' || c->pub.n_candidates >= maxc) {
            if (*r->host != '\0')
                e->st.dropped_candidates++;
            continue;
        }
        kz_strbuf_reset(&e->tmp);
        if ((st = kz_strbuf_addf(&e->tmp, "alert \"%s\" (%s) at ",
                                 r->alert.title, r->alert.rule_id)) != KZ_OK ||
            (st = add_time_fmt(e, &e->tmp, r->alert.time)) != KZ_OK)
            goto out;
        if (*r->alert.file != '\0' &&
            (st = kz_strbuf_addf(&e->tmp, " in %s", r->alert.file)) != KZ_OK)
            goto out;
        if (r->alert.record_id != UINT64_MAX &&
            (st = kz_strbuf_addf(&e->tmp, " record %llu",
                                 (unsigned long long)r->alert.record_id)) !=
                KZ_OK)
            goto out;
        if ((st = add_candidate(e, c, r->host, KZ_INC_CAND_ALERT,
                                logs_cover(e, r->host, r->alert.time, true),
                                r->alert.time)) != KZ_OK)
            goto out;
    }
    /* first logons into the incident: from outside its hosts, by its
     * accounts, from lead before the earliest seed to tie after it */
    for (i = edge_from(e, t0 - e->cfg.lead); i < e->ned; i++) {
        const iedge *x = &e->ed[i];
        const imap *via;
        const char *src;
        uint8_t kind;
        bool ext, logs;

        if (x->e.first < t0 - e->cfg.lead)
            continue;
        if (x->e.first > t0 + e->cfg.tie_window ||
            (tent != KZ_TIME_NONE && x->e.first > tent + e->cfg.tie_window))
            break;
        src = edge_source(e, x, jlo, tend, &kind, &via);
        if (x->e.src_kind == KZ_INC_SRC_NONE || *src == '\0' ||
            !sset_has(&inset, x->e.target, NULL) ||
            sset_has(&inset, src, NULL) ||
            !sset_has(&allowed, x->e.account, NULL))
            continue;
        if (tent == KZ_TIME_NONE)
            tent = x->e.first;
        if (c->pub.n_candidates >= 2 * maxc) {
            e->st.dropped_candidates++;
            continue;
        }
        ext = kind == KZ_INC_SRC_EXTERNAL;
        logs = logs_cover(e, ext ? x->e.target : src, x->e.first, ext);
        kz_strbuf_reset(&e->tmp);
        if ((st = kz_strbuf_addf(
                 &e->tmp, "logon of %s from %s%s to %s (%s) at ", x->e.account,
                 ext ? "external address " : "", src, x->e.target,
                 *x->e.method ? x->e.method : method_of(x->e.logon_type))) !=
                KZ_OK ||
            (st = add_time_fmt(e, &e->tmp, x->e.first)) != KZ_OK)
            goto out;
        if (*x->e.evidence != '\0' &&
            (st = kz_strbuf_addf(&e->tmp, ", %s", x->e.evidence)) != KZ_OK)
            goto out;
        if (via != NULL && ((st = kz_strbuf_adds(&e->tmp, ", ")) != KZ_OK ||
                            (st = add_join(e, via)) != KZ_OK))
            goto out;
        if ((st = add_candidate(e, c, ext ? x->e.target : src,
                                ext ? KZ_INC_CAND_EXTERNAL : KZ_INC_CAND_SOURCE,
                                logs, x->e.first)) != KZ_OK)
            goto out;
        if (via != NULL)
            c->cands[c->pub.n_candidates - 1].address = x->source;
    }
    /* one candidate per host: its earliest evidence */
    qsort(c->cands, c->pub.n_candidates, sizeof(*c->cands), cmp_cand);
    sset_fini(&inset);
    if ((st = sset_init(&inset, c->pub.n_candidates + 1)) != KZ_OK)
        goto out;
    {
        size_t w = 0;

        for (i = 0; i < c->pub.n_candidates; i++) {
            if ((st = sset_add(&inset, c->cands[i].host, 0, &b)) != KZ_OK)
                goto out;
            if (b)
                c->cands[w++] = c->cands[i];
        }
        c->pub.n_candidates = w;
        if (w > maxc) {
            e->st.dropped_candidates += w - maxc;
            c->pub.n_candidates = maxc;
        }
    }
    /* the verdict */
    c->pub.patient_zero = NULL;
    if (c->pub.n_candidates == 0) {
        c->pub.reason = "the earliest seed alerts name no host";
        goto out;
    }
    te = c->cands[0].time;
    for (nearly = 0; nearly < c->pub.n_candidates &&
                     c->cands[nearly].time <= te + e->cfg.tie_window;
         nearly++)
        ;
    kz_strbuf_reset(&e->tmp);
    for (i = 0; i < nearly; i++)
        if (!c->cands[i].logs_read)
            break;
    if (i < nearly && coverage_of(e, c->cands[i].host) != NULL) {
        const ihost *h = coverage_of(e, c->cands[i].host);

        if ((st = kz_strbuf_addf(&e->tmp, "the logs of %s begin at ",
                                 c->cands[i].host)) == KZ_OK &&
            (st = add_time_fmt(e, &e->tmp, h->first)) == KZ_OK)
            st = kz_strbuf_addf(
                &e->tmp,
                ", less than %lld min before its earliest activity (%s): "
                "earlier activity may be missing",
                (long long)(e->cfg.tie_window / (60 * KZ_INC_SECOND)),
                c->cands[i].evidence);
    } else if (i < nearly) {
        st = kz_strbuf_addf(&e->tmp,
                            "the earliest activity comes from %s whose logs "
                            "were not read (%s)",
                            c->cands[i].host, c->cands[i].evidence);
    } else if (nearly == 1) {
        const kz_inc_candidate *x = &c->cands[0];

        c->pub.patient_zero = x->host;
        if (x->kind == KZ_INC_CAND_ALERT)
            st =
                kz_strbuf_addf(&e->tmp, "earliest seed alert: %s", x->evidence);
        else if (x->kind == KZ_INC_CAND_EXTERNAL)
            st = kz_strbuf_addf(&e->tmp,
                                "first logon into the incident from outside "
                                "the network: %s",
                                x->evidence);
        else
            st = kz_strbuf_addf(&e->tmp,
                                "first logon into the incident came from this "
                                "host (its logs were read): %s",
                                x->evidence);
    } else {
        st = kz_strbuf_addf(
            &e->tmp,
            "several hosts start within the tie window "
            "(%lld min):",
            (long long)(e->cfg.tie_window / (60 * KZ_INC_SECOND)));
        for (i = 0; i < nearly && i < 8 && st == KZ_OK; i++)
            st = kz_strbuf_addf(&e->tmp, "%s %s", i ? "," : "",
                                c->cands[i].host);
        if (st == KZ_OK && nearly > 8)
            st = kz_strbuf_adds(&e->tmp, ", ...");
    }
    if (st != KZ_OK)
        goto out;
    c->pub.reason = tmp_copy(e);
    if (c->pub.reason == NULL)
        st = KZ_ENOMEM;
out:
    sset_fini(&reached);
    sset_fini(&allowed);
    sset_fini(&inset);
    return st;
}

/* Builds incident c from its seeds (indexes into e->al, ascending). */
static kz_status
build_incident(kz_inc *e, iinc *c, const size_t *seeds, size_t ns)
{
    sset hs = {0}, as = {0};
    rowsort *rs = NULL;
    size_t i, nt = 0, capt = 0;
    kz_status st;
    bool added;

    c->pub.first = e->al[seeds[0]].row.alert.time;
    c->pub.last = c->pub.first;
    c->pub.n_seeds = ns;
    c->hosts = calloc(ns + 1, sizeof(*c->hosts));
    c->accounts = calloc(ns + 1, sizeof(*c->accounts));
    rs = malloc((ns + 1) * sizeof(*rs));
    if (c->hosts == NULL || c->accounts == NULL || rs == NULL ||
        (st = sset_init(&hs, 16)) != KZ_OK ||
        (st = sset_init(&as, 16)) != KZ_OK) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < ns; i++) {
        const ialert *x = &e->al[seeds[i]];
        const kz_inc_alert *a = &x->row.alert;
        const char *p = a->tags;

        if (a->time > c->pub.last)
            c->pub.last = a->time;
        if (a->level > c->pub.max_level)
            c->pub.max_level = a->level;
        if (*x->row.host != '\0') {
            if ((st = sset_add(&hs, x->row.host, 0, &added)) != KZ_OK)
                goto out;
            if (added)
                c->hosts[c->pub.n_hosts++] = x->row.host;
        }
        if (!noise_account(x->row.account)) {
            if ((st = sset_add(&as, x->row.account, 0, &added)) != KZ_OK)
                goto out;
            if (added)
                c->accounts[c->pub.n_accounts++] = x->row.account;
        }
        rs[i].rank = x->rank;
        rs[i].seed = seeds[i];
        /* techniques: attack.tNNNN[.NNN] */
        while (p != NULL && *p != '\0') {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p), k;

            while (n > 0 && *p == ' ') {
                p++;
                n--;
            }
            if (n > 8 && strncmp(p, "attack.", 7) == 0 &&
                (p[7] == 't' || p[7] == 'T') && p[8] >= '0' && p[8] <= '9') {
                const char *t;

                kz_strbuf_reset(&e->tmp);
                for (k = 7; k < n && p[k] != ' '; k++)
                    if (kz_strbuf_addc(
                            &e->tmp, (char)(p[k] == 't' ? 'T' : p[k])) != KZ_OK)
                        break;
                t = tmp_copy(e);
                if (t == NULL ||
                    kz_grow(&c->techniques, &capt, nt + 1,
                            sizeof(*c->techniques), 64) != KZ_OK) {
                    st = KZ_ENOMEM;
                    goto out;
                }
                c->techniques[nt++] = t;
            }
            p = end ? end + 1 : NULL;
        }
    }
    /* techniques sorted, unique */
    if (nt > 0) {
        size_t w = 1;

        qsort(c->techniques, nt, sizeof(*c->techniques), cmp_str);
        for (i = 1; i < nt; i++)
            if (strcmp(c->techniques[i], c->techniques[w - 1]) != 0)
                c->techniques[w++] = c->techniques[i];
        nt = w;
    }
    c->pub.n_techniques = nt;
    /* rows in kill-chain order */
    qsort(rs, ns, sizeof(*rs), cmp_rowsort);
    c->pub.n_rows = ns < e->cfg.max_rows ? ns : e->cfg.max_rows;
    e->st.dropped_rows += ns - c->pub.n_rows;
    c->rows = calloc(c->pub.n_rows + 1, sizeof(*c->rows));
    if (c->rows == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    for (i = 0; i < c->pub.n_rows; i++)
        c->rows[i] = e->al[rs[i].seed].row;
    if ((st = build_tools(e, c, seeds, ns)) != KZ_OK)
        goto out;
    st = build_path(e, c, seeds, ns);
out:
    sset_fini(&hs);
    sset_fini(&as);
    free(rs);
    c->pub.hosts = c->hosts;
    c->pub.accounts = c->accounts;
    c->pub.techniques = c->techniques;
    c->pub.rows = c->rows;
    c->pub.tools = c->tools;
    c->pub.steps = c->steps;
    c->pub.candidates = c->cands;
    return st;
}

kz_status
kz_inc_run(kz_inc *e)
{
    size_t *order = NULL, *start = NULL, i, w;
    kz_status st;

    if (e->ran)
        return KZ_EUSAGE;
    e->ran = true;
    if ((st = join_accounts(e)) != KZ_OK)
        return st;
    if (e->nal > 0)
        qsort(e->al, e->nal, sizeof(*e->al), cmp_alert);
    if (e->ned > 0)
        qsort(e->ed, e->ned, sizeof(*e->ed), cmp_edge);
    if (e->nho > 0)
        qsort(e->ho, e->nho, sizeof(*e->ho), cmp_host);
    if (e->nam > 0)
        qsort(e->am, e->nam, sizeof(*e->am), cmp_map);
    /* coverage: one entry per host, widest span */
    for (i = 0, w = 0; i < e->nho; i++) {
        if (w > 0 && strcmp(e->ho[w - 1].key, e->ho[i].key) == 0) {
            ihost *h = &e->ho[w - 1];

            if (h->first == KZ_TIME_NONE ||
                (e->ho[i].first != KZ_TIME_NONE && e->ho[i].first < h->first))
                h->first = e->ho[i].first;
            if (e->ho[i].last != KZ_TIME_NONE && e->ho[i].last > h->last)
                h->last = e->ho[i].last;
            continue;
        }
        e->ho[w++] = e->ho[i];
    }
    e->nho = w;
    if (e->nal == 0)
        return KZ_OK;
    if ((st = cluster(e)) != KZ_OK)
        return st;
    /* components in order of their smallest seed (= first seed time, then
     * the alerts' total order, whose second key is the host) */
    order = malloc(e->nal * sizeof(*order));
    start = calloc(e->nal + 1, sizeof(*start));
    if (order == NULL || start == NULL) {
        st = KZ_ENOMEM;
        goto out;
    }
    {
        /* counting sort of seeds by root: roots are smallest indexes */
        size_t *cnt = start, nroot = 0, *slot;

        for (i = 0; i < e->nal; i++)
            cnt[uf_find(e->al, i)]++;
        for (i = 0; i < e->nal; i++)
            if (cnt[i] > 0)
                nroot++;
        e->inc = calloc(nroot + 1, sizeof(*e->inc));
        slot = malloc((e->nal + 1) * sizeof(*slot));
        if (e->inc == NULL || slot == NULL) {
            free(slot);
            st = KZ_ENOMEM;
            goto out;
        }
        for (i = 0, w = 0; i < e->nal; i++) {
            size_t c = cnt[i];

            slot[i] = w;
            w += c;
        }
        for (i = 0; i < e->nal; i++)
            order[slot[e->al[i].comp]++] = i; /* comp is the root now */
        for (i = 0, w = 0; i < e->nal; i++) {
            if (cnt[i] == 0)
                continue;
            if (e->ninc >= e->cfg.max_incidents) {
                e->st.dropped_incidents++;
            } else {
                iinc *c = &e->inc[e->ninc++];

                c->pub.id = e->ninc;
                st = build_incident(e, c, order + slot[i] - cnt[i], cnt[i]);
                if (st != KZ_OK) {
                    free(slot);
                    goto out;
                }
            }
        }
        free(slot);
    }
    st = KZ_OK;
out:
    free(order);
    free(start);
    return st;
}

size_t
kz_inc_count(const kz_inc *e)
{
    return e->ninc;
}

const kz_incident *
kz_inc_at(const kz_inc *e, size_t i)
{
    return i < e->ninc ? &e->inc[i].pub : NULL;
}

void
kz_inc_first_host(const kz_inc *e, const char **host, const char **reason)
{
    size_t i, best = 0;

    if (e->ninc == 0) {
        *host = NULL;
        *reason = "no seed alerts";
        return;
    }
    for (i = 1; i < e->ninc; i++)
        if (e->inc[i].pub.max_level > e->inc[best].pub.max_level)
            best = i;
    *host = e->inc[best].pub.patient_zero;
    *reason = e->inc[best].pub.reason;
}

void
kz_inc_get_stats(const kz_inc *e, kz_inc_stats *st)
{
    *st = e->st;
}
