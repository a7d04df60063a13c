/*
 * test_logon.c - the logon collector (investigate/logon.h): aggregation,
 * identity, sources, failure codes, caps, PageRank against a hand
 * computation, order independence, and escaping in the exports.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/logon.h"
#include "t.h"

#define S(x) ((kz_str){(x), sizeof(x) - 1})
#define T0 ((kz_time)133300000000000000LL)
#define SEC ((kz_time)10000000LL)

/* A fact in compact form for the tables below. */
typedef struct tf {
    uint32_t eid;
    int result;
    int type;
    const char *host, *domain, *name, *sid, *addr, *ws, *auth, *status;
    int t; /* seconds after T0 */
} tf;

static kz_str
str(const char *s)
{
    kz_str v = {s != NULL ? s : "", s != NULL ? strlen(s) : 0};
    return v;
}

static void
feed(kz_logon *l, const tf *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        kz_logon_fact f;

        memset(&f, 0, sizeof(f));
        f.event_id = v[i].eid;
        f.result = (uint8_t)v[i].result;
        f.logon_type = v[i].type;
        f.time = T0 + v[i].t * SEC;
        f.host = str(v[i].host);
        f.domain = str(v[i].domain);
        f.name = str(v[i].name);
        f.sid = str(v[i].sid);
        f.address = str(v[i].addr);
        f.workstation = str(v[i].ws);
        f.auth = str(v[i].auth);
        f.status = str(v[i].status);
        T_CHECK(kz_logon_add(l, &f) == KZ_OK, "fact %zu", i);
    }
}

static kz_logon *
run(const tf *v, size_t n, const kz_logon_opts *o)
{
    kz_logon *l = kz_logon_new(o);

    T_CHECK(l != NULL, "new");
    if (l == NULL)
        return NULL;
    feed(l, v, n);
    T_CHECK(kz_logon_finish(l) == KZ_OK, "finish");
    return l;
}

/* Renders the rows as "result|account|host|addr|ws|type|status|count|
 * first-last|ids" lines. */
static void
rows_text(const kz_logon *l, kz_strbuf *b)
{
    size_t i;

    for (i = 0; i < kz_logon_n_rows(l); i++) {
        const kz_logon_row *r = kz_logon_row_at(l, i);

        kz_strbuf_addf(b, "%s|%s|%s|%s|%s|%d|%s|%llu|%lld-%lld|",
                       r->result == KZ_LOGON_FAILURE ? "F" : "S", r->account,
                       r->host, r->address, r->workstation, r->logon_type,
                       r->status, (unsigned long long)r->count,
                       (long long)((r->first - T0) / SEC),
                       (long long)((r->last - T0) / SEC));
        kz_logon_mask_ids(b, r->event_mask);
        kz_strbuf_addc(b, '\n');
    }
    kz_strbuf_addc(b, '\0');
}

/* Host roles from the events a host logs: Kerberos/NTLM validation
 * makes a domain controller, a non-administrative share a file server;
 * ADMIN$ and ordinary logons make nothing. */
