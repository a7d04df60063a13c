/*
 * test_incident.c - the incident engine (src/investigate/incident.h):
 * clustering, kill-chain order, tools, lateral path, patient zero, caps
 * and determinism, table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/incident.h"
#include "t.h"

/* 2023-06-04T16:00:00Z as kz_time, and a minute. */
static kz_time t_base;
#define MIN (60 * KZ_INC_SECOND)
#define HOUR (60 * MIN)

static kz_time
at(int minutes)
{
    if (t_base == 0) {
        kz_civil c = {2023, 6, 4, 16, 0, 0, 0};

        kz_time_from_civil(&c, &t_base);
    }
    return t_base + (kz_time)minutes * MIN;
}

/* A compact alert: minute, host, account, level (3 medium, 4 high,
 * 2 low), tags, image, hash. */
typedef struct arow {
    int min;
    const char *host;
    const char *account;
    int level;
    const char *tags;
    const char *image;
    const char *hash;
    const char *rule;
} arow;

/* A compact edge: minute, account, source, kind, target, type. */
typedef struct erow {
    int min;
    const char *account;
    const char *source;
    int kind;
    const char *target;
    int type;
    int failed_only;
} erow;

static void
feed(kz_inc *e, const arow *a, size_t na, const erow *ed, size_t ne,
     const char *const *hosts, size_t nh)
{
    size_t i;

    for (i = 0; i < na; i++) {
        kz_inc_alert x = {0};

        x.time = at(a[i].min);
        x.host = a[i].host;
        x.account = a[i].account;
        x.level = (uint8_t)a[i].level;
        x.tags = a[i].tags;
        x.image = a[i].image;
        x.hash = a[i].hash;
        x.rule_id = a[i].rule ? a[i].rule : "r";
        x.title = x.rule_id;
        x.file = "Security.evtx";
        x.record_id = (uint64_t)(100 + a[i].min);
        T_EQ_INT(kz_inc_add_alert(e, &x), KZ_OK);
    }
    for (i = 0; i < ne; i++) {
        kz_inc_edge x = {0};

        x.account = ed[i].account;
        x.source = ed[i].source;
        x.src_kind = (uint8_t)ed[i].kind;
        x.target = ed[i].target;
        x.logon_type = ed[i].type;
        x.first = at(ed[i].min);
        x.last = x.first;
        x.count = 1;
        x.failed = ed[i].failed_only ? 1 : 0;
        T_EQ_INT(kz_inc_add_edge(e, &x), KZ_OK);
    }
    for (i = 0; i < nh; i++)
        T_EQ_INT(kz_inc_add_host(e, hosts[i], KZ_TIME_NONE, KZ_TIME_NONE),
                 KZ_OK);
}

static kz_inc *
run(const kz_inc_config *cfg, const arow *a, size_t na, const erow *ed,
    size_t ne, const char *const *hosts, size_t nh)
{
    kz_inc *e = kz_inc_new(cfg);

    T_CHECK(e != NULL, "kz_inc_new");
    feed(e, a, na, ed, ne, hosts, nh);
    T_EQ_INT(kz_inc_run(e), KZ_OK);
    return e;
}

/* ---- clustering -------------------------------------------------- */

typedef struct ccase {
    const char *name;
    arow a[6];
    size_t na;
    kz_time window; /* 0 = default */
    size_t incidents;
    size_t first_seeds; /* seeds of incident 1 */
} ccase;

