/*
 * test_analytics.c - the analytics of src/analytics driven by synthetic
 * facts (no events): D1, D2, D3, D5, D8, D13 and kz_a_not_evaluated,
 * each with positive, negative, threshold-edge, window-edge and bound
 * rows; the identity helpers (internal versus external addresses, host
 * and account keys) and the configuration file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/analytics.h"
#include "analytics/analytics_int.h"
#include "base/utf.h"
#include "t.h"

#define MIN (60 * KZ_TICKS_PER_SEC)
#define T0 ((kz_time)133000000000000000LL)

/* Findings as text: "id{Name=Value;...|Extra=...}" one per line. */
typedef struct rec {
    char out[16384];
    int n;
    int by[KZ_A_COUNT];
} rec;

static kz_status
on_finding(void *ctx, const kz_finding *f)
{
    rec *r = ctx;
    size_t i, len = strlen(r->out);
    int k;

    r->n++;
    for (k = 0; k < KZ_A_COUNT; k++)
        if (strcmp(kz_a_which_id((kz_a_which)k), f->analytic) == 0)
            r->by[k]++;
    len += (size_t)snprintf(r->out + len, sizeof(r->out) - len, "%s{",
                            f->analytic);
    for (i = 0; i < f->ndetails + f->nextra && len < sizeof(r->out); i++)
        len += (size_t)snprintf(r->out + len, sizeof(r->out) - len,
                                "%s%.*s=%.*s", i == f->ndetails ? "|" : ";",
                                (int)f->pairs[2 * i].len, f->pairs[2 * i].p,
                                (int)f->pairs[2 * i + 1].len,
                                f->pairs[2 * i + 1].p);
    if (len < sizeof(r->out))
        snprintf(r->out + len, sizeof(r->out) - len, "}\n");
    return KZ_OK;
}

typedef struct env {
    kz_analytics *a;
    kz_a_config cfg;
    rec r;
    uint64_t rid;
} env;

static void
env_open(env *e, const char *const *settings)
{
    kz_analytics_opts o;
    kz_error err;
    size_t i;

    memset(e, 0, sizeof(*e));
    kz_a_config_defaults(&e->cfg);
    for (i = 0; settings != NULL && settings[i] != NULL; i += 2)
        T_EQ_INT(kz_a_config_set(&e->cfg, settings[i], settings[i + 1], &err),
                 KZ_OK);
    memset(&o, 0, sizeof(o));
    o.config = &e->cfg;
    o.sink.emit = on_finding;
    o.sink.ctx = &e->r;
    e->a = kz_analytics_new(&o);
    T_CHECK(e->a != NULL, "engine");
}

static void
env_close(env *e)
{
    kz_analytics_free(e->a);
    e->a = NULL;
}

/* Feeds one fact: kind, minutes after T0, host, then up to 8 slot values
 * (NULL = absent). */
static void
feed(env *e, int kind, double minutes, const char *host,
     const char *const v[KZ_FACT_SLOTS])
{
    kz_fact f;
    size_t i;

    memset(&f, 0, sizeof(f));
    f.kind = (uint8_t)kind;
    f.ref.time = T0 + (kz_time)(minutes * MIN);
    f.ref.path = "t.evtx";
    f.ref.computer = host;
    f.ref.channel = "Security";
    f.ref.record_id = ++e->rid;
    f.ref.has_record_id = true;
    f.ref.has_event_id = true;
    for (i = 0; i < KZ_FACT_SLOTS; i++)
        if (v != NULL && v[i] != NULL) {
            f.v[i].p = v[i];
            f.v[i].len = strlen(v[i]);
        }
    T_EQ_INT(kz_analytics_add(e->a, &f), KZ_OK);
}

static void
finish(env *e)
{
    T_EQ_INT(kz_analytics_finish(e->a), KZ_OK);
}

/* ---- identity helpers --------------------------------------------- */

static void
test_addresses(void)
{
    static const struct {
        const char *s;
        kz_addr_class want;
    } rows[] = {
        {"203.0.113.45", KZ_ADDR_EXTERNAL},
        {"8.8.8.8", KZ_ADDR_EXTERNAL},
        {"10.0.0.1", KZ_ADDR_INTERNAL},
        {"172.16.0.1", KZ_ADDR_INTERNAL},
        {"172.31.255.255", KZ_ADDR_INTERNAL},
        {"172.32.0.1", KZ_ADDR_EXTERNAL}, /* just past 172.16/12 */
        {"172.15.255.255", KZ_ADDR_EXTERNAL},
        {"192.168.1.1", KZ_ADDR_INTERNAL},
        {"192.169.0.1", KZ_ADDR_EXTERNAL},
        {"100.64.0.1", KZ_ADDR_INTERNAL}, /* CGNAT */
        {"100.127.255.255", KZ_ADDR_INTERNAL},
        {"100.128.0.1", KZ_ADDR_EXTERNAL},
        {"127.0.0.1", KZ_ADDR_INTERNAL},
        {"169.254.3.4", KZ_ADDR_INTERNAL},
        {"0.0.0.0", KZ_ADDR_UNKNOWN},
        {"-", KZ_ADDR_UNKNOWN},
        {"", KZ_ADDR_UNKNOWN},
        {"::", KZ_ADDR_UNKNOWN},
        {"::1", KZ_ADDR_INTERNAL},
        {"fe80::1%12", KZ_ADDR_INTERNAL},
        {"fd00::5", KZ_ADDR_INTERNAL},
        {"2001:db8::1", KZ_ADDR_EXTERNAL},
        {"::ffff:10.1.2.3", KZ_ADDR_INTERNAL},
        {"::ffff:203.0.113.9", KZ_ADDR_EXTERNAL},
        {" 203.0.113.45 ", KZ_ADDR_EXTERNAL},
        {"LOCAL", KZ_ADDR_UNKNOWN},
        {"999.1.1.1", KZ_ADDR_UNKNOWN},
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_addr_classify(rows[i].s, strlen(rows[i].s)) == rows[i].want,
                "row %zu: %s", i, rows[i].s);
}

static void
test_keys(void)
{
    static const struct {
        int host;
        const char *in, *want;
    } rows[] = {
        {1, "WS01.corp.local", "ws01"},
        {1, "ws01", "ws01"},
        {1, "", ""},
        /* An address as Computer has no DNS suffix (review fix). */
        {1, "10.1.2.3", "10.1.2.3"},
        {1, "10.corp.local", "10"},
        {0, "CORP\\Alice", "alice"},
        {0, "alice@corp.local", "alice"},
        {0, "CN=Bob Smith,OU=Users,DC=corp", "bob smith"},
        {0, "CN=Smith\\, Bob,OU=Users", "smith, bob"},
        {0, "-", ""},
        {0, "SVC_BACKUP", "svc_backup"},
    };
    kz_strbuf b;
    size_t i;

    kz_strbuf_init(&b, 0);
    for (i = 0; i < T_COUNT(rows); i++) {
        kz_strbuf_reset(&b);
        if (rows[i].host)
            kz_a_host_key(&b, rows[i].in, strlen(rows[i].in));
        else
            kz_a_account_key(&b, rows[i].in, strlen(rows[i].in));
        T_EQ_STR(b.data != NULL ? b.data : "", rows[i].want);
    }
    kz_strbuf_fini(&b);
}