static void
test_host_roles(void)
{
    static const struct {
        uint32_t eid;
        const char *host, *name, *addr, *share;
    } in[] = {
        {4768, "DC1.corp.local", "alice", "10.0.0.5", NULL},
        {4776, "DC1.corp.local", "alice", "10.0.0.5", NULL},
        {5140, "FS1", "bob", "10.0.0.6", "\\\\*\\Finance"},
        {5140, "WS1", "carol", "10.0.0.7", "\\\\*\\ADMIN$"},
        {5140, "WS3", "carol", "10.0.0.7", "\\\\*\\C$ "},
        {4624, "WS2", "dave", "10.0.0.8", NULL},
    };
    static const struct {
        const char *id;
        uint8_t roles;
    } want[] = {
        {"host:dc1", KZ_HOST_DC},
        {"host:fs1", KZ_HOST_FILE_SERVER},
        {"host:ws1", 0},
        {"host:ws2", 0},
        {"host:ws3", 0},
    };
    kz_logon *l = kz_logon_new(NULL);
    size_t i, k;

    T_CHECK(l != NULL, "new");
    if (l == NULL)
        return;
    for (i = 0; i < T_COUNT(in); i++) {
        kz_logon_fact f;

        memset(&f, 0, sizeof(f));
        f.event_id = in[i].eid;
        f.result = KZ_LOGON_SUCCESS;
        f.logon_type = 3;
        f.time = T0 + (kz_time)i * SEC;
        f.host = str(in[i].host);
        f.domain = str("CORP");
        f.name = str(in[i].name);
        f.address = str(in[i].addr);
        f.service = str(in[i].share);
        T_CHECK(kz_logon_add(l, &f) == KZ_OK, "fact %zu", i);
    }
    T_CHECK(kz_logon_finish(l) == KZ_OK, "finish");
    for (k = 0; k < T_COUNT(want); k++) {
        const kz_logon_node *n = NULL;

        for (i = 0; i < kz_logon_n_nodes(l); i++)
            if (strcmp(kz_logon_node_at(l, i)->id, want[k].id) == 0)
                n = kz_logon_node_at(l, i);
        T_CHECK(n != NULL, "node %s", want[k].id);
        if (n != NULL)
            T_CHECK(n->roles == want[k].roles, "%s: roles %u, want %u",
                    want[k].id, (unsigned)n->roles, (unsigned)want[k].roles);
    }
    T_EQ_STR(kz_logon_roles_str(KZ_HOST_DC), "domain controller");
    T_EQ_STR(kz_logon_roles_str(KZ_HOST_FILE_SERVER), "file server");
    T_EQ_STR(kz_logon_roles_str(KZ_HOST_DC | KZ_HOST_FILE_SERVER),
             "domain controller, file server");
    T_EQ_STR(kz_logon_roles_str(0), "");
    kz_logon_free(l);
}

static void
test_aggregation(void)
{
    static const tf v[] = {
        {4624, 0, 3, "WS01", "CORP", "alice", NULL, "10.0.0.5", "WS02", "NTLM",
         NULL, 30},
        {4624, 0, 3, "WS01", "CORP", "alice", NULL, "10.0.0.5", "WS02", "NTLM",
         NULL, 10},
        {4624, 0, 3, "WS01", "CORP", "alice", NULL, "10.0.0.5", "WS02", "NTLM",
         NULL, 20},
        {4624, 0, 10, "WS01", "CORP", "alice", NULL, "10.0.0.5", NULL,
         "Negotiate", NULL, 40},
        {1149, 0, 10, "WS01", "CORP", "alice", NULL, "10.0.0.5", NULL, NULL,
         NULL, 39},
        {4625, 1, 3, "WS01", "CORP", "bob", NULL, "10.0.0.9", NULL, "NTLM",
         "0xC000006A", 5},
    };
    kz_logon *l = run(v, T_COUNT(v), NULL);
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    rows_text(l, &b);
    T_EQ_STR(b.data, "F|CORP\\bob|ws01|10.0.0.9||3|0xc000006a|1|5-5|4625\n"
                     "S|CORP\\alice|ws01|10.0.0.5|ws02|3||3|10-30|4624\n"
                     "S|CORP\\alice|ws01|10.0.0.5||10||2|39-40|4624 1149\n");
    /* Edges: alice's three logon edges differ by type and auth. */
    T_EQ_INT(kz_logon_n_edges(l), 3 + 1 + 2);
    T_EQ_INT(kz_logon_n_nodes(l), 2 + 1 + 2);
    kz_strbuf_fini(&b);
    kz_logon_free(l);
}