static void
test_cluster(void)
{
    static const ccase cases[] = {
        {"shared host",
         {{0, "WS1.corp.local", "CORP\\bob", 3, 0, 0, 0, 0},
          {30, "ws1", "CORP\\alice", 4, 0, 0, 0, 0}},
         2,
         0,
         1,
         2},
        {"shared account, two spellings",
         {{0, "ws1", "CORP\\Bob", 3, 0, 0, 0, 0},
          {60, "srv1", "bob@corp.local", 3, 0, 0, 0, 0}},
         2,
         0,
         1,
         2},
        {"outside the window",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0},
          {25 * 60, "ws1", "CORP\\bob", 3, 0, 0, 0, 0}},
         2,
         0,
         2,
         1},
        {"inside a wider window",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0},
          {25 * 60, "ws1", "CORP\\bob", 3, 0, 0, 0, 0}},
         2,
         48 * HOUR,
         1,
         2},
        {"transitive",
         {{0, "h1", "CORP\\u1", 3, 0, 0, 0, 0},
          {10, "h2", "CORP\\u1", 3, 0, 0, 0, 0},
          {20, "h2", "CORP\\u2", 3, 0, 0, 0, 0},
          {30, "h3", "CORP\\u2", 3, 0, 0, 0, 0},
          {40, "h9", "CORP\\u9", 3, 0, 0, 0, 0}},
         5,
         0,
         2,
         4},
        {"chain of hosts within the window each",
         {{0, "h1", "", 3, 0, 0, 0, 0},
          {20 * 60, "h1", "", 3, 0, 0, 0, 0},
          {40 * 60, "h1", "", 3, 0, 0, 0, 0}},
         3,
         0,
         1,
         3},
        {"service identities do not join",
         {{0, "h1", "NT AUTHORITY\\SYSTEM", 3, 0, 0, 0, 0},
          {5, "h2", "NT AUTHORITY\\SYSTEM", 3, 0, 0, 0, 0},
          {6, "h3", "CORP\\H3$", 3, 0, 0, 0, 0},
          {7, "h4", "CORP\\h3$", 3, 0, 0, 0, 0}},
         4,
         0,
         4,
         1},
        {"below medium is no seed",
         {{0, "h1", "CORP\\bob", 2, 0, 0, 0, 0},
          {5, "h2", "CORP\\bob", 1, 0, 0, 0, 0},
          {6, "h3", "CORP\\bob", 3, 0, 0, 0, 0}},
         3,
         0,
         1,
         1},
        {"bare name joins its one domain",
         {{0, "h1", "CORP\\adm", 3, 0, 0, 0, 0},
          {300, "h2", "adm", 4, 0, 0, 0, 0}},
         2,
         0,
         1,
         2},
    };
    size_t i;

    for (i = 0; i < T_COUNT(cases); i++) {
        const ccase *c = &cases[i];
        kz_inc_config cfg = {0};
        kz_inc *e;

        cfg.window = c->window;
        e = run(&cfg, c->a, c->na, NULL, 0, NULL, 0);
        T_CHECK(kz_inc_count(e) == c->incidents, "%s: %zu incidents", c->name,
                kz_inc_count(e));
        if (kz_inc_count(e) > 0)
            T_CHECK(kz_inc_at(e, 0)->n_seeds == c->first_seeds, "%s: %zu seeds",
                    c->name, kz_inc_at(e, 0)->n_seeds);
        kz_inc_free(e);
    }
}

/* ---- timeline, techniques, tools --------------------------------- */

