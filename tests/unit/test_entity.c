/*
 * test_entity.c - the entity table (src/investigate/entity.h): host
 * identity and spellings, SID and UPN links, admin via 4672, bare names
 * and SIDs joined, address -> host observations (machine account,
 * workstation name; never external, loopback or failed), caps and
 * determinism; and the incident engine's address join
 * (incident.h kz_inc_add_addr_host), table-driven with negative rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/entity.h"
#include "investigate/incident.h"
#include "t.h"

static kz_time t_base;
#define MIN (60 * KZ_INC_SECOND)

static kz_time
at(int minutes)
{
    if (t_base == 0) {
        kz_civil c = {2023, 6, 4, 16, 0, 0, 0};

        kz_time_from_civil(&c, &t_base);
    }
    return t_base + (kz_time)minutes * MIN;
}

/* A compact fact: minute, event id, result, host, domain, name, sid,
 * address, workstation, share/service. */
typedef struct frow {
    int min;
    uint32_t eid;
    int result;
    const char *host, *domain, *name, *sid, *addr, *ws, *service;
} frow;

static kz_str
S(const char *s)
{
    kz_str x;

    x.p = s != NULL ? s : "";
    x.len = s != NULL ? strlen(s) : 0;
    return x;
}

static void
add_facts(kz_ent *e, const frow *r, size_t n, const size_t *order)
{
    size_t k;

    for (k = 0; k < n; k++) {
        const frow *x = &r[order != NULL ? order[k] : k];
        kz_logon_fact f;

        memset(&f, 0, sizeof(f));
        f.event_id = x->eid;
        f.time = at(x->min);
        f.result = (uint8_t)x->result;
        f.logon_type = x->eid == 4624 ? 3 : KZ_LOGON_TYPE_NONE;
        f.host = S(x->host);
        f.domain = S(x->domain);
        f.name = S(x->name);
        f.sid = S(x->sid);
        f.address = S(x->addr);
        f.workstation = S(x->ws);
        f.service = S(x->service);
        f.auth = S(NULL);
        f.status = S(NULL);
        T_EQ_INT(kz_ent_add_fact(e, &f), KZ_OK);
    }
}

#define OK KZ_LOGON_SUCCESS
#define FAIL KZ_LOGON_FAILURE
#define PRIV KZ_LOGON_PRIVILEGED

static const frow facts[] = {
    /* alice: a logon with her SID, admin rights on ws01, a service
     * installed under her bare SID on ws02, a Kerberos ticket as UPN */
    {0, 4624, OK, "WS01.corp.local", "CORP", "alice", "S-1-5-21-9-1001",
     "10.0.0.9", "WS09", NULL},
    {0, 4672, PRIV, "WS01.corp.local", "CORP", "alice", "S-1-5-21-9-1001", NULL,
     NULL, NULL},
    {5, 7045, OK, "ws02", NULL, NULL, "S-1-5-21-9-1001", NULL, NULL, "evil"},
    {6, 4769, OK, "DC01.corp.local", NULL, "alice@CORP.LOCAL", NULL,
     "::ffff:10.0.0.9", NULL, "cifs/fs01"},
    /* the machine account of ws09 asks a TGT from 10.0.0.9 */
    {7, 4768, OK, "DC01.corp.local", "CORP", "WS09$", "S-1-5-21-9-3001",
     "::ffff:10.0.0.9", NULL, NULL},
    /* bob: a bare name (4776) and a domain one */
    {8, 4776, OK, "dc01", NULL, "bob", NULL, NULL, "WS03", NULL},
    {9, 4624, OK, "fs01", "CORP", "bob", "S-1-5-21-9-1002", "10.0.0.7", "WSA",
     NULL},
    /* 10.0.0.7 also claims to be wsb: ambiguous */
    {10, 4624, OK, "fs01", "CORP", "bob", "S-1-5-21-9-1002", "10.0.0.7", "WSB",
     NULL},
    /* a file server role; an external source; loopback; a failure */
    {11, 5140, OK, "fs01", "CORP", "bob", "S-1-5-21-9-1002", "10.0.0.7", NULL,
     "\\\\*\\Sales"},
    {12, 4624, OK, "fs01", "CORP", "bob", NULL, "203.0.113.5", "KALI", NULL},
    {13, 4624, OK, "ws01", "CORP", "WS01$", NULL, "127.0.0.1", "WS01", NULL},
    {14, 4625, FAIL, "fs01", "CORP", "carol", NULL, "10.0.0.8", "WSX", NULL},
};