static void
test_identity(void)
{
    static const tf v[] = {
        /* same account: case, DNS domain, DOMAIN\name in the name */
        {4624, 0, 3, "RAPP-258.techno.local", "TECHNO", "C.Hasegawa",
         "S-1-5-21-1-2-3-1001", "10.0.0.1", NULL, NULL, NULL, 1},
        {4624, 0, 3, "rapp-258", "techno.local", "c.hasegawa", NULL, "10.0.0.1",
         NULL, NULL, NULL, 2},
        {21, 0, 3, "Rapp-258.Techno.Local", NULL, "TECHNO\\c.hasegawa", NULL,
         "10.0.0.1", NULL, NULL, NULL, 3},
        /* a domainless name joins its one domain */
        {4776, 0, 3, "rapp-258", NULL, "C.HASEGAWA", NULL, "10.0.0.1", NULL,
         NULL, NULL, 4},
        /* a bare SID joins the named account with that SID */
        {7045, 0, 3, "rapp-258", NULL, NULL, "S-1-5-21-1-2-3-1001", "10.0.0.1",
         NULL, NULL, NULL, 5},
        /* a name seen with two domains: the domainless one stays apart */
        {4624, 0, 3, "h1", "A", "svc", NULL, NULL, NULL, NULL, NULL, 6},
        {4624, 0, 3, "h1", "B", "svc", NULL, NULL, NULL, NULL, NULL, 7},
        {4624, 0, 3, "h1", NULL, "svc", NULL, NULL, NULL, NULL, NULL, 8},
        /* user@realm */
        {4769, 0, 3, "h1", NULL, "carol@CORP.EXAMPLE", NULL, NULL, NULL, NULL,
         NULL, 9},
        /* no account at all, the null SID: skipped */
        {4624, 0, 3, "h1", "-", "-", "S-1-0-0", NULL, NULL, NULL, NULL, 10},
    };
    kz_logon *l = run(v, T_COUNT(v), NULL);
    kz_logon_stats st;
    kz_strbuf b;

    kz_strbuf_init(&b, 0);
    rows_text(l, &b);
    T_EQ_STR(b.data,
             "S|TECHNO\\c.hasegawa|rapp-258|10.0.0.1||3||5|1-5|4624 4776 "
             "7045 21\n"
             "S|A\\svc|h1|||3||1|6-6|4624\n"
             "S|B\\svc|h1|||3||1|7-7|4624\n"
             "S|CORP\\carol|h1|||3||1|9-9|4769\n"
             "S|svc|h1|||3||1|8-8|4624\n");
    kz_logon_get_stats(l, &st);
    T_EQ_INT(st.no_account, 1);
    T_EQ_INT(st.merged_accounts, 2);
    T_EQ_STR(kz_logon_row_at(l, 0)->sid, "S-1-5-21-1-2-3-1001");
    kz_strbuf_fini(&b);
    kz_logon_free(l);
}

static void
test_sources(void)
{
    static const tf v[] = {
        {4624, 0, 3, "h", "D", "a", NULL, "10.1.2.3", "ws9", NULL, NULL, 1},
        {4624, 0, 3, "h", "D", "b", NULL, "203.0.113.7", NULL, NULL, NULL, 1},
        {4624, 0, 3, "h", "D", "c", NULL, "::ffff:198.51.100.4", NULL, NULL,
         NULL, 1},
        {4624, 0, 3, "h", "D", "d", NULL, "-", "WS7.corp.local", NULL, NULL, 1},
        {4624, 0, 2, "h", "D", "e", NULL, "127.0.0.1", NULL, NULL, NULL, 1},
        {4624, 0, 10, "h", "D", "f", NULL, "LOCAL", "H", NULL, NULL, 1},
    };
    static const struct {
        const char *account, *addr;
        int kind;
    } want[] = {
        {"D\\a", "10.1.2.3", KZ_SRC_INTERNAL},
        {"D\\b", "203.0.113.7", KZ_SRC_EXTERNAL},
        {"D\\c", "198.51.100.4", KZ_SRC_INTERNAL}, /* --internal-nets */
        {"D\\d", "", KZ_SRC_HOST},
        {"D\\e", "127.0.0.1", KZ_SRC_INTERNAL},
        {"D\\f", "local", KZ_SRC_NONE}, /* workstation = host: local */
    };
    kz_a_net nets[1];
    size_t n, i, j, via_host = 0;
    kz_logon_opts o;
    kz_logon *l;

    T_CHECK(kz_a_nets_parse("198.51.100.0/24", nets, 1, &n, NULL) == KZ_OK,
            "nets");
    memset(&o, 0, sizeof(o));
    o.internal_nets = nets;
    o.ninternal_nets = 1;
    l = run(v, T_COUNT(v), &o);
    T_EQ_INT(kz_logon_n_rows(l), T_COUNT(want));
    for (i = 0; i < T_COUNT(want); i++) {
        for (j = 0; j < kz_logon_n_rows(l); j++)
            if (strcmp(kz_logon_row_at(l, j)->account, want[i].account) == 0)
                break;
        T_CHECK(j < kz_logon_n_rows(l), "row %zu missing", i);
        if (j == kz_logon_n_rows(l))
            continue;
        T_CHECK(strcmp(kz_logon_row_at(l, j)->address, want[i].addr) == 0,
                "row %zu: address %s", i, kz_logon_row_at(l, j)->address);
        T_CHECK(kz_logon_row_at(l, j)->src_kind == want[i].kind,
                "row %zu: kind %d", i, kz_logon_row_at(l, j)->src_kind);
    }
    /* d's logon edge goes via host:ws7; the external address node says so */
    for (i = 0; i < kz_logon_n_edges(l); i++) {
        const kz_logon_edge *e = kz_logon_edge_at(l, i);

        if (e->kind == KZ_EDGE_LOGON && e->via != SIZE_MAX &&
            strcmp(kz_logon_node_at(l, e->via)->id, "host:ws7") == 0)
            via_host++;
    }
    T_EQ_INT(via_host, 1);
    for (i = 0; i < kz_logon_n_nodes(l); i++) {
        const kz_logon_node *nd = kz_logon_node_at(l, i);

        if (nd->kind == KZ_NODE_ADDRESS)
            T_CHECK(nd->external == (strcmp(nd->id, "addr:203.0.113.7") == 0),
                    "%s external %d", nd->id, nd->external);
    }
    kz_logon_free(l);
}