static void
test_killchain_order(void)
{
    static const arow a[] = {
        {0, "h1", "CORP\\bob", 3, "attack.impact,attack.t1486", 0, 0, "imp"},
        {1, "h1", "CORP\\bob", 3, "", 0, 0, "none"},
        {2, "h1", "CORP\\bob", 3, "attack.execution, attack.t1059.001", 0, 0,
         "exe"},
        {3, "h1", "CORP\\bob", 4,
         "attack.lateral_movement,attack.initial_access", 0, 0, "ia"},
        {4, "h1", "CORP\\bob", 3, "attack.Credential-Access,attack.T1003", 0, 0,
         "cred"},
        {5, "h1", "CORP\\bob", 3, "attack.execution", 0, 0, "exe2"},
    };
    static const char *const want[] = {"ia",   "exe", "exe2",
                                       "cred", "imp", "none"};
    static const char *const tech[] = {"T1003", "T1059.001", "T1486"};
    kz_inc *e = run(NULL, a, T_COUNT(a), NULL, 0, NULL, 0);
    const kz_incident *c = kz_inc_at(e, 0);
    size_t i;

    T_EQ_INT(kz_inc_count(e), 1);
    T_EQ_INT(c->n_rows, T_COUNT(want));
    for (i = 0; i < c->n_rows && i < T_COUNT(want); i++)
        T_EQ_STR(c->rows[i].alert.rule_id, want[i]);
    T_EQ_STR(c->rows[0].tactic, "initial-access");
    T_EQ_STR(c->rows[5].tactic, "");
    T_EQ_INT(c->n_techniques, T_COUNT(tech));
    for (i = 0; i < c->n_techniques && i < T_COUNT(tech); i++)
        T_EQ_STR(c->techniques[i], tech[i]);
    T_EQ_INT(c->max_level, 4);
    T_EQ_INT(kz_inc_tactic_rank("initial_access", 14), 2);
    T_EQ_INT(kz_inc_tactic_rank("t1003", 5), -1);
    kz_inc_free(e);
}

static void
test_tools(void)
{
    static const arow a[] = {
        {5, "srv1", "CORP\\bob", 4, 0, "C:\\Users\\Public\\m64.exe",
         "SHA1=AA,SHA256=BEEF,MD5=CC", 0},
        {1, "ws1", "CORP\\bob", 4, 0, "c:\\users\\public\\M64.exe",
         "SHA256=BEEF", 0},
        {3, "ws1", "CORP\\bob", 3, 0, "C:\\Tools\\ph.exe", "", 0},
        {4, "ws1", "CORP\\bob", 3, 0, "C:\\Tools\\ph.exe", "", 0},
        {0, "ws2", "CORP\\bob", 3, 0, "C:\\Users\\Public\\m64.exe", 0, 0},
        {6, "ws3", "CORP\\bob", 3, 0, "C:\\Users\\Public\\m64.exe",
         "SHA256=F00D", 0},
    };
    kz_inc *e = run(NULL, a, T_COUNT(a), NULL, 0, NULL, 0);
    const kz_incident *c = kz_inc_at(e, 0);

    /* m64 BEEF (with the hashless run on ws2), ph.exe, m64 F00D */
    T_EQ_INT(c->n_tools, 3);
    if (c->n_tools == 3) {
        T_EQ_STR(c->tools[0].name, "m64.exe");
        T_EQ_STR(c->tools[0].hash, "BEEF");
        T_EQ_STR(c->tools[0].first_host, "ws2");
        T_CHECK(c->tools[0].first == at(0), "first execution");
        T_EQ_INT(c->tools[0].n_hosts, 3);
        T_EQ_STR(c->tools[1].name, "ph.exe");
        T_EQ_INT(c->tools[1].n_hosts, 1);
        T_EQ_STR(c->tools[2].hash, "F00D");
        T_CHECK(c->tools[2].first == at(6), "second hash");
    }
    kz_inc_free(e);
}

/* ---- lateral movement -------------------------------------------- */

