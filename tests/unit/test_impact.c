/*
 * test_impact.c - the impact scope (src/investigate/impact.h): which
 * facts go to which incident (by account, source, host with account or
 * image, mailbox without account; service identities, other hosts and
 * times outside the window excluded), distinct counting with folded
 * paths, the access union, determinism under spills, and the parsers of
 * access masks and mailbox commands. Table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/impact.h"
#include "investigate/incident.h"
#include "t.h"

#define MIN (60 * KZ_INC_SECOND)

static kz_time
at(int minutes)
{
    kz_civil c = {2023, 6, 4, 16, 0, 0, 0};
    kz_time t;

    kz_time_from_civil(&c, &t);
    return t + (kz_time)minutes * MIN;
}

/* A fact: minute, kind, access, host, share, object, account, source,
 * image. */
typedef struct frow {
    int min;
    uint8_t kind, access;
    const char *host, *share, *object, *account, *source, *image;
} frow;

/* Two incidents: 1 = fs01/ws01 with TECHNO\adm_x (from 10.0.0.5, image
 * C:\ProgramData\lock.exe), minutes 0..60; 2 = mail01 without account,
 * minutes 600..610. */
static const char *const i1_hosts[] = {"ws01", "fs01"};
static const char *const i1_sources[] = {"10.0.0.5"};
static const char *const i1_accounts[] = {"techno\\adm_x", "bare_user"};
static const char *const i1_images[] = {"C:\\ProgramData\\lock.exe",
                                        "C:\\Windows\\System32\\cmd.exe"};
static const char *const i2_hosts[] = {"mail01"};

static void
incidents(kz_imp_incident inc[2])
{
    memset(inc, 0, 2 * sizeof(*inc));
    inc[0].id = 1;
    inc[0].from = at(0) - 24 * 60 * MIN;
    inc[0].to = at(60) + 24 * 60 * MIN;
    inc[0].hosts = i1_hosts;
    inc[0].n_hosts = 2;
    inc[0].sources = i1_sources;
    inc[0].n_sources = 1;
    inc[0].accounts = i1_accounts;
    inc[0].n_accounts = 2;
    inc[0].images = i1_images;
    inc[0].n_images = 2;
    inc[1].id = 2;
    inc[1].from = at(600);
    inc[1].to = at(610);
    inc[1].hosts = i2_hosts;
    inc[1].n_hosts = 1;
}

/* What a run reported, one line per group and per object. */
typedef struct out {
    char text[8192];
    size_t len;
} out;

static kz_status
on_obj(void *ctx, const kz_imp_object *o)
{
    out *w = ctx;

    w->len += (size_t)snprintf(w->text + w->len, sizeof(w->text) - w->len,
                               "  %s a%u e%llu\n", o->object,
                               (unsigned)o->access,
                               (unsigned long long)o->events);
    return KZ_OK;
}

static kz_status
on_grp(void *ctx, const kz_imp_group *g)
{
    out *w = ctx;

    w->len += (size_t)snprintf(
        w->text + w->len, sizeof(w->text) - w->len,
        "%zu k%u %s %s R%llu W%llu D%llu T%llu n%zu\n", g->incident,
        (unsigned)g->kind, g->host ? g->host : "-", g->share ? g->share : "-",
        (unsigned long long)g->read, (unsigned long long)g->written,
        (unsigned long long)g->deleted, (unsigned long long)g->total,
        g->n_accounts);
    return KZ_OK;
}

static void
run(const frow *rows, size_t n, size_t bound, out *w, kz_imp_stats *st)
{
    kz_imp_config cfg = {bound, 0, NULL};
    kz_imp_incident inc[2];
    kz_imp *m = NULL;
    kz_error err;
    size_t i;

    kz_error_clear(&err);
    memset(w, 0, sizeof(*w));
    incidents(inc);
    T_CHECK(kz_imp_new(&cfg, &m, &err) == KZ_OK, "new: %s", err.msg);
    for (i = 0; i < n; i++) {
        kz_imp_fact f = {at(rows[i].min), rows[i].kind, rows[i].access,
                         rows[i].host, rows[i].share, rows[i].object,
                         rows[i].account, rows[i].source, rows[i].image,
                         "a.evtx", 5145, 100 + i};

        T_CHECK(kz_imp_add(m, &f, &err) == KZ_OK, "add %zu", i);
    }
    T_CHECK(kz_imp_run(m, inc, 2, on_obj, on_grp, w, &err) == KZ_OK,
            "run: %s", err.msg);
    kz_imp_get_stats(m, st);
    kz_imp_free(m);
}

#define SH KZ_IMP_SHARE
#define LO KZ_IMP_LOCAL
#define MB KZ_IMP_MAILBOX
#define R KZ_IMP_READ
#define W KZ_IMP_WRITE
#define D KZ_IMP_DELETE