/* Event semantics: kz_logon_fact_from_slots. */
static void
test_failure_codes(void)
{
    static const struct {
        uint32_t eid;
        const char *status, *substatus, *target;
        int result;
        const char *want_status, *want_host, *want_auth;
    } rows[] = {
        {4625, "0xc000006d", "0xc000006a", NULL, KZ_LOGON_FAILURE, "0xc000006a",
         "SRC", ""},
        {4625, "0xc000006d", "0x0", NULL, KZ_LOGON_FAILURE, "0xc000006d", "SRC",
         ""},
        {4625, "0xc0000234", "", NULL, KZ_LOGON_FAILURE, "0xc0000234", "SRC",
         ""},
        {4768, "0x0", NULL, NULL, KZ_LOGON_SUCCESS, "", "SRC", "Kerberos"},
        {4768, "0x18", NULL, NULL, KZ_LOGON_FAILURE, "0x18", "SRC", "Kerberos"},
        {4769, "0x00000000", NULL, NULL, KZ_LOGON_SUCCESS, "", "SRC",
         "Kerberos"},
        {4776, "0xc0000064", NULL, NULL, KZ_LOGON_FAILURE, "0xc0000064", "SRC",
         "NTLM"},
        {4648, NULL, NULL, "fs01.corp.local", KZ_LOGON_SUCCESS, "",
         "fs01.corp.local", ""},
        {4648, NULL, NULL, "localhost", KZ_LOGON_SUCCESS, "", "SRC", ""},
        {4672, NULL, NULL, NULL, KZ_LOGON_PRIVILEGED, "", "SRC", ""},
    };
    size_t i, k;

    for (i = 0; i < T_COUNT(rows); i++) {
        kz_str v[KZ_LS_COUNT];
        kz_logon_fact f;
        int si = -1;
        const kz_logon_source *s;

        for (k = 0; (s = kz_logon_source_at(k)) != NULL; k++)
            if (s->event_id == rows[i].eid)
                si = (int)k;
        T_CHECK(si >= 0, "row %zu: no source", i);
        for (k = 0; k < KZ_LS_COUNT; k++)
            v[k] = str(NULL);
        v[KZ_LS_NAME] = S("u");
        v[KZ_LS_STATUS] = str(rows[i].status);
        v[KZ_LS_SUBSTATUS] = str(rows[i].substatus);
        v[KZ_LS_TARGET] = str(rows[i].target);
        if (!kz_logon_fact_from_slots(si, v, S("SRC"), T0, S(""), &f)) {
            T_CHECK(0, "row %zu: no fact", i);
            continue;
        }
        T_CHECK(f.result == rows[i].result, "row %zu: result %d", i, f.result);
        T_CHECK(f.status.len == strlen(rows[i].want_status) &&
                    memcmp(f.status.p, rows[i].want_status, f.status.len) == 0,
                "row %zu: status %.*s", i, (int)f.status.len, f.status.p);
        T_CHECK(f.host.len == strlen(rows[i].want_host) &&
                    memcmp(f.host.p, rows[i].want_host, f.host.len) == 0,
                "row %zu: host %.*s", i, (int)f.host.len, f.host.p);
        T_CHECK(f.auth.len == strlen(rows[i].want_auth), "row %zu: auth %.*s",
                i, (int)f.auth.len, f.auth.p);
    }
    /* 4768 without a status gives no fact; 1149 is an RDP logon. */
    {
        kz_str v[KZ_LS_COUNT];
        kz_logon_fact f;

        for (i = 0; i < KZ_LS_COUNT; i++)
            v[i] = str(NULL);
        T_CHECK(
            !kz_logon_fact_from_slots(kz_logon_source_find("Security", 8, 4768),
                                      v, S("h"), T0, S(""), &f),
            "4768 without status");
        T_CHECK(kz_logon_fact_from_slots(
                    kz_logon_source_find("microsoft-windows-terminalservices-"
                                         "remoteconnectionmanager/operational",
                                         70, 1149),
                    v, S("h"), T0, S(""), &f) &&
                    f.logon_type == 10,
                "1149 type 10");
    }
}