static void
test_lateral_path(void)
{
    static const arow a[] = {
        {0, "ws1", "CORP\\bob", 4, 0, 0, 0, 0},
        {40, "srv3", "CORP\\bob", 3, 0, 0, 0, 0},
    };
    static const erow ed[] = {
        {-60, "CORP\\bob", "ws1", 3, "srv9", 3, 0}, /* before: no step */
        {10, "CORP\\bob", "10.0.0.1", 1, "srv1", 3, 0},
        {5, "CORP\\bob", "ws1", 3, "srv2", 10, 0},
        {20, "CORP\\bob", "10.0.0.7", 1, "srv1", 3, 0}, /* reached */
        {6, "CORP\\alice", "srv2", 3, "srv3", 3, 0},    /* not yet allowed */
        {15, "CORP\\alice", "", 0, "srv1", 3, 0},       /* alice seen */
        {30, "CORP\\alice", "srv1", 3, "srv4", 3, 0},   /* now a step */
        {31, "CORP\\carol", "srv1", 3, "srv5", 3, 1},   /* failures only */
        {32, "NT AUTHORITY\\SYSTEM", "", 0, "srv4", 5, 0},
        {33, "NT AUTHORITY\\SYSTEM", "srv4", 3, "srv6", 3, 0},
    };
    static const struct {
        const char *to, *from, *account, *method;
        int min;
    } want[] = {
        {"srv2", "ws1", "corp\\bob", "RDP", 5},
        {"srv1", "10.0.0.1", "corp\\bob", "network", 10},
        {"srv4", "srv1", "corp\\alice", "network", 30},
    };
    kz_inc *e = run(NULL, a, T_COUNT(a), ed, T_COUNT(ed), NULL, 0);
    const kz_incident *c = kz_inc_at(e, 0);
    size_t i;

    T_EQ_STR(c->start_host, "ws1");
    T_EQ_INT(c->n_steps, T_COUNT(want));
    for (i = 0; i < c->n_steps && i < T_COUNT(want); i++) {
        T_EQ_STR(c->steps[i].to, want[i].to);
        T_EQ_STR(c->steps[i].from, want[i].from);
        T_EQ_STR(c->steps[i].account, want[i].account);
        T_EQ_STR(c->steps[i].method, want[i].method);
        T_CHECK(c->steps[i].time == at(want[i].min), "step %zu time", i);
    }
    kz_inc_free(e);
}

/* ---- patient zero ------------------------------------------------ */

typedef struct pcase {
    const char *name;
    arow a[4];
    size_t na;
    erow ed[3];
    size_t ne;
    const char *hosts[3];
    size_t nh;
    const char *pz;     /* NULL = undetermined */
    const char *reason; /* substring of the reason */
    size_t ncand;
} pcase;

static void
test_patient_zero(void)
{
    static const pcase cases[] = {
        {"clear: one earliest host",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0},
          {30, "srv1", "CORP\\bob", 4, 0, 0, 0, 0}},
         2,
         {{0}},
         0,
         {0},
         0,
         "ws1",
         "earliest seed alert",
         1},
        {"external entry",
         {{20, "srv1", "CORP\\bob", 3, 0, 0, 0, 0},
          {1, "rapp", "CORP\\bob", 4, 0, 0, 0, 0}},
         2,
         {{-3, "CORP\\bob", "192.0.2.9", 2, "rapp", 10, 0}},
         1,
         {"rapp", "srv1"},
         2,
         "rapp",
         "from outside the network",
         1},
        {"failed external logons are no entry",
         {{0, "srv1", "CORP\\bob", 3, 0, 0, 0, 0},
          {20, "rapp", "CORP\\bob", 4, 0, 0, 0, 0}},
         2,
         {{-3, "CORP\\bob", "192.0.2.9", 2, "rapp", 10, 1}},
         1,
         {"rapp", "srv1"},
         2,
         "srv1",
         "earliest seed alert",
         1},
        {"tie",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0},
          {3, "ws2", "CORP\\bob", 3, 0, 0, 0, 0}},
         2,
         {{0}},
         0,
         {0},
         0,
         NULL,
         "several hosts start within the tie window (10 min): ws1, ws2",
         2},
        {"logs absent for the source",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0}},
         1,
         {{-30, "CORP\\bob", "ws9", 3, "ws1", 3, 0}},
         1,
         {"ws1"},
         1,
         NULL,
         "comes from ws9 whose logs were not read",
         2},
        {"logs read for the source",
         {{0, "ws1", "CORP\\bob", 3, 0, 0, 0, 0}},
         1,
         {{-30, "CORP\\bob", "ws9", 3, "ws1", 3, 0}},
         1,
         {"ws1", "WS9"},
         2,
         "ws9",
         "came from this host",
         2},
        {"internal address source",
         {{0, "fs1", "CORP\\bob", 3, 0, 0, 0, 0}},
         1,
         {{-5, "CORP\\bob", "10.9.0.4", 1, "fs1", 3, 0}},
         1,
         {"fs1"},
         1,
         NULL,
         "comes from 10.9.0.4",
         2},
        {"entry older than the lead",
         {{0, "fs1", "CORP\\bob", 3, 0, 0, 0, 0}},
         1,
         {{-25 * 60, "CORP\\bob", "10.9.0.4", 1, "fs1", 3, 0}},
         1,
         {"fs1"},
         1,
         "fs1",
         "earliest seed alert",
         1},
    };
    size_t i;

    for (i = 0; i < T_COUNT(cases); i++) {
        const pcase *p = &cases[i];
        kz_inc *e = run(NULL, p->a, p->na, p->ed, p->ne, p->hosts, p->nh);
        const kz_incident *c = kz_inc_at(e, 0);

        T_CHECK(c != NULL, "%s: no incident", p->name);
        if (c == NULL) {
            kz_inc_free(e);
            continue;
        }
        if (p->pz == NULL)
            T_CHECK(c->patient_zero == NULL, "%s: verdict %s", p->name,
                    c->patient_zero);
        else
            T_CHECK(c->patient_zero && strcmp(c->patient_zero, p->pz) == 0,
                    "%s: verdict %s", p->name,
                    c->patient_zero ? c->patient_zero : "undetermined");
        T_CHECK(strstr(c->reason, p->reason) != NULL, "%s: reason \"%s\"",
                p->name, c->reason);
        T_CHECK(c->n_candidates == p->ncand, "%s: %zu candidates", p->name,
                c->n_candidates);
        kz_inc_free(e);
    }
}