static void
test_config(void)
{
    kz_a_config c;
    kz_error err;
    char path[] = "/tmp/kz_acfg_XXXXXX";
    int fd;
    FILE *f;

    kz_a_config_defaults(&c);
    T_EQ_INT(c.v[KZ_AK_FANOUT_HOSTS], 5);
    T_EQ_INT(c.v[KZ_AK_BULK_FILES], 50);
    T_EQ_INT(c.v[KZ_AK_TOOL_CLASSES], 3);
    T_EQ_INT(c.v[KZ_AK_DISC_COMMANDS], 4);
    T_EQ_INT(kz_a_config_set(&c, "fanout.hosts", "7", &err), KZ_OK);
    T_EQ_INT(c.v[KZ_AK_FANOUT_HOSTS], 7);
    T_EQ_INT(kz_a_config_set(&c, "fanout.hosts", "1", &err), KZ_EUSAGE);
    T_EQ_INT(kz_a_config_set(&c, "fanout.hosts", "7x", &err), KZ_EUSAGE);
    T_EQ_INT(kz_a_config_set(&c, "fanout.hosts", "", &err), KZ_EUSAGE);
    kz_error_clear(&err);
    T_EQ_INT(kz_a_config_set(&c, "nope", "1", &err), KZ_EUSAGE);
    T_CHECK(strstr(err.msg, "unknown key 'nope'") != NULL, "%s", err.msg);
    /* Every key has a name, a default within bounds and a doc line. */
    for (size_t k = 0; k < KZ_AK_COUNT; k++) {
        const kz_a_key_info *ki = kz_a_key_at(k);

        T_CHECK(ki != NULL && ki->name != NULL && ki->doc != NULL &&
                    ki->def >= ki->min && ki->def <= ki->max,
                "key %zu", k);
    }
    /* The file: comments, blanks, spaces; then an error with its line. */
    fd = mkstemp(path);
    T_CHECK(fd >= 0, "mkstemp");
    f = fdopen(fd, "w");
    fputs("# thresholds\n\n  bulk_read.files = 80   # more\n"
          "fanout.window_minutes=20\nintegrity.anything = x\n",
          f);
    fclose(f);
    kz_a_config_defaults(&c);
    T_EQ_INT(kz_a_config_load(&c, path, &err), KZ_OK);
    T_EQ_INT(c.v[KZ_AK_BULK_FILES], 80);
    T_EQ_INT(c.v[KZ_AK_FANOUT_WINDOW], 20);
    f = fopen(path, "w");
    fputs("fanout.hosts = 6\n# ok\nfanout.hostz = 6\n", f);
    fclose(f);
    kz_error_clear(&err);
    T_EQ_INT(kz_a_config_load(&c, path, &err), KZ_EUSAGE);
    T_CHECK(strstr(err.msg, ":3: unknown key 'fanout.hostz'") != NULL, "%s",
            err.msg);
    f = fopen(path, "w");
    fputs("bulk_read.files = many\n", f);
    fclose(f);
    kz_error_clear(&err);
    T_EQ_INT(kz_a_config_load(&c, path, &err), KZ_EUSAGE);
    T_CHECK(strstr(err.msg, ":1: bulk_read.files wants") != NULL, "%s",
            err.msg);
    f = fopen(path, "w");
    fputs("just words\n", f);
    fclose(f);
    kz_error_clear(&err);
    T_EQ_INT(kz_a_config_load(&c, path, &err), KZ_EUSAGE);
    T_CHECK(strstr(err.msg, ":1: expected 'key = value'") != NULL, "%s",
            err.msg);
    unlink(path);
    T_EQ_INT(kz_a_config_load(&c, path, &err), KZ_EIO);
}

/* ---- D1 ------------------------------------------------------------ */

/* 4624: user, domain, address, sid, type, logon id. */
#define LOGON(u, addr, type)                                                   \
    ((const char *const[]){u, "CORP", addr, "S-1-5-21-9-" u, type, "0x1",      \
                           NULL, NULL})
#define PRIV(u)                                                                \
    ((const char *const[]){u, "CORP", NULL, "S-1-5-21-9-" u, NULL, "0x1",      \
                           NULL, NULL})

static void
test_rdp(void)
{
    static const struct {
        const char *name;
        const char *addr, *type;
        double priv_at; /* minutes after the logon */
        int priv_kind;  /* 0 4672, 1 group add by SID, 2 by DN */
        int want;
    } rows[] = {
        {"external then 4672", "203.0.113.45", "10", 30, 0, 1},
        {"internal", "10.0.0.5", "10", 30, 0, 0},
        {"CGNAT is internal", "100.64.1.1", "10", 30, 0, 0},
        {"unknown address", "-", "10", 30, 0, 0},
        {"network logon", "203.0.113.45", "3", 30, 0, 0},
        {"window edge: 60 min", "203.0.113.45", "10", 60, 0, 1},
        {"past the window", "203.0.113.45", "10", 61, 0, 0},
        {"group add by SID", "203.0.113.45", "10", 5, 1, 1},
        {"group add by DN", "203.0.113.45", "10", 5, 2, 1},
        {"group add made by the account", "203.0.113.45", "10", 5, 3, 1},
        {"group add made by another", "203.0.113.45", "10", 5, 4, 0},
        {"IPv6 external", "2001:db8::7", "10", 5, 0, 1},
    };
    size_t i;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        feed(&e, KZ_FACT_LOGON, 0, "APP01",
             LOGON("alice", rows[i].addr, rows[i].type));
        feed(&e, KZ_FACT_PRIV, rows[i].priv_at / 2, "APP01", PRIV("bob"));
        if (rows[i].priv_kind == 0)
            feed(&e, KZ_FACT_PRIV, rows[i].priv_at, "DC01", PRIV("ALICE"));
        else
            feed(&e, KZ_FACT_GROUP_ADD, rows[i].priv_at, "DC01",
                 ((const char *const[]){
                     rows[i].priv_kind == 1   ? "-"
                     : rows[i].priv_kind == 2 ? "CN=alice,OU=x"
                                              : "CN=newadm,OU=x",
                     NULL, NULL,
                     rows[i].priv_kind <= 2 ? "S-1-5-21-9-alice"
                                            : "S-1-5-21-9-new",
                     rows[i].priv_kind == 3 ? "CORP\\Alice" : "admin", NULL,
                     "Domain Admins", NULL}));
        finish(&e);
        T_EQ_INT(e.r.by[KZ_A_RDP], rows[i].want);
        if (rows[i].want)
            T_CHECK(strstr(e.r.out, "Account=CORP\\alice;SourceAddress=") !=
                        NULL,
                    "%s: %s", rows[i].name, e.r.out);
        env_close(&e);
    }
    /* RCM 1149 and LSM 21 carry the address too; one finding per
     * session. */
    env_open(&e, NULL);
    feed(&e, KZ_FACT_RDP, 0, "APP01",
         ((const char *const[]){"carol", "CORP", "198.51.100.7", NULL, NULL,
                                NULL, NULL, NULL}));
    feed(&e, KZ_FACT_RDP, 1, "APP01",
         ((const char *const[]){"CORP\\dave", NULL, "198.51.100.8", NULL, NULL,
                                "3", NULL, NULL}));
    feed(&e, KZ_FACT_PRIV, 2, "APP01", PRIV("carol"));
    feed(&e, KZ_FACT_PRIV, 3, "APP01", PRIV("carol"));
    feed(&e, KZ_FACT_PRIV, 4, "APP01", PRIV("dave"));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_RDP], 2);
    T_EQ_INT(e.r.by[KZ_A_NOT_EVALUATED], 1);
    T_CHECK(strstr(e.r.out, "|Events=2;Event1=record 1;Event2=record 3}") !=
                NULL,
            "%s", e.r.out);
    env_close(&e);
    /* Machine accounts are not RDP users; disabled analytic is silent. */
    env_open(&e, (const char *const[]){"rdp.enabled", "0", NULL});
    feed(&e, KZ_FACT_LOGON, 0, "APP01", LOGON("alice", "203.0.113.1", "10"));
    feed(&e, KZ_FACT_PRIV, 1, "APP01", PRIV("alice"));
    finish(&e);
    T_EQ_INT(e.r.n, 0);
    env_close(&e);
}