static const frow facts[] = {
    /* share reads by the incident's account (two spellings, one file
     * in two cases: one object) */
    {10, SH, R, "FS01.corp.local", "Sales", "a\\x.pdf", "TECHNO\\adm_x",
     "10.9.9.9", NULL},
    {11, SH, R, "FS01.corp.local", "sales", "A/X.PDF",
     "adm_x@techno.local", NULL, NULL},
    {12, SH, W, "FS01.corp.local", "Sales", "a\\x.pdf", "TECHNO\\adm_x",
     NULL, NULL},
    /* by source address, another account */
    {13, SH, R, "FS02", "HR", "pay.xlsx", "CORP\\someone", "10.0.0.5",
     NULL},
    /* by source host name (a step's host) */
    {14, SH, D, "FS02", "HR", "old.xlsx", "CORP\\someone", "WS01", NULL},
    /* bare incident account joins any domain */
    {15, SH, R, "FS02", "HR", "b.docx", "OTHER\\bare_user", NULL, NULL},
    /* not attributed: another account from another address */
    {16, SH, R, "FS01", "Sales", "c.pdf", "CORP\\clerk", "10.1.1.1", NULL},
    /* not attributed: service identity and machine account */
    {17, SH, R, "FS01", "Sales", "d.pdf", "NT AUTHORITY\\SYSTEM", NULL,
     NULL},
    {18, SH, R, "FS01", "Sales", "e.pdf", "CORP\\WS09$", NULL, NULL},
    /* local: on an incident host by its image (SYSTEM) */
    {20, LO, W, "WS01", NULL, "D:\\data\\1.locked", "NT AUTHORITY\\SYSTEM",
     NULL, "c:/programdata/LOCK.exe"},
    /* local: by its account */
    {21, LO, D, "ws01.corp.local", NULL, "C:\\tmp\\dump.dmp",
     "TECHNO\\adm_x", NULL, "C:\\Windows\\explorer.exe"},
    /* not attributed: its image on another host */
    {22, LO, W, "WS07", NULL, "D:\\data\\2.locked", "NT AUTHORITY\\SYSTEM",
     NULL, "C:\\ProgramData\\lock.exe"},
    /* not attributed: another image, another account on its host */
    {23, LO, W, "WS01", NULL, "C:\\x.tmp", "CORP\\clerk", NULL,
     "C:\\Windows\\notepad.exe"},
    /* the tool itself arriving on a host of no incident (any writer) */
    {25, LO, W, "WS09", NULL, "c:\\programdata\\lock.exe",
     "NT AUTHORITY\\SYSTEM", NULL, "C:\\agent\\push.exe"},
    /* not attributed: a system binary that is an incident image */
    {26, LO, W, "WS09", NULL, "C:\\Windows\\System32\\cmd.exe",
     "NT AUTHORITY\\SYSTEM", NULL, "C:\\agent\\push.exe"},
    /* not attributed: outside incident 1's window */
    {24 * 60 + 61, SH, R, "FS01", "Sales", "late.pdf", "TECHNO\\adm_x",
     NULL, NULL},
    /* mailbox without an account on incident 2's host */
    {601, MB, R, "MAIL01.corp.local", NULL, "u.sato", NULL, NULL, NULL},
    {602, MB, R, "MAIL01", NULL, "U.Sato", NULL, NULL, NULL},
    {603, MB, R, "MAIL01", NULL, "k.ito", NULL, NULL, NULL},
    /* not attributed: mailbox after incident 2's window */
    {700, MB, R, "MAIL01", NULL, "z.late", NULL, NULL, NULL},
    /* not attributed: mailbox with an account that is not incident 2's */
    {604, MB, R, "MAIL01", NULL, "q.other", "CORP\\clerk", NULL, NULL},
};

static const char expect[] =
    "  a\\x.pdf a3 e3\n"
    "1 k0 FS01.corp.local Sales R1 W1 D0 T1 n1\n"
    "  b.docx a1 e1\n"
    "  old.xlsx a4 e1\n"
    "  pay.xlsx a1 e1\n"
    "1 k0 FS02 HR R2 W0 D1 T3 n2\n"
    "  C:\\tmp\\dump.dmp a4 e1\n"
    "  D:\\data\\1.locked a2 e1\n"
    "1 k1 ws01.corp.local - R0 W1 D1 T2 n2\n"
    "  c:\\programdata\\lock.exe a2 e1\n"
    "1 k1 WS09 - R0 W1 D0 T1 n1\n"
    "  k.ito a1 e1\n"
    "  u.sato a1 e2\n"
    "2 k2 MAIL01 - R2 W0 D0 T2 n0\n";

static void
test_impact_attribution(void)
{
    kz_imp_stats st;
    out w;

    run(facts, T_COUNT(facts), 0, &w, &st);
    T_CHECK(strcmp(w.text, expect) == 0, "got:\n%s\nwant:\n%s", w.text,
            expect);
    T_EQ_INT(st.facts, T_COUNT(facts));
    T_EQ_INT(st.groups, 5);
    T_EQ_INT(st.objects, 9);
    /* unattributed: 16, 17, 18, 22, 23, 26, late, z.late, q.other */
    T_EQ_INT(st.unattributed, 9);
}