static kz_ent *
make(const size_t *order)
{
    kz_ent *e = kz_ent_new(NULL);

    T_CHECK(e != NULL, "kz_ent_new");
    add_facts(e, facts, T_COUNT(facts), order);
    T_EQ_INT(
        kz_ent_add_coverage(e, "WS01.corp.local", 15, 100, at(-60), at(60)),
        KZ_OK);
    T_EQ_INT(kz_ent_add_coverage(e, "ws01", 4, 5, at(-90), at(10)), KZ_OK);
    T_EQ_INT(kz_ent_finish(e), KZ_OK);
    return e;
}

static const kz_ent_account *
account(const kz_ent *e, const char *key)
{
    size_t i;

    for (i = 0; i < kz_ent_n_accounts(e); i++)
        if (strcmp(kz_ent_account_at(e, i)->key, key) == 0)
            return kz_ent_account_at(e, i);
    return NULL;
}

static const kz_ent_host *
host(const kz_ent *e, const char *key)
{
    size_t i;

    for (i = 0; i < kz_ent_n_hosts(e); i++)
        if (strcmp(kz_ent_host_at(e, i)->key, key) == 0)
            return kz_ent_host_at(e, i);
    return NULL;
}

static const kz_ent_addr *
address(const kz_ent *e, const char *a)
{
    size_t i;

    for (i = 0; i < kz_ent_n_addrs(e); i++)
        if (strcmp(kz_ent_addr_at(e, i)->address, a) == 0)
            return kz_ent_addr_at(e, i);
    return NULL;
}

static void
test_accounts_sid_upn_admin(void)
{
    kz_ent *e = make(NULL);
    const kz_ent_account *a = account(e, "corp\\alice");

    T_CHECK(a != NULL, "corp\\alice missing");
    if (a != NULL) {
        T_EQ_STR(a->label, "CORP\\alice");
        T_EQ_INT(a->n_sids, 1);
        if (a->n_sids == 1)
            T_EQ_STR(a->sids[0], "S-1-5-21-9-1001");
        T_CHECK(a->upn != NULL, "no UPN");
        if (a->upn != NULL)
            T_EQ_STR(a->upn, "alice@CORP.LOCAL");
        T_CHECK(a->admin, "4672 not seen");
        T_EQ_INT(a->n_admin_hosts, 1);
        if (a->n_admin_hosts == 1)
            T_EQ_STR(a->admin_hosts[0], "ws01");
        /* the bare-SID 7045 joined: ws02 among her hosts */
        T_EQ_INT(a->n_hosts, 2);
        if (a->n_hosts == 2) {
            T_EQ_STR(a->hosts[0], "ws01");
            T_EQ_STR(a->hosts[1], "ws02");
        }
        T_EQ_INT(a->logons, 2);
        T_EQ_INT(a->auths, 1);
        T_CHECK(a->first == at(0) && a->last == at(6), "first/last");
    }
    T_CHECK(account(e, "S-1-5-21-9-1001") == NULL, "bare SID not joined");
    /* bob's bare 4776 joined corp\bob */
    T_CHECK(account(e, "bob") == NULL, "bare name not joined");
    a = account(e, "corp\\bob");
    T_CHECK(a != NULL && !a->admin && a->auths == 1 && a->logons == 4,
            "corp\\bob");
    a = account(e, "corp\\carol");
    T_CHECK(a != NULL && a->failures == 1 && a->logons == 0 &&
                a->first == KZ_TIME_NONE,
            "carol's failure");
    a = account(e, "corp\\ws09$");
    T_CHECK(a != NULL && a->machine, "machine account");
    kz_ent_free(e);
}

static void
test_hosts_identity_roles(void)
{
    kz_ent *e = make(NULL);
    const kz_ent_host *h = host(e, "ws01");

    T_CHECK(h != NULL, "ws01 missing");
    if (h != NULL) {
        /* WS01.corp.local, ws01 (coverage and 4624), WS01 (workstation) */
        T_EQ_INT(h->n_spellings, 3);
        T_CHECK(h->logs_read && h->events == 105, "coverage");
        T_CHECK(h->first == at(-90) && h->last == at(60), "coverage span");
        T_EQ_INT(h->n_addrs, 0); /* loopback never maps */
    }
    h = host(e, "dc01");
    T_CHECK(h != NULL && h->roles == KZ_HOST_DC && !h->logs_read, "dc01");
    h = host(e, "fs01");
    T_CHECK(h != NULL && h->roles == KZ_HOST_FILE_SERVER, "fs01 role");
    h = host(e, "ws09");
    T_CHECK(h != NULL && h->machine != NULL &&
                strcmp(h->machine, "CORP\\ws09$") == 0 && h->n_addrs == 2,
            "ws09: machine account and two observations");
    kz_ent_free(e);
}