/* ---- D2 ------------------------------------------------------------ */

#define PROC(img, cl)                                                          \
    ((const char *const[]){img, cl, NULL, NULL, "C:\\x\\p.exe", "{p1}",        \
                           "0x55", "CORP\\eve"})

static void
feed_tool(env *e, int which, double at, const char *host)
{
    switch (which) {
    case 0: /* remote-access tool (service) */
        feed(e, KZ_FACT_SERVICE, at, host,
             ((const char *const[]){"AnyDesk",
                                    "\"C:\\ProgramData\\AnyDesk."
                                    "exe\" --service",
                                    NULL, NULL, NULL, NULL, NULL, NULL}));
        break;
    case 1: /* hacktool (command line) */
        feed(e, KZ_FACT_PROC, at, host,
             PROC("C:\\t\\m.exe", "m.exe privilege::debug sekurlsa::"
                                  "logonpasswords"));
        break;
    case 2: /* C2 pipe */
        feed(e, KZ_FACT_PIPE, at, host,
             ((const char *const[]){"\\postex_1234", "C:\\x\\r.exe", NULL, NULL,
                                    NULL, NULL, NULL, NULL}));
        break;
    case 3: /* LSASS read */
        feed(e, KZ_FACT_LSASS, at, host,
             ((const char *const[]){"C:\\t\\d.exe",
                                    "C:\\Windows\\system32\\lsass.exe",
                                    "0x1010", NULL, NULL, NULL, NULL, NULL}));
        break;
    default: /* process killer */
        feed(e, KZ_FACT_PROC, at, host, PROC("C:\\t\\Backstab.exe", "x"));
        break;
    }
}

static void
test_internal_nets(void)
{
    static const struct {
        const char *s;
        kz_addr_class want;
    } rows[] = {
        {"203.0.113.45", KZ_ADDR_INTERNAL},
        {"203.0.113.255", KZ_ADDR_INTERNAL},
        {"203.0.114.1", KZ_ADDR_EXTERNAL},
        {"::ffff:203.0.113.9", KZ_ADDR_INTERNAL},
        {"2001:db8:1::5", KZ_ADDR_INTERNAL},
        {"2001:db9::5", KZ_ADDR_EXTERNAL},
        {"198.51.100.7", KZ_ADDR_INTERNAL},
        {"198.51.100.8", KZ_ADDR_EXTERNAL},
        {"10.0.0.1", KZ_ADDR_INTERNAL},
        {"-", KZ_ADDR_UNKNOWN},
    };
    kz_a_net nets[KZ_A_MAX_NETS];
    kz_analytics_opts o;
    kz_error err;
    size_t i, n;
    env e;

    T_EQ_INT(kz_a_nets_parse(" 203.0.113.0/24, 2001:db8::/32,198.51.100.7 ",
                             nets, KZ_A_MAX_NETS, &n, &err),
             KZ_OK);
    T_EQ_INT(n, 3);
    for (i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_addr_classify_nets(rows[i].s, strlen(rows[i].s), nets, n) ==
                    rows[i].want,
                "row %zu: %s", i, rows[i].s);
    T_EQ_INT(kz_a_nets_parse("10.0.0.0/33", nets, KZ_A_MAX_NETS, &n, &err),
             KZ_EUSAGE);
    T_EQ_INT(kz_a_nets_parse("corp", nets, KZ_A_MAX_NETS, &n, &err), KZ_EUSAGE);
    T_EQ_INT(kz_a_nets_parse("10.0.0.0/", nets, KZ_A_MAX_NETS, &n, &err),
             KZ_EUSAGE);
    T_EQ_INT(kz_a_nets_parse("1.1.1.1,2.2.2.2", nets, 1, &n, &err), KZ_EUSAGE);
    T_EQ_INT(kz_a_nets_parse("", nets, KZ_A_MAX_NETS, &n, &err), KZ_OK);
    T_EQ_INT(n, 0);
    /* D1: an RDP logon from a network named internal is not external. */
    T_EQ_INT(kz_a_nets_parse("203.0.113.0/24", nets, KZ_A_MAX_NETS, &n, &err),
             KZ_OK);
    env_open(&e, NULL);
    kz_analytics_free(e.a);
    memset(&o, 0, sizeof(o));
    o.config = &e.cfg;
    o.sink.emit = on_finding;
    o.sink.ctx = &e.r;
    o.internal_nets = nets;
    o.ninternal_nets = n;
    e.a = kz_analytics_new(&o);
    T_CHECK(e.a != NULL, "engine");
    feed(&e, KZ_FACT_LOGON, 0, "APP01", LOGON("alice", "203.0.113.45", "10"));
    feed(&e, KZ_FACT_PRIV, 5, "DC01", PRIV("alice"));
    feed(&e, KZ_FACT_LOGON, 6, "APP01", LOGON("bob", "198.51.100.9", "10"));
    feed(&e, KZ_FACT_PRIV, 7, "DC01", PRIV("bob"));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_RDP], 1);
    T_CHECK(strstr(e.r.out, "Account=CORP\\bob;") != NULL, "%s", e.r.out);
    env_close(&e);
}

static void
test_tool_burst(void)
{
    static const struct {
        const char *name;
        int tools[5];
        double at[5];
        size_t n;
        int want;
    } rows[] = {
        {"three classes", {0, 1, 2}, {0, 5, 10}, 3, 1},
        {"two classes", {0, 1}, {0, 5}, 2, 0},
        {"one class thrice", {1, 1, 1}, {0, 1, 2}, 3, 0},
        {"window edge 30 min", {0, 3, 4}, {0, 10, 30}, 3, 1},
        {"past the window", {0, 3, 4}, {0, 10, 30.5}, 3, 0},
        {"five classes, one finding", {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, 5, 1},
    };
    size_t i, k;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        for (k = 0; k < rows[i].n; k++)
            feed_tool(&e, rows[i].tools[k], rows[i].at[k],
                      k % 2 ? "WS01.corp.local" : "ws01");
        finish(&e);
        T_CHECK(e.r.by[KZ_A_TOOLS] == rows[i].want, "%s: %s", rows[i].name,
                e.r.out);
        env_close(&e);
    }
    /* Classes on different hosts do not add up; benign LSASS readers and
     * browsers' DNS do not count. */
    env_open(&e, NULL);
    feed_tool(&e, 0, 0, "A");
    feed_tool(&e, 1, 1, "B");
    feed_tool(&e, 2, 2, "C");
    feed(&e, KZ_FACT_LSASS, 3, "A",
         ((const char *const[]){"C:\\ProgramData\\Microsoft\\Windows "
                                "Defender\\MsMpEng.exe",
                                "C:\\Windows\\system32\\lsass.exe", "0x1410",
                                NULL, NULL, NULL, NULL, NULL}));
    feed(&e, KZ_FACT_DNS, 4, "A",
         ((const char *const[]){"download.anydesk.com",
                                "C:\\Program Files\\Google\\Chrome\\"
                                "Application\\chrome.exe",
                                NULL, NULL, NULL, NULL, NULL, NULL}));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_TOOLS], 0);
    env_close(&e);
    /* The threshold is a key. */
    env_open(&e, (const char *const[]){"tool_burst.classes", "2", NULL});
    feed_tool(&e, 0, 0, "A");
    feed_tool(&e, 3, 1, "A");
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_TOOLS], 1);
    T_CHECK(strstr(e.r.out, "Tools=remote-access tool: AnyDesk, LSASS "
                            "access: LSASS memory read") != NULL,
            "%s", e.r.out);
    env_close(&e);
}