static void
test_impact_spills_same_output(void)
{
    kz_imp_stats st;
    out a, b;

    run(facts, T_COUNT(facts), 0, &a, &st);
    run(facts, T_COUNT(facts), 64, &b, &st); /* a spill per fact */
    T_CHECK(st.spills > 0, "no spill at a 64-byte bound");
    T_EQ_STR(a.text, b.text);
}

static void
test_impact_dropped_facts(void)
{
    static const frow bad[] = {
        {10, SH, 0, "FS01", "Sales", "x", "TECHNO\\adm_x", NULL, NULL},
        {10, SH, R, "FS01", "Sales", "", "TECHNO\\adm_x", NULL, NULL},
        {10, SH, R, "FS01", "Sales", NULL, "TECHNO\\adm_x", NULL, NULL},
    };
    kz_imp_stats st;
    out w;

    run(bad, T_COUNT(bad), 0, &w, &st);
    T_EQ_INT(st.facts, 0);
    T_EQ_INT(st.dropped_facts, 3);
    T_EQ_STR(w.text, "");
}

static void
test_impact_fact_cap(void)
{
    kz_imp_config cfg = {0, 2, NULL};
    kz_imp *m = NULL;
    kz_imp_stats st;
    kz_error err;
    int i;

    kz_error_clear(&err);
    T_CHECK(kz_imp_new(&cfg, &m, &err) == KZ_OK, "new");
    for (i = 0; i < 3; i++) {
        kz_imp_fact f = {at(i), SH, R, "FS01", "S", "x", "A\\b", NULL, NULL,
                         "a.evtx", 5145, (uint64_t)i};

        T_CHECK(kz_imp_add(m, &f, &err) == KZ_OK, "add");
    }
    kz_imp_get_stats(m, &st);
    T_EQ_INT(st.facts, 2);
    T_EQ_INT(st.capped_facts, 1);
    T_EQ_INT(st.dropped_facts, 0);
    kz_imp_free(m);
}

static void
test_impact_access_bits(void)
{
    static const struct {
        const char *s;
        unsigned want;
    } rows[] = {
        {"0x1", KZ_IMP_READ},
        {"0x2", KZ_IMP_WRITE},
        {"0x4", KZ_IMP_WRITE},
        {"0x10000", KZ_IMP_DELETE},
        {"0x120089", KZ_IMP_READ},
        {"0x12019F", KZ_IMP_READ | KZ_IMP_WRITE},
        {"0x10080", KZ_IMP_DELETE},
        {"0x80", 0},     /* ReadAttributes only */
        {"0x100000", 0}, /* SYNCHRONIZE only */
        {"65536", KZ_IMP_DELETE},
        {"1", KZ_IMP_READ},
        {"0x", 0},
        {"", 0},
        {"%%4416", 0},
        {"0xZZ", 0},
        {"0x1ffffffffffffffff", 0}, /* overflow */
    };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++)
        T_CHECK(kz_imp_access_bits(rows[i].s, strlen(rows[i].s)) ==
                    rows[i].want,
                "%s", rows[i].s);
}

static void
test_impact_mailbox_of(void)
{
    static const struct {
        const char *s, *want; /* want NULL: none */
    } rows[] = {
        {"New-MailboxExportRequest -Mailbox u.sato -FilePath \\\\h\\p$\\a.pst",
         "u.sato"},
        {"new-mailboxexportrequest -mailbox:'k ito' -FilePath x", "k ito"},
        {"Search-Mailbox -Identity \"a b\" -TargetMailbox x", "a b"},
        {"Search-Mailbox -TargetMailbox x", NULL},
        {"New-MailboxExportRequest -FilePath x -Mailbox ceo;Get-Date",
         "ceo"},
        {"New-MailboxExportRequest {-Mailbox=u.shimizu, -FilePath=\\\\h\\p$}",
         "u.shimizu"}, /* the Exchange cmdlet log's form */
        {"Get-MailboxExportRequest -Mailbox x", NULL},
        {"New-MailboxExportRequest -FilePath x", NULL},
        {"New-MailboxExportRequest -MailboxX y", NULL},
        {"New-MailboxExportRequest -Mailbox ", NULL},
        {"Write-Host -Mailbox x", NULL},
    };
    char buf[300];
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        bool ok = kz_imp_mailbox_of(rows[i].s, strlen(rows[i].s), buf,
                                    sizeof(buf));

        if (rows[i].want == NULL)
            T_CHECK(!ok, "%s: got %s", rows[i].s, buf);
        else {
            T_CHECK(ok, "%s: none", rows[i].s);
            if (ok)
                T_EQ_STR(buf, rows[i].want);
        }
    }
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(test_impact_attribution),
        T_CASE(test_impact_spills_same_output),
        T_CASE(test_impact_dropped_facts),
        T_CASE(test_impact_fact_cap),
        T_CASE(test_impact_access_bits),
        T_CASE(test_impact_mailbox_of),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