/* Address rows: address, internal, mapped host (NULL), hosts observed. */
typedef struct drow {
    const char *addr;
    bool internal;
    const char *host;
    size_t n_hosts;
    uint64_t logons, failures;
} drow;

static void
test_addresses(void)
{
    static const drow rows[] = {
        {"10.0.0.9", true, "ws09", 1, 3, 0},   /* machine + workstation */
        {"10.0.0.7", true, NULL, 2, 3, 0},     /* ambiguous: wsa, wsb */
        {"203.0.113.5", false, NULL, 0, 1, 0}, /* external: never */
        {"127.0.0.1", true, NULL, 0, 1, 0},    /* loopback: never */
        {"10.0.0.8", true, NULL, 0, 0, 1},     /* failure: never */
    };
    kz_ent *e = make(NULL);
    size_t i, n9 = 0;

    for (i = 0; i < T_COUNT(rows); i++) {
        const kz_ent_addr *a = address(e, rows[i].addr);

        T_CHECK(a != NULL, "row %zu: %s missing", i, rows[i].addr);
        if (a == NULL)
            continue;
        T_CHECK(a->internal == rows[i].internal, "row %zu: internal", i);
        T_CHECK((a->host == NULL) == (rows[i].host == NULL) &&
                    (a->host == NULL || strcmp(a->host, rows[i].host) == 0),
                "row %zu: host %s", i, a->host ? a->host : "(none)");
        T_CHECK(a->n_hosts == rows[i].n_hosts, "row %zu: %zu hosts", i,
                a->n_hosts);
        T_CHECK(a->logons == rows[i].logons && a->failures == rows[i].failures,
                "row %zu: %llu logons %llu failures", i,
                (unsigned long long)a->logons, (unsigned long long)a->failures);
    }
    for (i = 0; i < kz_ent_n_maps(e); i++) {
        const kz_ent_map *m = kz_ent_map_at(e, i);

        if (strcmp(m->address, "10.0.0.9") == 0) {
            n9++;
            T_EQ_STR(m->host, "ws09");
        }
        T_CHECK(strcmp(m->address, "203.0.113.5") != 0 &&
                    strcmp(m->address, "127.0.0.1") != 0 &&
                    strcmp(m->address, "10.0.0.8") != 0,
                "unexpected observation of %s", m->address);
    }
    T_EQ_INT(n9, 2); /* by machine account (4768), by workstation (4624) */
    kz_ent_free(e);
}

/* The whole table as text (determinism). */
static void
dump(const kz_ent *e, char *buf, size_t cap)
{
    size_t i, j, n = 0;

#define P(...)                                                                 \
    do {                                                                       \
        int w = snprintf(buf + n, cap - n, __VA_ARGS__);                       \
        if (w > 0 && (size_t)w < cap - n)                                      \
            n += (size_t)w;                                                    \
    } while (0)
    for (i = 0; i < kz_ent_n_hosts(e); i++) {
        const kz_ent_host *h = kz_ent_host_at(e, i);

        P("H %s %u %d %s |", h->key, h->roles, h->logs_read,
          h->machine ? h->machine : "-");
        for (j = 0; j < h->n_spellings; j++)
            P(" %s", h->spellings[j]);
        for (j = 0; j < h->n_addrs; j++)
            P(" @%s", h->addrs[j]->address);
        P("\n");
    }
    for (i = 0; i < kz_ent_n_accounts(e); i++) {
        const kz_ent_account *a = kz_ent_account_at(e, i);

        P("A %s %s %d %llu %llu %llu %s |", a->key, a->label, a->admin,
          (unsigned long long)a->logons, (unsigned long long)a->auths,
          (unsigned long long)a->failures, a->upn ? a->upn : "-");
        for (j = 0; j < a->n_sids; j++)
            P(" %s", a->sids[j]);
        for (j = 0; j < a->n_hosts; j++)
            P(" %s", a->hosts[j]);
        P("\n");
    }
    for (i = 0; i < kz_ent_n_addrs(e); i++) {
        const kz_ent_addr *a = kz_ent_addr_at(e, i);

        P("D %s %d %s %zu\n", a->address, a->internal, a->host ? a->host : "-",
          a->n_hosts);
    }
    for (i = 0; i < kz_ent_n_maps(e); i++) {
        const kz_ent_map *m = kz_ent_map_at(e, i);

        P("M %s %s %u %llu\n", m->address, m->host, m->how,
          (unsigned long long)m->count);
    }
#undef P
}