/* ---- D3 ------------------------------------------------------------ */

static void
test_fanout(void)
{
    static const struct {
        const char *name;
        int hosts;
        double step; /* minutes between hosts */
        int want;
    } rows[] = {
        {"five hosts", 5, 1, 1},
        {"four hosts", 4, 1, 0},
        {"window edge: 5 hosts in 10 min", 5, 2.5, 1},
        {"past the window", 5, 2.6, 0},
        {"many hosts, one finding", 20, 0.1, 1},
    };
    char host[32];
    size_t i;
    int k;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        for (k = 0; k < rows[i].hosts; k++) {
            snprintf(host, sizeof(host), "SRV%02d.corp.local", k);
            feed(&e, KZ_FACT_LOGON, k * rows[i].step, host,
                 LOGON("admin", "-", "3"));
        }
        finish(&e);
        T_CHECK(e.r.by[KZ_A_FANOUT] == rows[i].want, "%s: %s", rows[i].name,
                e.r.out);
        env_close(&e);
    }
    /* Same host under two spellings counts once; machine accounts and
     * interactive logons do not count; a source address does. */
    env_open(&e, NULL);
    feed(&e, KZ_FACT_LOGON, 0, "SRV1", LOGON("admin", "-", "3"));
    feed(&e, KZ_FACT_LOGON, 1, "srv1.corp.local", LOGON("admin", "-", "3"));
    feed(&e, KZ_FACT_LOGON, 2, "SRV2", LOGON("admin", "-", "2"));
    for (k = 3; k < 8; k++) {
        snprintf(host, sizeof(host), "S%d", k);
        feed(&e, KZ_FACT_LOGON, k, host, LOGON("WS01$", "10.0.0.9", "3"));
    }
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_FANOUT], 1);
    T_CHECK(strstr(e.r.out, "Via=source address;SourceAddress=10.0.0.9") !=
                NULL,
            "%s", e.r.out);
    env_close(&e);
    /* One service path, ADMIN$ share and task command on five hosts. */
    env_open(&e, NULL);
    for (k = 0; k < 5; k++) {
        snprintf(host, sizeof(host), "H%d", k);
        feed(&e, KZ_FACT_SERVICE, k, host,
             ((const char *const[]){"x", "C:\\Windows\\evil.exe", NULL, NULL,
                                    NULL, NULL, NULL, NULL}));
        feed(&e, KZ_FACT_TASK, k, host,
             ((const char *const[]){"\\t",
                                    "<Task><Exec><Command>C:\\e.exe"
                                    "</Command><Arguments>-x"
                                    "</Arguments></Exec></Task>",
                                    NULL, NULL, NULL, NULL, NULL, NULL}));
        feed(&e, KZ_FACT_SHARE, k, host,
             ((const char *const[]){"ops", "CORP", "-", NULL, NULL, NULL,
                                    "\\\\*\\ADMIN$", NULL}));
        feed(&e, KZ_FACT_SHARE, k, host,
             ((const char *const[]){"ipc", "CORP", "-", NULL, NULL, NULL,
                                    "\\\\*\\IPC$", NULL}));
    }
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_FANOUT], 3);
    T_CHECK(strstr(e.r.out, "ImagePath=c:\\windows\\evil.exe;Hosts=5;"
                            "HostList=h0, h1, h2, h3, h4") != NULL,
            "%s", e.r.out);
    T_CHECK(strstr(e.r.out, "Command=c:\\e.exe -x") != NULL, "%s", e.r.out);
    env_close(&e);
    /* Table cap: keys past tables.max_keys are counted, not kept. */
    env_open(&e, (const char *const[]){"tables.max_keys", "100", NULL});
    for (k = 0; k < 150; k++) {
        char user[16];

        snprintf(user, sizeof(user), "u%d", k);
        feed(&e, KZ_FACT_LOGON, 0, "H",
             ((const char *const[]){user, "C", "-", NULL, "3", NULL, NULL,
                                    NULL}));
    }
    finish(&e);
    {
        kz_a_stats st;

        kz_analytics_stats(e.a, &st);
        T_EQ_INT(st.dropped_keys, 50);
    }
    env_close(&e);
}

/* ---- D5 ------------------------------------------------------------ */

#define SPROC(img, ofn, hashes)                                                \
    ((const char *const[]){img, "x", ofn, hashes, "C:\\p.exe", "{p}", "0x9",   \
                           "u"})

static void
test_binary_identity(void)
{
    static const struct {
        const char *name, *img, *ofn;
        int want;
    } rows[] = {
        {"renamed powershell", "C:\\Users\\Public\\svc.exe", "PowerShell.EXE",
         1},
        {"powershell itself",
         "C:\\Windows\\System32\\WindowsPowerShell\\v1."
         "0\\powershell.exe",
         "PowerShell.EXE", 0},
        {"pwsh", "C:\\Program Files\\PowerShell\\7\\pwsh.exe", "pwsh.dll", 0},
        {"psexec64", "C:\\t\\PsExec64.exe", "psexec.c", 0},
        {"renamed certutil", "C:\\t\\cu.exe", "CertUtil.exe", 1},
        {"unknown binary renamed", "C:\\t\\a.exe", "setup.exe", 0},
        {"browser in place",
         "C:\\Program Files\\Google\\Chrome\\Application\\"
         "chrome.exe",
         "chrome.exe", 0},
        {"browser per-user",
         "C:\\Users\\a\\AppData\\Local\\Google\\Chrome\\"
         "Application\\chrome.exe",
         "chrome.exe", 0},
        {"browser elsewhere", "C:\\Users\\Public\\chrome.exe", "chrome.exe", 1},
        {"powershell as a browser", "C:\\Users\\Public\\msedge.exe",
         "PowerShell.EXE", 1},
    };
    size_t i;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        feed(&e, KZ_FACT_PROC, 0, "H", SPROC(rows[i].img, rows[i].ofn, NULL));
        /* The same again: reported once. */
        feed(&e, KZ_FACT_PROC, 1, "H", SPROC(rows[i].img, rows[i].ofn, NULL));
        finish(&e);
        T_CHECK(e.r.by[KZ_A_IDENTITY] == rows[i].want, "%s: %s", rows[i].name,
                e.r.out);
        env_close(&e);
    }
    /* One hash under two names across hosts (SHA256 preferred). */
    env_open(&e, NULL);
    feed(&e, KZ_FACT_PROC, 0, "A",
         SPROC("C:\\t\\tool.exe", NULL,
               "SHA1=AA11AA11AA11AA11AA11AA11AA11AA11AA11AA11,SHA256="
               "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"
               "ABCDEF,IMPHASH=FF"));
    feed(&e, KZ_FACT_PROC, 1, "B",
         SPROC("C:\\t\\TOOL64.EXE", NULL,
               "SHA256=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF012"
               "3456789ABCDEF"));
    T_EQ_INT(e.r.by[KZ_A_IDENTITY], 0);
    feed(&e, KZ_FACT_PROC, 2, "B",
         SPROC("C:\\t\\update.exe", NULL,
               "MD5=00,SHA256=0123456789abcdef0123456789abcdef0123456789abc"
               "def0123456789abcdef"));
    feed(&e, KZ_FACT_PROC, 3, "C",
         SPROC("C:\\t\\third.exe", NULL,
               "SHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123"
               "456789abcdef"));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_IDENTITY], 1);
    T_CHECK(strstr(e.r.out, "ImageNames=tool.exe, update.exe") != NULL, "%s",
            e.r.out);
    env_close(&e);
}

/* ---- D8 ------------------------------------------------------------ */