static void
test_patient_zero_none(void)
{
    static const arow a[] = {{0, "ws1", "CORP\\bob", 2, 0, 0, 0, 0}};
    kz_inc *e = run(NULL, a, T_COUNT(a), NULL, 0, NULL, 0);
    const char *h = "x", *r = NULL;

    T_EQ_INT(kz_inc_count(e), 0);
    kz_inc_first_host(e, &h, &r);
    T_CHECK(h == NULL, "host %s", h);
    T_EQ_STR(r, "no seed alerts");
    kz_inc_free(e);
}

/* Coverage times: logs that begin just before the earliest activity
 * cannot rule out an earlier one. */
static void
test_patient_zero_coverage_start(void)
{
    static const arow a[] = {{0, "ws1", "CORP\\bob", 4, 0, 0, 0, 0}};
    static const erow ed[] = {{-30, "CORP\\bob", "ws9", 3, "ws1", 3, 0}};
    static const struct {
        int ws1_first, ws9_first; /* minutes; 9999 = not in the coverage */
        const char *pz, *reason;
    } cases[] = {
        {-60, 9999, NULL, "ws9 whose logs were not read"},
        {-60, -20, NULL, "the logs of ws9 begin at 2023-06-04T15:40"},
        {-60, -90, "ws9", "came from this host"},
        {-2, -90, "ws9", "came from this host"},
    };
    static const arow b[] = {{0, "ws1", "CORP\\bob", 4, 0, 0, 0, 0}};
    size_t i;

    for (i = 0; i < T_COUNT(cases); i++) {
        kz_inc *e = kz_inc_new(NULL);
        const kz_incident *c;

        feed(e, a, T_COUNT(a), ed, T_COUNT(ed), NULL, 0);
        kz_inc_add_host(e, "ws1", at(cases[i].ws1_first), KZ_TIME_NONE);
        if (cases[i].ws9_first != 9999)
            kz_inc_add_host(e, "WS9.corp", at(cases[i].ws9_first),
                            KZ_TIME_NONE);
        T_EQ_INT(kz_inc_run(e), KZ_OK);
        c = kz_inc_at(e, 0);
        if (cases[i].pz == NULL)
            T_CHECK(c->patient_zero == NULL, "case %zu: %s", i,
                    c->patient_zero);
        else
            T_CHECK(c->patient_zero &&
                        strcmp(c->patient_zero, cases[i].pz) == 0,
                    "case %zu: %s", i, c->reason);
        T_CHECK(strstr(c->reason, cases[i].reason) != NULL, "case %zu: \"%s\"",
                i, c->reason);
        kz_inc_free(e);
    }
    /* an alert host whose logs begin 2 min before its alert */
    {
        kz_inc *e = kz_inc_new(NULL);
        const kz_incident *c;

        feed(e, b, T_COUNT(b), NULL, 0, NULL, 0);
        kz_inc_add_host(e, "ws1", at(-2), KZ_TIME_NONE);
        T_EQ_INT(kz_inc_run(e), KZ_OK);
        c = kz_inc_at(e, 0);
        T_CHECK(c->patient_zero == NULL, "late logs: %s", c->patient_zero);
        T_CHECK(strstr(c->reason, "the logs of ws1 begin at") != NULL &&
                    strstr(c->reason, "earlier activity may be missing"),
                "late logs: %s", c->reason);
        kz_inc_free(e);
    }
}