static void
test_determinism(void)
{
    static char ref[16384], got[16384];
    size_t order[T_COUNT(facts)], i, k, j, t;
    unsigned seed = 7;
    kz_ent *e = make(NULL);

    dump(e, ref, sizeof(ref));
    kz_ent_free(e);
    for (k = 0; k < 20; k++) {
        for (i = 0; i < T_COUNT(facts); i++)
            order[i] = i;
        for (i = T_COUNT(facts) - 1; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            j = (seed >> 16) % (i + 1);
            t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        e = make(order);
        dump(e, got, sizeof(got));
        T_CHECK(strcmp(ref, got) == 0, "shuffle %zu differs:\n%s\nvs\n%s", k,
                ref, got);
        kz_ent_free(e);
    }
}

static void
test_caps(void)
{
    kz_ent_opts o;
    kz_ent_stats st;
    kz_ent *e;
    const kz_ent_account *a;

    memset(&o, 0, sizeof(o));
    o.max_hosts = 2;
    o.max_accounts = 2;
    o.max_addrs = 1;
    o.max_maps = 1;
    o.max_links = 1;
    o.max_text = 8;
    e = kz_ent_new(&o);
    T_CHECK(e != NULL, "kz_ent_new");
    add_facts(e, facts, T_COUNT(facts), NULL);
    T_EQ_INT(kz_ent_finish(e), KZ_OK);
    kz_ent_get_stats(e, &st);
    T_CHECK(kz_ent_n_hosts(e) == 2 && st.dropped_hosts > 0, "hosts cap");
    T_CHECK(kz_ent_n_accounts(e) <= 2 && st.dropped_accounts > 0,
            "accounts cap");
    T_CHECK(kz_ent_n_addrs(e) == 1 && st.dropped_addrs > 0, "addrs cap");
    T_CHECK(kz_ent_n_maps(e) <= 1, "maps cap");
    T_CHECK(st.cut_values > 0, "values cut");
    a = kz_ent_account_at(e, 0);
    T_CHECK(a != NULL && a->n_hosts <= 1, "links cap");
    T_EQ_INT(kz_ent_add_fact(e, NULL), KZ_EUSAGE);
    kz_ent_free(e);
}

/* ---- the address join of the incident engine ---------------------- */

/* An observation: address, host, first and last minute. */
typedef struct mrow {
    const char *addr, *host;
    int first, last;
} mrow;

typedef struct jcase {
    const char *name;
    const char *src; /* the entry edge's source */
    int kind;        /* its kind */
    mrow m[3];
    size_t nm;
    const char *pz;  /* expected patient zero, NULL: undetermined */
    const char *why; /* a part of the reason */
} jcase;

static void
test_address_join(void)
{
    static const jcase cases[] = {
        {"joined",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{"10.0.0.5", "WS05.corp.local", -40, -30}},
         1,
         "ws05",
         "10.0.0.5 = ws05 by machine account"},
        {"no observation",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{0}},
         0,
         NULL,
         "10.0.0.5 whose logs were not read"},
        {"ambiguous",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{"10.0.0.5", "ws05", -40, -30}, {"10.0.0.5", "ws06", -35, -20}},
         2,
         NULL,
         "10.0.0.5 whose logs were not read"},
        {"outside the time",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{"10.0.0.5", "ws05", -3000, -2900}},
         1,
         NULL,
         "10.0.0.5 whose logs were not read"},
        {"other host outside the time",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{"10.0.0.5", "ws06", -3000, -2900}, {"10.0.0.5", "ws05", -30, -30}},
         2,
         "ws05",
         "came from this host"},
        {"external never joined",
         "203.0.113.5",
         KZ_INC_SRC_EXTERNAL,
         {{"203.0.113.5", "ws05", -40, -30}},
         1,
         "fs01",
         "from outside the network"},
        {"joined host not read",
         "10.0.0.5",
         KZ_INC_SRC_INTERNAL,
         {{"10.0.0.5", "ws07", -40, -30}},
         1,
         NULL,
         "ws07 whose logs were not read"},
    };
    size_t i, k;

    for (i = 0; i < T_COUNT(cases); i++) {
        const jcase *c = &cases[i];
        kz_inc *e = kz_inc_new(NULL);
        kz_inc_alert a = {0};
        kz_inc_edge ed = {0};
        const char *pz, *why;

        T_CHECK(e != NULL, "kz_inc_new");
        a.time = at(0);
        a.host = "fs01";
        a.account = "CORP\\u1";
        a.level = 4;
        a.rule_id = a.title = "r";
        a.record_id = UINT64_MAX;
        T_EQ_INT(kz_inc_add_alert(e, &a), KZ_OK);
        ed.account = "CORP\\u1";
        ed.source = c->src;
        ed.src_kind = (uint8_t)c->kind;
        ed.target = "fs01";
        ed.logon_type = 3;
        ed.first = ed.last = at(-30);
        ed.count = 1;
        T_EQ_INT(kz_inc_add_edge(e, &ed), KZ_OK);
        for (k = 0; k < c->nm; k++) {
            kz_inc_addr_host m = {0};

            m.address = c->m[k].addr;
            m.host = c->m[k].host;
            m.first = at(c->m[k].first);
            m.last = at(c->m[k].last);
            m.evidence = "machine account";
            T_EQ_INT(kz_inc_add_addr_host(e, &m), KZ_OK);
        }
        T_EQ_INT(kz_inc_add_host(e, "fs01", at(-600), at(600)), KZ_OK);
        T_EQ_INT(kz_inc_add_host(e, "ws05", at(-600), at(600)), KZ_OK);
        T_EQ_INT(kz_inc_add_host(e, "ws06", at(-600), at(600)), KZ_OK);
        T_EQ_INT(kz_inc_run(e), KZ_OK);
        kz_inc_first_host(e, &pz, &why);
        T_CHECK((pz == NULL && c->pz == NULL) ||
                    (pz != NULL && c->pz != NULL && strcmp(pz, c->pz) == 0),
                "%s: patient zero %s, expected %s (%s)", c->name,
                pz ? pz : "undetermined", c->pz ? c->pz : "undetermined", why);
        T_CHECK(why != NULL && strstr(why, c->why) != NULL,
                "%s: reason \"%s\" lacks \"%s\"", c->name, why, c->why);
        if (c->pz != NULL && kz_inc_count(e) == 1) {
            /* a joined candidate keeps its address; others have none */
            const kz_incident *x = kz_inc_at(e, 0);
            size_t n = 0;

            for (k = 0; k < x->n_candidates; k++)
                if (*x->candidates[k].address != '\0') {
                    n++;
                    T_EQ_STR(x->candidates[k].address, c->src);
                    T_EQ_STR(x->candidates[k].host, c->pz);
                }
            T_CHECK(n == (c->kind == KZ_INC_SRC_INTERNAL ? 1u : 0u),
                    "%s: %zu candidates with an address", c->name, n);
        }
        kz_inc_free(e);
    }
}