static void
feed_files(env *e, int n, double start, double step, const char *user,
           const char *src)
{
    char file[64];
    int k;

    for (k = 0; k < n; k++) {
        snprintf(file, sizeof(file), "docs\\f%04d.xlsx", k);
        feed(e, KZ_FACT_FILE, start + k * step, "FS01",
             ((const char *const[]){user, "CORP", src, NULL, NULL, NULL,
                                    "\\\\*\\share", file}));
    }
}

static void
test_bulk_read(void)
{
    static const struct {
        const char *name;
        int files;
        double step;
        int want;
    } rows[] = {
        {"60 files", 60, 0.1, 1},
        {"40 files", 40, 0.1, 0},
        {"threshold edge: 50 is not over", 50, 0.1, 0},
        {"51 files", 51, 0.1, 1},
        {"window edge: 51 files in 60 min", 51, 1.2, 1},
        {"spread past the window", 51, 1.21, 0},
    };
    size_t i;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        feed_files(&e, rows[i].files, 0, rows[i].step, "alice", "10.1.1.1");
        finish(&e);
        T_CHECK(e.r.by[KZ_A_BULK] == rows[i].want, "%s: %s", rows[i].name,
                e.r.out);
        T_EQ_INT(e.r.by[KZ_A_NOT_EVALUATED], 1);
        env_close(&e);
    }
    /* Re-reading the same files does not count; the listing API; the
     * finding comes at the end of the burst, with every file. */
    env_open(&e, NULL);
    feed_files(&e, 30, 0, 0.1, "alice", "10.1.1.1");
    feed_files(&e, 30, 5, 0.1, "alice", "10.1.1.1");
    feed_files(&e, 30, 5, 0.1, "bob", "10.1.1.1");
    T_EQ_INT(e.r.by[KZ_A_BULK], 0);
    feed_files(&e, 80, 10, 0.1, "alice", "10.1.1.1");
    T_EQ_INT(e.r.by[KZ_A_BULK], 0);
    /* Two hours later: the burst ended. */
    feed_files(&e, 1, 200, 0.1, "carol", "10.1.1.2");
    T_EQ_INT(e.r.by[KZ_A_BULK], 1);
    T_CHECK(strstr(e.r.out, "Account=CORP\\alice;Source=10.1.1.1;Files=80;"
                            "MaxInWindow=80;Threshold=50 in 60 min") != NULL,
            "%s", e.r.out);
    T_CHECK(strstr(e.r.out, "FileList=share\\docs\\f0000.xlsx, share\\docs\\"
                            "f0001.xlsx") != NULL,
            "%s", e.r.out);
    T_CHECK(strstr(e.r.out, "Events=140 (first ones below);Event1=record 1") !=
                NULL,
            "%s", e.r.out);
    finish(&e);
    T_EQ_INT(kz_analytics_bulk_count(e.a), 1);
    {
        const char *acc, *src;
        const char *const *files;
        size_t nf;
        uint64_t total;

        T_CHECK(kz_analytics_bulk_get(e.a, 0, &acc, &src, &total, &files, &nf),
                "get");
        T_EQ_STR(acc, "CORP\\alice");
        T_EQ_STR(src, "10.1.1.1");
        T_EQ_INT(total, 80);
        T_EQ_INT(nf, 80);
        T_EQ_STR(files[79], "share\\docs\\f0079.xlsx");
        T_CHECK(!kz_analytics_bulk_get(e.a, 1, &acc, &src, &total, &files, &nf),
                "past the end");
    }
    env_close(&e);
    /* The list bound: files past bulk_read.keep_files are counted. */
    env_open(&e, (const char *const[]){"bulk_read.files", "5",
                                       "bulk_read.keep_files", "10", NULL});
    feed_files(&e, 60, 0, 0.1, "alice", "-");
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_BULK], 1);
    {
        kz_a_stats st;

        kz_analytics_stats(e.a, &st);
        T_EQ_INT(st.bulk_files_kept, 10);
        T_EQ_INT(st.bulk_files_dropped, 50);
    }
    T_CHECK(strstr(e.r.out, "Files=60 (reads past the list bound") != NULL,
            "%s", e.r.out);
    env_close(&e);
    /* 4663 on something that is not a file, IPC$ pipes: not counted. */
    env_open(&e, (const char *const[]){"bulk_read.files", "1", NULL});
    feed(&e, KZ_FACT_FILE, 0, "H",
         ((const char *const[]){"a", "C", NULL, NULL, "Key", NULL, NULL,
                                "\\REGISTRY\\MACHINE\\X"}));
    feed(&e, KZ_FACT_FILE, 0, "H",
         ((const char *const[]){"a", "C", NULL, NULL, "Key", NULL, NULL,
                                "\\REGISTRY\\MACHINE\\Y"}));
    feed(&e, KZ_FACT_FILE, 0, "H",
         ((const char *const[]){"a", "C", "10.0.0.1", NULL, NULL, NULL,
                                "\\\\*\\IPC$", "srvsvc"}));
    feed(&e, KZ_FACT_FILE, 0, "H",
         ((const char *const[]){"a", "C", "10.0.0.1", NULL, NULL, NULL,
                                "\\\\*\\IPC$", "lsarpc"}));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_BULK], 0);
    env_close(&e);
}

/* ---- D13 ----------------------------------------------------------- */

static void
test_discovery_commands(void)
{
    static const struct {
        const char *img, *cl, *want;
    } rows[] = {
        {"C:\\Windows\\System32\\net.exe", "net user /domain", "net user"},
        {"C:\\Windows\\System32\\net1.exe",
         "C:\\Windows\\system32\\net1 "
         "localgroup administrators",
         "net localgroup"},
        {"C:\\Windows\\System32\\net.exe", "net /y view \\\\fs01", "net view"},
        {"C:\\Windows\\System32\\net.exe", "net stop x", NULL},
        {"C:\\Windows\\System32\\cmd.exe", "cmd.exe /c dir c:\\users", "dir"},
        {"C:\\Windows\\System32\\cmd.exe", "\"cmd.exe\" /Q /C ver", "ver"},
        {"C:\\Windows\\System32\\cmd.exe", "cmd.exe /c copy a b", NULL},
        {"C:\\Windows\\System32\\reg.exe", "reg query HKLM\\x", "reg query"},
        {"C:\\Windows\\System32\\reg.exe", "reg add HKLM\\x", NULL},
        {"C:\\Windows\\System32\\sc.exe", "sc \\\\h query", "sc query"},
        {"C:\\Windows\\System32\\whoami.exe", "whoami /all", "whoami"},
        {"C:\\Windows\\System32\\TASKLIST.EXE", "tasklist /v", "tasklist"},
        {"C:\\Windows\\System32\\notepad.exe", "notepad", NULL},
    };
    size_t i;
    kz_fact f;
    const char *got;

    for (i = 0; i < T_COUNT(rows); i++) {
        memset(&f, 0, sizeof(f));
        f.kind = KZ_FACT_PROC;
        f.v[KZ_FS_IMAGE].p = rows[i].img;
        f.v[KZ_FS_IMAGE].len = strlen(rows[i].img);
        f.v[KZ_FS_CMDLINE].p = rows[i].cl;
        f.v[KZ_FS_CMDLINE].len = strlen(rows[i].cl);
        got = a_discovery_command(&f);
        if (rows[i].want == NULL)
            T_CHECK(got == NULL, "row %zu: %s", i, got);
        else
            T_CHECK(got != NULL && strcmp(got, rows[i].want) == 0,
                    "row %zu: %s", i, got ? got : "(null)");
    }
}

#define DPROC(img, cl, lid, parent)                                            \
    ((const char *const[]){img, cl, NULL, NULL, "C:\\w\\cmd.exe", parent, lid, \
                           "CORP\\eve"})