/* Removing the entry step changes patient zero or makes it undetermined. */
static void
test_patient_zero_mutation(void)
{
    static const arow full[] = {
        {0, "rapp", "CORP\\bob", 3, 0, 0, 0, "ext-rdp"},
        {30, "dc1", "CORP\\bob", 4, 0, 0, 0, "admin"},
        {31, "rapp", "CORP\\adm", 4, 0, 0, 0, "tool"},
        {120, "srv1", "CORP\\adm", 4, 0, 0, 0, "ransom"},
    };
    static const erow ed[] = {
        {0, "CORP\\bob", "192.0.2.9", 2, "rapp", 10, 0},
        {29, "CORP\\bob", "10.0.0.5", 1, "dc1", 3, 0},
        {119, "CORP\\adm", "10.0.0.5", 1, "srv1", 3, 0},
    };
    static const char *const hosts[] = {"rapp", "dc1", "srv1"};
    const char *h, *r;
    kz_inc *e = run(NULL, full, T_COUNT(full), ed, T_COUNT(ed), hosts, 3);

    kz_inc_first_host(e, &h, &r);
    T_CHECK(h && strcmp(h, "rapp") == 0, "full: %s (%s)", h ? h : "-", r);
    kz_inc_free(e);
    /* the entry step dropped: its alert and its logon */
    e = run(NULL, full + 1, T_COUNT(full) - 1, ed + 1, T_COUNT(ed) - 1, hosts,
            3);
    kz_inc_first_host(e, &h, &r);
    T_CHECK(h == NULL || strcmp(h, "rapp") != 0, "mutated: %s (%s)",
            h ? h : "-", r);
    kz_inc_free(e);
}

/* ---- caps -------------------------------------------------------- */