static void
test_caps(void)
{
    static const tf v[] = {
        {4624, 0, 3, "h1", "D", "a", NULL, "10.0.0.1", NULL, NULL, NULL, 1},
        {4624, 0, 3, "h2", "D", "a", NULL, "10.0.0.1", NULL, NULL, NULL, 2},
        {4624, 0, 3, "h1", "D", "a", NULL, "10.0.0.1", NULL, NULL, NULL, 3},
        {4624, 0, 3, "h3", "D", "b", NULL, NULL, NULL, NULL, NULL, 4},
    };
    kz_logon_opts o;
    kz_logon_stats st;
    kz_logon *l;

    memset(&o, 0, sizeof(o));
    o.max_rows = 1;
    o.max_edges = 2;
    l = run(v, T_COUNT(v), &o);
    kz_logon_get_stats(l, &st);
    T_EQ_INT(kz_logon_n_rows(l), 1);
    T_EQ_INT(kz_logon_row_at(l, 0)->count, 2);
    T_EQ_INT(st.dropped_rows, 2);
    T_EQ_INT(kz_logon_n_edges(l), 2);
    /* fact 2: its logon edge is refused; fact 4: its logon edge too. */
    T_EQ_INT(st.dropped_edges, 2);
    T_EQ_INT(st.facts, 4);
    kz_logon_free(l);
    /* max_accounts and max_text */
    memset(&o, 0, sizeof(o));
    o.max_accounts = 1;
    o.max_text = 4;
    l = run(v, T_COUNT(v), &o);
    kz_logon_get_stats(l, &st);
    T_EQ_INT(st.dropped_accounts, 1);
    T_CHECK(st.cut_values > 0, "cut %llu", (unsigned long long)st.cut_values);
    kz_logon_free(l);
}