static void
test_discovery_burst(void)
{
    static const struct {
        const char *name;
        int n;
        double step;
        const char *lids[5];
        int want;
    } rows[] = {
        {"four commands", 4, 1, {"0xa1", "0xa1", "0xa1", "0xa1"}, 1},
        {"three commands", 3, 1, {"0xa1", "0xa1", "0xa1"}, 0},
        {"window edge: 10 min",
         4,
         10.0 / 3,
         {"0xa1", "0xa1", "0xa1", "0xa1"},
         1},
        {"past the window", 4, 3.4, {"0xa1", "0xa1", "0xa1", "0xa1"}, 0},
        {"two logons", 4, 1, {"0xa1", "0xa2", "0xa1", "0xa2"}, 0},
        {"system logon: by parent",
         4,
         1,
         {"0x3e7", "0x3e7", "0x3e7", "0x3e7"},
         1},
    };
    static const char *const cmds[][2] = {
        {"C:\\W\\whoami.exe", "whoami"},
        {"C:\\W\\ipconfig.exe", "ipconfig /all"},
        {"C:\\W\\net.exe", "net group \"domain admins\" /domain"},
        {"C:\\W\\nltest.exe", "nltest /dclist:corp"},
        {"C:\\W\\systeminfo.exe", "systeminfo"},
    };
    size_t i;
    int k;
    env e;

    for (i = 0; i < T_COUNT(rows); i++) {
        env_open(&e, NULL);
        for (k = 0; k < rows[i].n; k++)
            feed(&e, KZ_FACT_PROC, k * rows[i].step, "WS01",
                 DPROC(cmds[k][0], cmds[k][1], rows[i].lids[k], "{p1}"));
        /* The same command again does not count twice. */
        feed(&e, KZ_FACT_PROC, (rows[i].n - 1) * rows[i].step, "WS01",
             DPROC(cmds[rows[i].n - 1][0], cmds[rows[i].n - 1][1],
                   rows[i].lids[rows[i].n - 1], "{p1}"));
        finish(&e);
        T_CHECK(e.r.by[KZ_A_DISCOVERY] == rows[i].want, "%s: %s", rows[i].name,
                e.r.out);
        env_close(&e);
    }
    env_open(&e, (const char *const[]){"discovery.commands", "5", NULL});
    for (k = 0; k < 5; k++)
        feed(&e, KZ_FACT_PROC, k, "WS01",
             DPROC(cmds[k][0], cmds[k][1], "0xa1", "{p1}"));
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_DISCOVERY], 1);
    T_CHECK(strstr(e.r.out, "LogonId=0xa1;User=CORP\\eve;ParentImage=C:\\w\\"
                            "cmd.exe;Commands=5;CommandList=whoami, ipconfig, "
                            "net group, nltest, systeminfo") != NULL,
            "%s", e.r.out);
    env_close(&e);
}

/* ---- engine --------------------------------------------------------- */

static void
test_engine(void)
{
    env e;
    kz_fact f;
    kz_a_stats st;

    /* No facts: no findings, not even "not evaluated". */
    env_open(&e, NULL);
    finish(&e);
    T_EQ_INT(e.r.n, 0);
    env_close(&e);
    /* Untimed and out-of-order facts are counted. */
    env_open(&e, NULL);
    feed(&e, KZ_FACT_PROC, 5, "H", PROC("C:\\a.exe", "a"));
    feed(&e, KZ_FACT_PROC, 1, "H", PROC("C:\\a.exe", "a"));
    memset(&f, 0, sizeof(f));
    f.kind = KZ_FACT_PROC;
    f.ref.time = KZ_TIME_NONE;
    T_EQ_INT(kz_analytics_add(e.a, &f), KZ_OK);
    finish(&e);
    kz_analytics_stats(e.a, &st);
    T_EQ_INT(st.facts, 3);
    T_EQ_INT(st.untimed, 1);
    T_EQ_INT(st.out_of_order, 1);
    env_close(&e);
    /* Kinds follow the enabled analytics. */
    env_open(&e, (const char *const[]){"rdp.enabled", "0", "tool_burst.enabled",
                                       "0", "fanout.enabled", "0",
                                       "binary_identity.enabled", "0",
                                       "discovery.enabled", "0", NULL});
    T_EQ_INT(kz_analytics_kinds(e.a), 1u << KZ_FACT_FILE);
    env_close(&e);
    /* Which facts hunt keeps (kz_analytics_wants). */
    {
        static const struct {
            int kind;
            const char *v[KZ_FACT_SLOTS];
            bool want;
        } rows[] = {
            {KZ_FACT_LOGON, {"a", "C", "203.0.113.1", NULL, "10"}, true},
            {KZ_FACT_LOGON, {"a", "C", "10.0.0.1", NULL, "3"}, true},
            {KZ_FACT_LOGON, {"H$", "C", "-", NULL, "3"}, false},
            {KZ_FACT_LOGON, {"H$", "C", "10.0.0.1", NULL, "3"}, true},
            {KZ_FACT_LOGON, {"a", "C", "10.0.0.1", NULL, "2"}, false},
            {KZ_FACT_PRIV, {"a"}, true},
            {KZ_FACT_PRIV, {"SYSTEM"}, false},
            {KZ_FACT_PRIV, {"DC01$"}, false},
            {KZ_FACT_RDP, {"a", NULL, "10.1.1.1"}, false},
            {KZ_FACT_RDP, {"a", NULL, "198.51.100.1"}, true},
            {KZ_FACT_SHARE,
             {"a", "C", "-", NULL, NULL, NULL, "\\\\*\\ADMIN$"},
             true},
            {KZ_FACT_SHARE,
             {"a", "C", "-", NULL, NULL, NULL, "\\\\*\\data"},
             false},
            {KZ_FACT_FILE,
             {"a", "C", "-", NULL, NULL, NULL, "\\\\*\\IPC$", "srvsvc"},
             false},
            {KZ_FACT_FILE,
             {"a", "C", "-", NULL, NULL, NULL, "\\\\*\\d", "x.doc"},
             true},
            {KZ_FACT_FILE,
             {"a", "C", NULL, NULL, "Key", NULL, NULL, "\\R"},
             false},
            {KZ_FACT_PROC, {"C:\\W\\notepad.exe", "notepad"}, false},
            {KZ_FACT_PROC, {"C:\\W\\whoami.exe", "whoami"}, true},
            {KZ_FACT_PROC, {"C:\\W\\x.exe", "x", "x.exe"}, true},
            {KZ_FACT_PROC, {"C:\\U\\chrome.exe", "c"}, true},
            {KZ_FACT_PIPE, {"\\postex_1"}, true},
            {KZ_FACT_PIPE, {"\\spoolss"}, false},
        };
        size_t i, k;

        env_open(&e, NULL);
        for (i = 0; i < T_COUNT(rows); i++) {
            memset(&f, 0, sizeof(f));
            f.kind = (uint8_t)rows[i].kind;
            for (k = 0; k < KZ_FACT_SLOTS; k++)
                if (rows[i].v[k] != NULL) {
                    f.v[k].p = rows[i].v[k];
                    f.v[k].len = strlen(rows[i].v[k]);
                }
            T_CHECK(kz_analytics_wants(e.a, &f) == rows[i].want, "row %zu", i);
        }
        env_close(&e);
    }
    /* The source table: dispatch by channel (any case) and event id. */
    T_CHECK(kz_fact_source_find("security", 8, 4624, ~0u) >= 0, "4624");
    T_CHECK(kz_fact_source_find("Security", 8, 4624, 1u << KZ_FACT_FILE) < 0,
            "kind filter");
    T_CHECK(kz_fact_source_find("System", 6, 4624, ~0u) < 0, "channel");
    T_CHECK(kz_fact_source_find("Microsoft-Windows-Sysmon/Operational", 36, 1,
                                ~0u) >= 0,
            "sysmon 1");
}