static void
test_caps(void)
{
    static const arow a[] = {
        {0, "h1", "CORP\\u1", 3, 0, "C:\\a.exe", 0, 0},
        {1, "h1", "CORP\\u1", 3, 0, "C:\\b.exe", 0, 0},
        {2, "h2", "CORP\\u2", 3, 0, 0, 0, 0},
        {3, "h3", "CORP\\u3", 3, 0, 0, 0, 0},
        {4, "h4", "CORP\\u4", 3, 0, 0, 0, 0},
    };
    static const erow ed[] = {
        {5, "CORP\\u1", "h1", 3, "s1", 3, 0},
        {6, "CORP\\u1", "h1", 3, "s2", 3, 0},
        {7, "CORP\\u1", "h1", 3, "s3", 3, 0},
    };
    kz_inc_config cfg = {0};
    kz_inc_stats st;
    kz_inc *e;

    cfg.max_alerts = 4;
    cfg.max_incidents = 2;
    cfg.max_rows = 1;
    cfg.max_tools = 1;
    cfg.max_steps = 2;
    cfg.max_edges = 3;
    cfg.max_text = 8;
    e = kz_inc_new(&cfg);
    feed(e, a, T_COUNT(a), ed, T_COUNT(ed), NULL, 0);
    {
        kz_inc_edge x = {0};

        x.account = "CORP\\u1";
        x.target = "s4";
        x.first = at(8);
        T_EQ_INT(kz_inc_add_edge(e, &x), KZ_OK);
        T_EQ_INT(kz_inc_add_host(e, "a-very-long-host-name", KZ_TIME_NONE,
                                 KZ_TIME_NONE),
                 KZ_OK);
    }
    T_EQ_INT(kz_inc_run(e), KZ_OK);
    T_EQ_INT(kz_inc_run(e), KZ_EUSAGE);
    kz_inc_get_stats(e, &st);
    T_EQ_INT(st.alerts, 5);
    T_EQ_INT(st.dropped_alerts, 1);
    T_EQ_INT(st.dropped_edges, 1);
    T_EQ_INT(kz_inc_count(e), 2);
    T_EQ_INT(st.dropped_incidents, 1);
    T_EQ_INT(kz_inc_at(e, 0)->n_rows, 1);
    T_EQ_INT(kz_inc_at(e, 0)->n_seeds, 2);
    T_EQ_INT(st.dropped_rows, 1);
    T_EQ_INT(kz_inc_at(e, 0)->n_tools, 1);
    T_EQ_INT(st.dropped_tools, 1);
    T_EQ_INT(kz_inc_at(e, 0)->n_steps, 2);
    T_EQ_INT(st.dropped_steps, 1);
    T_CHECK(st.cut_strings > 0, "cut %llu", (unsigned long long)st.cut_strings);
    T_CHECK(strlen(kz_inc_at(e, 0)->rows[0].alert.image) <= 8, "cut image");
    kz_inc_free(e);
}

/* ---- determinism ------------------------------------------------- */

/* Appends a full text form of every incident to buf. */
static void
dump(const kz_inc *e, char *buf, size_t cap)
{
    size_t i, j, n = 0;

#define OUT(...)                                                               \
    do {                                                                       \
        int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);                      \
        if (k_ > 0 && (size_t)k_ < cap - n)                                    \
            n += (size_t)k_;                                                   \
    } while (0)
    buf[0] = '\0';
    for (i = 0; i < kz_inc_count(e); i++) {
        const kz_incident *c = kz_inc_at(e, i);

        OUT("I%zu %lld %lld pz=%s r=%s\n", c->id, (long long)c->first,
            (long long)c->last, c->patient_zero ? c->patient_zero : "-",
            c->reason);
        for (j = 0; j < c->n_hosts; j++)
            OUT(" h %s", c->hosts[j]);
        for (j = 0; j < c->n_accounts; j++)
            OUT(" a %s", c->accounts[j]);
        for (j = 0; j < c->n_rows; j++)
            OUT(" r %s/%s/%llu", c->rows[j].alert.rule_id, c->rows[j].host,
                (unsigned long long)c->rows[j].alert.record_id);
        for (j = 0; j < c->n_tools; j++)
            OUT(" t %s %s %lld", c->tools[j].path, c->tools[j].hash,
                (long long)c->tools[j].first);
        for (j = 0; j < c->n_steps; j++)
            OUT(" s %s>%s %s %lld", c->steps[j].from, c->steps[j].to,
                c->steps[j].account, (long long)c->steps[j].time);
        for (j = 0; j < c->n_candidates; j++)
            OUT(" c %s %d %s", c->candidates[j].host, c->candidates[j].kind,
                c->candidates[j].evidence);
        OUT("\n");
    }
#undef OUT
}