static void
test_pagerank_hand(void)
{
    /* A -> B: rA = 0.15/2 + 0.85 rB/2, rB = 0.15/2 + 0.85 (rA + rB/2);
     * with rA + rB = 1: rA = 0.5 / 1.425 = 0.350877..., rB = 0.649122... */
    static const size_t f1[] = {0}, t1[] = {1};
    /* A 3-cycle: 1/3 each. */
    static const size_t f2[] = {0, 1, 2}, t2[] = {1, 2, 0};
    /* A star: 1, 2, 3 -> 0. r0 = 0.0375 + 0.85 (3 r1 + r0/4), r1 =
     * 0.0375 + 0.85 r0/4; with r0 + 3 r1 = 1: r1 = (0.0375 + 0.2125 r0),
     * r0 = 1 - 3 r1 -> r0 = (1 - 0.1125) / 1.6375 = 0.541984... */
    static const size_t f3[] = {1, 2, 3}, t3[] = {0, 0, 0};
    double r[4];
    unsigned it;

    it = kz_logon_pagerank(2, f1, t1, 1, r);
    T_CHECK(it > 0 && it <= KZ_LOGON_MAX_ITER, "rounds %u", it);
    T_CHECK(fabs(r[0] - 0.5 / 1.425) < 1e-9, "rA %.12f", r[0]);
    T_CHECK(fabs(r[1] - (1 - 0.5 / 1.425)) < 1e-9, "rB %.12f", r[1]);
    kz_logon_pagerank(3, f2, t2, 3, r);
    T_CHECK(fabs(r[0] - 1.0 / 3) < 1e-9 && fabs(r[2] - 1.0 / 3) < 1e-9,
            "cycle %.12f %.12f", r[0], r[2]);
    kz_logon_pagerank(4, f3, t3, 3, r);
    T_CHECK(fabs(r[0] - 0.8875 / 1.6375) < 1e-9, "star r0 %.12f", r[0]);
    T_CHECK(fabs(r[1] - (1 - 0.8875 / 1.6375) / 3) < 1e-9, "star r1 %.12f",
            r[1]);
}

static kz_status
to_buf(void *ctx, const char *p, size_t n)
{
    return kz_strbuf_add(ctx, p, n);
}

/* Everything a collector outputs, as text. */
static void
all_text(const kz_logon *l, kz_strbuf *b)
{
    size_t i;
    const size_t *rk = kz_logon_ranking(l);

    rows_text(l, b);
    b->len--;
    kz_logon_write_cytoscape(l, to_buf, b, NULL, NULL);
    kz_logon_write_graphml(l, to_buf, b, NULL, NULL);
    for (i = 0; i < kz_logon_n_nodes(l); i++)
        kz_strbuf_addf(b, "%zu ", rk[i]);
    kz_strbuf_addc(b, '\0');
}

static void
test_order_independent(void)
{
    static const tf v[] = {
        {4624, 0, 3, "dc1", "CORP", "adm", "S-1-5-21-9-500", "10.0.0.7", "WS7",
         "NTLM", NULL, 50},
        {4625, 1, 3, "dc1", "CORP", "adm", NULL, "10.0.0.7", NULL, "NTLM",
         "0xc000006a", 40},
        {5140, 0, 3, "fs1", "CORP", "adm", NULL, "10.0.0.7", NULL, NULL, NULL,
         60},
        {7045, 0, -1, "fs1", NULL, NULL, "S-1-5-21-9-500", NULL, NULL, NULL,
         NULL, 61},
        {4624, 0, 10, "ts1", "CORP", "bob", NULL, "198.51.100.9", NULL,
         "Negotiate", NULL, 5},
        {4672, 2, -1, "ts1", "CORP", "bob", NULL, NULL, NULL, NULL, NULL, 6},
        {4776, 0, -1, "dc1", NULL, "bob", NULL, NULL, "TS1", NULL, NULL, 7},
        {4624, 0, 3, "fs1", "CORP", "adm", NULL, "10.0.0.8", NULL, "NTLM", NULL,
         70},
    };
    tf w[T_COUNT(v)];
    kz_strbuf a, b;
    kz_logon *l1, *l2;
    size_t i;

    for (i = 0; i < T_COUNT(v); i++)
        w[i] = v[T_COUNT(v) - 1 - i];
    l1 = run(v, T_COUNT(v), NULL);
    l2 = run(w, T_COUNT(w), NULL);
    kz_strbuf_init(&a, 0);
    kz_strbuf_init(&b, 0);
    all_text(l1, &a);
    all_text(l2, &b);
    T_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
            "outputs differ:\n%s\n----\n%s", a.data, b.data);
    /* The ranking: highest first, ties by node order. */
    {
        const size_t *rk = kz_logon_ranking(l1);

        for (i = 1; i < kz_logon_n_nodes(l1); i++) {
            const kz_logon_node *p = kz_logon_node_at(l1, rk[i - 1]),
                                *q = kz_logon_node_at(l1, rk[i]);

            T_CHECK(p->rank > q->rank ||
                        (p->rank == q->rank && rk[i - 1] < rk[i]),
                    "ranking %zu", i);
        }
    }
    kz_strbuf_fini(&a);
    kz_strbuf_fini(&b);
    kz_logon_free(l1);
    kz_logon_free(l2);
}