/* ---- memory bound (tables.max_bytes) and hostile values ----------- */

/* Feeds one fact whose values have explicit lengths (NUL bytes inside). */
static void
feed_len(env *e, int kind, double minutes, const char *host,
         const char *const v[KZ_FACT_SLOTS], const size_t len[KZ_FACT_SLOTS])
{
    kz_fact f;
    size_t i;

    memset(&f, 0, sizeof(f));
    f.kind = (uint8_t)kind;
    f.ref.time = T0 + (kz_time)(minutes * MIN);
    f.ref.path = "t.evtx";
    f.ref.computer = host;
    f.ref.channel = "Security";
    f.ref.record_id = ++e->rid;
    f.ref.has_record_id = true;
    f.ref.has_event_id = true;
    for (i = 0; i < KZ_FACT_SLOTS; i++)
        if (v[i] != NULL) {
            f.v[i].p = v[i];
            f.v[i].len = len[i];
        }
    T_EQ_INT(kz_analytics_add(e->a, &f), KZ_OK);
}

/* Frees every table of e's engine and checks that the budget got back
 * exactly what it gave. */
static void
check_budget_balance(env *e)
{
    kz_analytics *a = e->a;

    a_table_fini(&a->rdp);
    a_table_fini(&a->rdp_sid);
    a_table_fini(&a->tools);
    a_table_fini(&a->fan);
    a_table_fini(&a->ident_seen);
    a_table_fini(&a->hashes);
    a_table_fini(&a->bulk);
    a_table_fini(&a->disc);
    a_bulk_free_done(a);
    T_EQ_INT(a->bud.used, 0);
    T_EQ_INT(a->bud.underflow, 0);
}

static void
test_memory_bound(void)
{
    char user[32], file[320];
    const char *acc, *src;
    const char *const *files;
    uint64_t total;
    size_t nf;
    kz_a_stats st;
    env e;
    int i;

    /* 3,000 accounts, one file each, within a window: 768 KiB (three
     * quarters of 1 MiB) holds a few hundred keys; the others are refused and
     * counted, exactly. */
    env_open(&e, (const char *const[]){"tables.max_bytes", "1048576", NULL});
    for (i = 0; i < 3000; i++) {
        snprintf(user, sizeof(user), "u%05d", i);
        feed(&e, KZ_FACT_FILE, i * 0.001, "FS01",
             ((const char *const[]){user, "CORP", "10.0.0.1", NULL, NULL, NULL,
                                    "\\\\*\\s", "f.txt"}));
    }
    kz_analytics_stats(e.a, &st);
    T_EQ_INT(st.bytes_max, 786432); /* the integrity has the last quarter */
    T_CHECK(st.bytes_peak <= 786432 && st.bytes_peak > 786432 / 2, "peak %llu",
            (unsigned long long)st.bytes_peak);
    T_CHECK(st.bytes_refused > 0, "refused");
    T_CHECK(e.a->bulk.n > 50, "tracked %zu", e.a->bulk.n);
    T_EQ_INT(st.dropped_keys + e.a->bulk.n, 3000);
    /* Three hours later the idle keys are gone; one account reads 20,000
     * distinct files with long names (about 5 MB of names): listed and
     * unlisted files add up, the peak stays under the bound, the list
     * goes to the spill file and reads back. */
    for (i = 0; i < 20000; i++) {
        snprintf(file, sizeof(file), "%0200d\\f%05d.doc", 0, i);
        feed(&e, KZ_FACT_FILE, 200 + i * 0.001, "FS01",
             ((const char *const[]){"big", "CORP", "10.0.0.2", NULL, NULL, NULL,
                                    "\\\\*\\s", file}));
    }
    T_EQ_INT(e.a->bulk.n, 1);
    finish(&e);
    kz_analytics_stats(e.a, &st);
    T_CHECK(st.bytes_peak <= 786432, "peak %llu",
            (unsigned long long)st.bytes_peak);
    T_EQ_INT(e.r.by[KZ_A_BULK], 1);
    T_CHECK(strstr(e.r.out, "Files=20000 (reads past the list bound") != NULL,
            "%s", e.r.out);
    T_EQ_INT(st.bulk_files_kept + st.bulk_files_dropped, 20000);
    T_CHECK(st.bulk_files_kept > 51 && st.bulk_files_kept < 20000, "kept %llu",
            (unsigned long long)st.bulk_files_kept);
    T_EQ_INT(st.bulk_files_spilled, st.bulk_files_kept);
    T_CHECK(kz_analytics_bulk_get(e.a, 0, &acc, &src, &total, &files, &nf),
            "get");
    T_EQ_INT(total, 20000);
    T_EQ_INT(nf, st.bulk_files_kept);
    snprintf(file, sizeof(file), "s\\%0200d\\f%05d.doc", 0, (int)nf - 1);
    T_CHECK(nf > 0 && strcmp(files[nf - 1], file) == 0, "last listed");
    check_budget_balance(&e);
    env_close(&e);
}

static void
test_bulk_spill(void)
{
    char user[32], want[64];
    const char *acc, *src;
    const char *const *files;
    uint64_t total;
    size_t nf, i, k;
    kz_a_stats st;
    env e;

    /* Ten bursts of 600 files, one after the other: the first lists stay
     * in memory (a quarter of 1 MiB), the later ones are spilled; every
     * list reads back whole. */
    env_open(&e, (const char *const[]){"tables.max_bytes", "1048576", NULL});
    for (i = 0; i < 10; i++) {
        snprintf(user, sizeof(user), "acct%zu", i);
        feed_files(&e, 600, (double)i * 200, 0.01, user, "10.0.0.3");
    }
    finish(&e);
    kz_analytics_stats(e.a, &st);
    T_EQ_INT(e.r.by[KZ_A_BULK], 10);
    T_EQ_INT(st.bulk_files_kept, 6000);
    T_EQ_INT(st.bulk_files_dropped, 0);
    T_CHECK(st.bulk_files_spilled > 0 && st.bulk_files_spilled < 6000,
            "spilled %llu", (unsigned long long)st.bulk_files_spilled);
    T_EQ_INT(kz_analytics_bulk_count(e.a), 10);
    for (i = 0; i < 10; i++) {
        T_CHECK(kz_analytics_bulk_get(e.a, i, &acc, &src, &total, &files, &nf),
                "get %zu", i);
        snprintf(user, sizeof(user), "CORP\\acct%zu", i);
        T_EQ_STR(acc, user);
        T_EQ_INT(nf, 600);
        for (k = 0; k < nf; k += 199) {
            snprintf(want, sizeof(want), "share\\docs\\f%04zu.xlsx", k);
            T_EQ_STR(files[k], want);
        }
    }
    check_budget_balance(&e);
    env_close(&e);
    /* A queue that cannot grow lets its oldest reads go, and their files
     * leave the window with them: 40 files at 0, one file re-read 60,000
     * times until 50 min (the queue stops at 32,768 reads), then 15 new
     * files at 70 min, when the first 40 are out of the window: 16 in the
     * window, no finding (the count must not stay high). */
    env_open(&e, (const char *const[]){"tables.max_bytes", "1048576", NULL});
    feed_files(&e, 40, 0, 0.001, "q", "10.0.0.5");
    for (i = 0; i < 60000; i++)
        feed(&e, KZ_FACT_FILE, 0.1 + (double)i * 50.0 / 60000, "FS01",
             ((const char *const[]){"q", "CORP", "10.0.0.5", NULL, NULL, NULL,
                                    "\\\\*\\share", "x.doc"}));
    for (i = 0; i < 15; i++) {
        snprintf(want, sizeof(want), "new%02zu.doc", i);
        feed(&e, KZ_FACT_FILE, 70 + (double)i * 0.01, "FS01",
             ((const char *const[]){"q", "CORP", "10.0.0.5", NULL, NULL, NULL,
                                    "\\\\*\\share", want}));
    }
    finish(&e);
    kz_analytics_stats(e.a, &st);
    T_CHECK(st.dropped_items > 0, "reads let go");
    T_CHECK(e.r.by[KZ_A_BULK] == 0, "%s", e.r.out);
    env_close(&e);
}