/* A joined address is the step's source host. */
static void
test_address_join_step(void)
{
    kz_inc *e = kz_inc_new(NULL);
    kz_inc_alert a = {0};
    kz_inc_edge ed = {0};
    kz_inc_addr_host m = {0};
    const kz_incident *x;

    T_CHECK(e != NULL, "kz_inc_new");
    a.time = at(0);
    a.host = "ws05";
    a.account = "CORP\\u1";
    a.level = 4;
    a.rule_id = a.title = "r";
    a.record_id = UINT64_MAX;
    T_EQ_INT(kz_inc_add_alert(e, &a), KZ_OK);
    ed.account = "CORP\\u1";
    ed.source = "10.0.0.5";
    ed.src_kind = KZ_INC_SRC_INTERNAL;
    ed.target = "fs01";
    ed.logon_type = 3;
    ed.first = ed.last = at(5);
    ed.count = 1;
    ed.evidence = "events 4624";
    T_EQ_INT(kz_inc_add_edge(e, &ed), KZ_OK);
    m.address = "10.0.0.5";
    m.host = "WS05";
    m.first = at(-100);
    m.last = at(-90);
    m.evidence = "workstation name";
    T_EQ_INT(kz_inc_add_addr_host(e, &m), KZ_OK);
    T_EQ_INT(kz_inc_run(e), KZ_OK);
    T_EQ_INT(kz_inc_count(e), 1);
    x = kz_inc_at(e, 0);
    T_CHECK(x != NULL && x->n_steps == 1, "one step");
    if (x != NULL && x->n_steps == 1) {
        T_EQ_STR(x->steps[0].from, "ws05");
        T_EQ_INT(x->steps[0].from_kind, KZ_INC_SRC_HOST);
        T_EQ_STR(x->steps[0].from_address, "10.0.0.5");
        T_CHECK(strstr(x->steps[0].evidence, "events 4624; 10.0.0.5 = ws05 "
                                             "by workstation name") != NULL,
                "evidence %s", x->steps[0].evidence);
    }
    kz_inc_free(e);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_accounts_sid_upn_admin),
        T_CASE(test_hosts_identity_roles),
        T_CASE(test_addresses),
        T_CASE(test_determinism),
        T_CASE(test_caps),
        T_CASE(test_address_join),
        T_CASE(test_address_join_step),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