static void
test_xml_escape_table(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"plain", "plain"},
        {"<script>&\"'", "&lt;script&gt;&amp;&quot;&apos;"},
        {"a\nb\tc\rd", "a&#10;b&#9;c&#13;d"},
        {"esc\x1b[31m", "esc\xef\xbf\xbd[31m"},
        {"nul\x01", "nul\xef\xbf\xbd"},
        {"bad\xff", "bad\xef\xbf\xbd"},
        {"sur\xed\xa0\x80", "sur\xef\xbf\xbd"},
        {"\xe3\x81\x82", "\xe3\x81\x82"},
        {"\xef\xbf\xbe", "\xef\xbf\xbd"},
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        kz_strbuf b;

        kz_strbuf_init(&b, 0);
        kz_xml_escape(&b, rows[i].in, strlen(rows[i].in));
        kz_strbuf_addc(&b, '\0');
        T_CHECK(strcmp(b.data, rows[i].want) == 0, "row %zu: %s", i, b.data);
        kz_strbuf_fini(&b);
    }
}

static void
test_exports_escape(void)
{
    static const tf v[] = {
        {4624, 0, 3, "h<1>", "EVIL", "<script>=cmd|'/c calc'!A0\"\n\x1b[2J",
         NULL, "10.0.0.1", NULL, "NTLM\"", NULL, 1},
    };
    kz_logon *l = run(v, T_COUNT(v), NULL);
    kz_strbuf j, x;
    size_t i;

    kz_strbuf_init(&j, 0);
    kz_strbuf_init(&x, 0);
    T_CHECK(kz_logon_write_cytoscape(l, to_buf, &j, NULL, NULL) == KZ_OK,
            "json");
    T_CHECK(kz_logon_write_graphml(l, to_buf, &x, NULL, NULL) == KZ_OK,
            "graphml");
    kz_strbuf_addc(&j, '\0');
    kz_strbuf_addc(&x, '\0');
    T_CHECK(strstr(j.data, "\\u001b[2j") != NULL, "json ESC: %s", j.data);
    T_CHECK(strstr(j.data, "'/c calc'!a0\\\"\\n") != NULL, "json quote: %s",
            j.data);
    T_CHECK(strstr(x.data, "&lt;script&gt;=cmd|&apos;/c calc&apos;!a0&quot;"
                           "&#10;\xef\xbf\xbd[2j") != NULL,
            "graphml: %s", x.data);
    T_CHECK(strstr(x.data, "<script>") == NULL, "raw <script>");
    for (i = 0; i + 1 < j.len; i++)
        T_CHECK((unsigned char)j.data[i] >= 0x20 || j.data[i] == '\n',
                "json control byte at %zu", i);
    for (i = 0; i + 1 < x.len; i++)
        T_CHECK((unsigned char)x.data[i] >= 0x20 || x.data[i] == '\n',
                "graphml control byte at %zu", i);
    kz_strbuf_fini(&j);
    kz_strbuf_fini(&x);
    kz_logon_free(l);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_aggregation),
        T_CASE(test_host_roles),
        T_CASE(test_identity),
        T_CASE(test_sources),
        T_CASE(test_failure_codes),
        T_CASE(test_caps),
        T_CASE(test_pagerank_hand),
        T_CASE(test_order_independent),
        T_CASE(test_xml_escape_table),
        T_CASE(test_exports_escape),
    };
    return t_run(cases, T_COUNT(cases), argc, argv);
}