static void
test_hostile_values(void)
{
    static const char nul_file[] = "docs\0x.doc";
    static const char nul_img[] = "C:\\x\\a.exe\0zz";
    const char *v[KZ_FACT_SLOTS] = {0};
    size_t len[KZ_FACT_SLOTS] = {0};
    char file[32], host[16];
    env e;
    int i;

    /* One file name with a NUL inside, read 60 times, is one file. */
    env_open(&e, NULL);
    v[0] = "alice", len[0] = 5;
    v[1] = "CORP", len[1] = 4;
    v[2] = "10.0.0.9", len[2] = 8;
    v[6] = "\\\\*\\share", len[6] = 9;
    v[7] = nul_file, len[7] = sizeof(nul_file) - 1;
    for (i = 0; i < 60; i++)
        feed_len(&e, KZ_FACT_FILE, i * 0.1, "FS01", v, len);
    finish(&e);
    T_CHECK(e.r.by[KZ_A_BULK] == 0, "%s", e.r.out);
    env_close(&e);
    /* One image name with a NUL inside, run twice with one hash, is one
     * name. */
    env_open(&e, NULL);
    memset(v, 0, sizeof(v));
    memset(len, 0, sizeof(len));
    v[0] = nul_img, len[0] = sizeof(nul_img) - 1;
    v[1] = "a", len[1] = 1;
    v[3] = "SHA256=ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
           "01234567";
    len[3] = strlen(v[3]);
    feed_len(&e, KZ_FACT_PROC, 1, "H1", v, len);
    feed_len(&e, KZ_FACT_PROC, 2, "H2", v, len);
    finish(&e);
    T_CHECK(e.r.by[KZ_A_IDENTITY] == 0, "%s", e.r.out);
    env_close(&e);
    /* A slow reader's old files do not hide a later burst: 30 files 25
     * minutes apart fill the list (bulk_read.keep_files = 10), then 8 new
     * files in a minute are over 5 in the window. */
    env_open(&e, (const char *const[]){"bulk_read.files", "5",
                                       "bulk_read.keep_files", "10", NULL});
    for (i = 0; i < 38; i++) {
        snprintf(file, sizeof(file), "f%02d.doc", i);
        feed(&e, KZ_FACT_FILE, i < 30 ? i * 25.0 : 30 * 25.0 + (i - 30) * 0.1,
             "FS01",
             ((const char *const[]){"slow", "CORP", "10.0.0.4", NULL, NULL,
                                    NULL, "\\\\*\\s", file}));
    }
    finish(&e);
    T_CHECK(e.r.by[KZ_A_BULK] == 1, "%s", e.r.out);
    {
        /* WindowStart: the oldest file still listed (f24 at 600 min: the
         * list was last compacted at f26), not the key's first read ever
         * (0 min). */
        kz_strbuf ws;

        kz_strbuf_init(&ws, 0);
        T_EQ_INT(kz_strbuf_adds(&ws, "WindowStart="), KZ_OK);
        T_EQ_INT(kz_time_format_iso(&ws, T0 + 600 * MIN, 0), KZ_OK);
        T_CHECK(strstr(e.r.out, ws.data) != NULL, "%s: %s", ws.data, e.r.out);
        kz_strbuf_fini(&ws);
    }
    env_close(&e);
    /* Texts cut at a byte bound end on a whole UTF-8 character. */
    T_EQ_INT(a_utf8_cut("ab\xc3\xa9", 4), 4);
    T_EQ_INT(a_utf8_cut("ab\xc3\xa9", 3), 2);
    T_EQ_INT(a_utf8_cut("a\xe3\x81\x82", 3), 1);
    T_EQ_INT(a_utf8_cut("a\xe3\x81\x82", 4), 4);
    T_EQ_INT(a_utf8_cut("a\xf0\x9f\x98\x80", 4), 1);
    T_EQ_INT(a_utf8_cut("abc", 3), 3);
    env_open(&e, NULL);
    {
        char longname[1100];
        size_t k;

        /* A 1,100-byte account of 3-byte characters after one ASCII byte
         * ("\xe3\x81\x82" = U+3042): the Details cut ends whole. */
        longname[0] = 'x';
        for (k = 1; k + 3 < sizeof(longname); k += 3)
            memcpy(longname + k, "\xe3\x81\x82", 3);
        longname[k] = '\0';
        feed_files(&e, 60, 0, 0.1, longname, "10.1.1.1");
        finish(&e);
        T_EQ_INT(e.r.by[KZ_A_BULK], 1);
        T_CHECK(strlen(e.r.out) < sizeof(e.r.out) - 1 &&
                    kz_utf8_valid(e.r.out, strlen(e.r.out)),
                "valid UTF-8");
    }
    env_close(&e);
    /* A time before 1601 then one near the end of kz_time: the first is
     * skipped (no window arithmetic may overflow; UBSan checks). */
    env_open(&e, NULL);
    {
        kz_fact f;
        kz_a_stats st;

        memset(&f, 0, sizeof(f));
        f.kind = KZ_FACT_FILE;
        f.ref.computer = "FS01";
        f.v[KZ_FS_USER] = (kz_str){"alice", 5};
        f.v[KZ_FS_FILE] = (kz_str){"a.doc", 5};
        f.ref.time = -(kz_time)500000000000000000LL;
        T_EQ_INT(kz_analytics_add(e.a, &f), KZ_OK);
        f.ref.time = INT64_MAX - 1;
        T_EQ_INT(kz_analytics_add(e.a, &f), KZ_OK);
        finish(&e);
        kz_analytics_stats(e.a, &st);
        T_EQ_INT(st.untimed, 1);
        T_EQ_INT(st.out_of_order, 0);
    }
    env_close(&e);
    /* Past tables.max_keys, a renamed binary is still reported (its
     * "once per host and image" is then forgotten, not the finding). */
    env_open(&e, (const char *const[]){"tables.max_keys", "100", NULL});
    for (i = 0; i < 150; i++) {
        snprintf(host, sizeof(host), "H%03d", i);
        feed(&e, KZ_FACT_PROC, i * 0.01, host,
             ((const char *const[]){"C:\\x\\notepad.exe", "notepad",
                                    "powershell.exe", NULL, NULL, NULL, NULL,
                                    NULL}));
    }
    finish(&e);
    T_EQ_INT(e.r.by[KZ_A_IDENTITY], 150);
    env_close(&e);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_addresses),       T_CASE(test_keys),
        T_CASE(test_config),          T_CASE(test_rdp),
        T_CASE(test_internal_nets),   T_CASE(test_tool_burst),
        T_CASE(test_fanout),          T_CASE(test_binary_identity),
        T_CASE(test_bulk_read),       T_CASE(test_discovery_commands),
        T_CASE(test_discovery_burst), T_CASE(test_engine),
        T_CASE(test_memory_bound),    T_CASE(test_bulk_spill),
        T_CASE(test_hostile_values),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