static void
test_determinism(void)
{
    static const arow a[] = {
        {0, "rapp", "CORP\\bob", 3, "attack.initial_access", 0, 0, "x1"},
        {0, "rapp", "CORP\\bob", 3, "attack.initial_access", 0, 0, "x0"},
        {3, "ws2", "CORP\\bob", 4, "attack.execution", "C:\\t.exe", "H", 0},
        {3, "ws2", "CORP\\bob", 4, "attack.execution", "C:\\T.exe", "H", 0},
        {30, "dc1", "CORP\\adm", 4, "attack.persistence", 0, 0, 0},
        {31, "rapp", "CORP\\adm", 4, "", "C:\\m.exe", 0, 0},
        {120, "srv1", "CORP\\adm", 4, "attack.impact", 0, 0, 0},
        {900, "zz", "CORP\\other", 3, 0, 0, 0, 0},
        {901, "zz", "NT AUTHORITY\\SYSTEM", 3, 0, 0, 0, 0},
    };
    static const erow ed[] = {
        {0, "CORP\\bob", "192.0.2.9", 2, "rapp", 10, 0},
        {0, "CORP\\bob", "192.0.2.8", 2, "rapp", 10, 0},
        {29, "CORP\\bob", "10.0.0.5", 1, "dc1", 3, 0},
        {29, "CORP\\adm", "10.0.0.5", 1, "dc1", 3, 0},
        {119, "CORP\\adm", "10.0.0.5", 1, "srv1", 3, 0},
        {119, "CORP\\adm", "rapp", 3, "srv2", 3, 0},
        {119, "CORP\\adm", "rapp", 3, "srv2", 10, 0},
    };
    static const char *const hosts[] = {"rapp", "dc1", "srv1", "RAPP.x.y"};
    char *ref = malloc(1 << 16), *got = malloc(1 << 16);
    arow pa[T_COUNT(a)];
    erow pe[T_COUNT(ed)];
    const char *ph[T_COUNT(hosts)];
    uint32_t seed = 12345;
    kz_inc *e;
    int round;

    e = run(NULL, a, T_COUNT(a), ed, T_COUNT(ed), hosts, T_COUNT(hosts));
    dump(e, ref, 1 << 16);
    T_EQ_INT(kz_inc_count(e), 2);
    kz_inc_free(e);
    for (round = 0; round < 20; round++) {
        size_t i;

        memcpy(pa, a, sizeof(a));
        memcpy(pe, ed, sizeof(ed));
        memcpy(ph, hosts, sizeof(hosts));
#define SHUF(v, n, T)                                                          \
    for (i = (n)-1; i > 0; i--) {                                              \
        size_t j_;                                                             \
        T tmp_;                                                                \
        seed = seed * 1103515245u + 12345u;                                    \
        j_ = (seed >> 8) % (i + 1);                                            \
        tmp_ = v[i];                                                           \
        v[i] = v[j_];                                                          \
        v[j_] = tmp_;                                                          \
    }
        SHUF(pa, T_COUNT(pa), arow)
        SHUF(pe, T_COUNT(pe), erow)
        SHUF(ph, T_COUNT(ph), const char *)
#undef SHUF
        e = run(NULL, pa, T_COUNT(pa), pe, T_COUNT(pe), ph, T_COUNT(ph));
        dump(e, got, 1 << 16);
        T_CHECK(strcmp(ref, got) == 0, "round %d:\n%s---\n%s", round, ref, got);
        kz_inc_free(e);
    }
    free(ref);
    free(got);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_cluster),
        T_CASE(test_killchain_order),
        T_CASE(test_tools),
        T_CASE(test_lateral_path),
        T_CASE(test_patient_zero),
        T_CASE(test_patient_zero_none),
        T_CASE(test_patient_zero_coverage_start),
        T_CASE(test_patient_zero_mutation),
        T_CASE(test_caps),
        T_CASE(test_determinism),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
