/*
 * test_logsource.c - the Windows logsource mapping: every table row, the
 * unsupported cases, and the Security-alternate rewrites (4688, 4657,
 * 5156). Rules are built by hand (tb_* below), independent of the loader.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sigma/logsource.h"
#include "sigma/logsource_int.h"
#include "sigma/sigma.h"
#include "t.h"

/* ---- rule builder ---------------------------------------------------- */

#define TB_MAX_VALS 4

/* One item of a hand-built rule: field (NULL = keyword) and up to
 * TB_MAX_VALS values, each its own OR-group. Values are globs: `*` STAR,
 * `?` QMARK, anything else literal. */
typedef struct tb_item {
    const char *field;
    const char *vals[TB_MAX_VALS];
} tb_item;

static kz_sg_pattern
tb_pattern(kz_arena *a, const char *glob)
{
    size_t n = strlen(glob), i, nt = 0;
    char *text = kz_arena_alloc(a, n + 1);
    kz_sg_tok *toks = kz_arena_alloc(a, (n + 1) * sizeof(*toks));
    size_t len = 0;
    kz_sg_pattern p;

    for (i = 0; i < n; i++) {
        if (glob[i] == '*' || glob[i] == '?') {
            toks[nt].kind = glob[i] == '*' ? KZ_TOK_STAR : KZ_TOK_QMARK;
            toks[nt].off = 0;
            toks[nt].len = 0;
            nt++;
            continue;
        }
        if (nt == 0 || toks[nt - 1].kind != KZ_TOK_LIT) {
            toks[nt].kind = KZ_TOK_LIT;
            toks[nt].off = (uint32_t)len;
            toks[nt].len = 0;
            nt++;
        }
        text[len++] = glob[i];
        toks[nt - 1].len++;
    }
    text[len] = '\0';
    p.text = text;
    p.text_len = len;
    p.toks = toks;
    p.ntoks = nt;
    return p;
}

/* A rule with nsel selections "sel0".."selN", each one map holding the
 * items of items[s] (nitems[s] of them). */
static kz_sigma_rule *
tb_rule_n(const char *product, const char *category, const char *service,
          const tb_item *const *items, const size_t *nitems, size_t nsel)
{
    kz_sigma_rule *r = calloc(1, sizeof(*r));
    kz_sg_selection *sels;
    size_t s, i, v;

    kz_arena_init(&r->arena, 4096, 0);
    r->kind = KZ_SG_RULE;
    r->product = product;
    r->category = category;
    r->service = service;
    sels = kz_arena_alloc(&r->arena, (nsel + 1) * sizeof(*sels));
    for (s = 0; s < nsel; s++) {
        kz_sg_map *map = kz_arena_alloc(&r->arena, sizeof(*map));
        kz_sg_item *its =
            kz_arena_alloc(&r->arena, (nitems[s] + 1) * sizeof(*its));
        char *name = kz_arena_alloc(&r->arena, 16);

        snprintf(name, 16, "sel%zu", s);
        for (i = 0; i < nitems[s]; i++) {
            kz_sg_group *groups = kz_arena_alloc(
                &r->arena, TB_MAX_VALS * sizeof(*groups));
            size_t ng = 0;

            memset(&its[i], 0, sizeof(its[i]));
            its[i].field = items[s][i].field;
            for (v = 0; v < TB_MAX_VALS && items[s][i].vals[v] != NULL;
                 v++) {
                kz_sg_value *val =
                    kz_arena_alloc(&r->arena, sizeof(*val));

                memset(val, 0, sizeof(*val));
                val->kind = KZ_SV_PATTERN;
                val->pat = tb_pattern(&r->arena, items[s][i].vals[v]);
                val->orig = items[s][i].vals[v];
                groups[ng].alts = val;
                groups[ng].nalts = 1;
                ng++;
            }
            its[i].groups = groups;
            its[i].ngroups = ng;
        }
        map->items = its;
        map->nitems = nitems[s];
        sels[s].name = name;
        sels[s].maps = map;
        sels[s].nmaps = 1;
    }
    r->sels = sels;
    r->nsels = nsel;
    return r;
}

/* A rule with one selection of n items. */
static kz_sigma_rule *
tb_rule(const char *product, const char *category, const char *service,
        const tb_item *items, size_t n)
{
    return tb_rule_n(product, category, service, &items, &n, 1);
}

static void
tb_free(kz_sigma_rule *r)
{
    if (r == NULL)
        return;
    kz_arena_fini(&r->arena);
    free(r);
}

/* Renders a pattern back to glob text (`*`, `?`, `~` for windash). */
static const char *
tb_render(const kz_sg_pattern *p, char *buf, size_t cap)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < p->ntoks; i++) {
        const kz_sg_tok *t = &p->toks[i];

        if (t->kind == KZ_TOK_LIT)
            len += (size_t)snprintf(buf + len, cap - len, "%.*s", (int)t->len,
                                    p->text + t->off);
        else
            len += (size_t)snprintf(buf + len, cap - len, "%s",
                                    t->kind == KZ_TOK_STAR    ? "*"
                                    : t->kind == KZ_TOK_QMARK ? "?"
                                                              : "~");
        if (len >= cap)
            break;
    }
    return buf;
}

/* A hand-built rule mapped into its own arena: what every case sets up
 * and tears down. */
typedef struct tb_fix {
    kz_sigma_rule *r;          /* the rule (owned; freed by tb_fix_fini) */
    kz_arena a;                /* arena of the targets */
    const kz_ls_target *t;     /* targets (NULL unless st == KZ_OK) */
    size_t n;                  /* their count */
    const char *why;           /* reason when st == KZ_EUNSUPPORTED */
    kz_status st;              /* what kz_logsource_map returned */
} tb_fix;

/* Maps r (which f then owns) in an arena of block_size bytes per block
 * and at most limit (0 = none); *n starts non-zero so a failure that
 * leaves it set is seen. Returns f->st. */
static kz_status
tb_fix_map(tb_fix *f, kz_sigma_rule *r, size_t block_size, size_t limit)
{
    memset(f, 0, sizeof(*f));
    f->r = r;
    f->n = 7;
    kz_arena_init(&f->a, block_size, limit);
    f->st = kz_logsource_map(r, &f->a, &f->t, &f->n, &f->why);
    return f->st;
}

static void
tb_fix_fini(tb_fix *f)
{
    tb_free(f->r);
    kz_arena_fini(&f->a);
}

/* The target of kind alt among t[0..n), or NULL. */
static const kz_ls_target *
tb_target(const kz_ls_target *t, size_t n, kz_ls_alt alt)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (t[i].alt == alt)
            return &t[i];
    return NULL;
}

/* ---- the table ------------------------------------------------------- */

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_OP "Microsoft-Windows-PowerShell/Operational"
#define PS_CORE "PowerShellCore/Operational"

/* Expected mapping of one category or service. */
typedef struct exp_row {
    const char *name;
    const char *channels[4];
    uint32_t eids[13];
    kz_ls_alt alt;
} exp_row;

static const exp_row exp_categories[] = {
    { "process_creation", { SYSMON }, { 1 }, KZ_LS_ALT_4688 },
    { "file_change", { SYSMON }, { 2 }, KZ_LS_NATIVE },
    { "network_connection", { SYSMON }, { 3 }, KZ_LS_ALT_5156 },
    { "sysmon_status", { SYSMON }, { 4, 16 }, KZ_LS_NATIVE },
    { "process_termination", { SYSMON }, { 5 }, KZ_LS_NATIVE },
    { "driver_load", { SYSMON }, { 6 }, KZ_LS_NATIVE },
    { "image_load", { SYSMON }, { 7 }, KZ_LS_NATIVE },
    { "create_remote_thread", { SYSMON }, { 8 }, KZ_LS_NATIVE },
    { "raw_access_thread", { SYSMON }, { 9 }, KZ_LS_NATIVE },
    { "process_access", { SYSMON }, { 10 }, KZ_LS_NATIVE },
    { "file_event", { SYSMON }, { 11 }, KZ_LS_NATIVE },
    { "registry_add", { SYSMON }, { 12 }, KZ_LS_ALT_4657 },
    { "registry_delete", { SYSMON }, { 12 }, KZ_LS_ALT_4657 },
    { "registry_set", { SYSMON }, { 13 }, KZ_LS_ALT_4657 },
    { "registry_rename", { SYSMON }, { 14 }, KZ_LS_NATIVE },
    { "registry_event", { SYSMON }, { 12, 13, 14 }, KZ_LS_ALT_4657 },
    { "create_stream_hash", { SYSMON }, { 15 }, KZ_LS_NATIVE },
    { "pipe_created", { SYSMON }, { 17, 18 }, KZ_LS_NATIVE },
    { "wmi_event", { SYSMON }, { 19, 20, 21 }, KZ_LS_ALT_WMI },
    { "dns_query", { SYSMON }, { 22 }, KZ_LS_NATIVE },
    { "file_delete", { SYSMON }, { 23, 26 }, KZ_LS_NATIVE },
    { "clipboard_capture", { SYSMON }, { 24 }, KZ_LS_NATIVE },
    { "clipboard_change", { SYSMON }, { 24 }, KZ_LS_NATIVE },
    { "process_tampering", { SYSMON }, { 25 }, KZ_LS_NATIVE },
    { "file_delete_detected", { SYSMON }, { 26 }, KZ_LS_NATIVE },
    { "file_block_executable", { SYSMON }, { 27 }, KZ_LS_NATIVE },
    { "file_block_shredding", { SYSMON }, { 28 }, KZ_LS_NATIVE },
    { "file_executable_detected", { SYSMON }, { 29 }, KZ_LS_NATIVE },
    { "sysmon_error", { SYSMON }, { 255 }, KZ_LS_NATIVE },
    { "ps_module", { PS_OP, PS_CORE }, { 4103 }, KZ_LS_NATIVE },
    { "ps_script", { PS_OP, PS_CORE }, { 4104 }, KZ_LS_NATIVE },
    { "ps_classic_start", { "Windows PowerShell" }, { 400 }, KZ_LS_NATIVE },
    { "ps_classic_provider_start", { "Windows PowerShell" }, { 600 },
      KZ_LS_NATIVE },
    { "ps_classic_script", { "Windows PowerShell" }, { 800 }, KZ_LS_NATIVE },
    { "antivirus", { "Microsoft-Windows-Windows Defender/Operational" },
      { 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115,
        1116 },
      KZ_LS_NATIVE },
};

static const exp_row exp_services[] = {
    { "security", { "Security" }, { 0 }, 0 },
    { "system", { "System" }, { 0 }, 0 },
    { "application", { "Application" }, { 0 }, 0 },
    { "sysmon", { SYSMON }, { 0 }, 0 },
    { "powershell", { PS_OP, PS_CORE }, { 0 }, 0 },
    { "powershell-classic", { "Windows PowerShell" }, { 0 }, 0 },
    { "taskscheduler", { "Microsoft-Windows-TaskScheduler/Operational" },
      { 0 }, 0 },
    { "wmi", { "Microsoft-Windows-WMI-Activity/Operational" }, { 0 }, 0 },
    { "windefend", { "Microsoft-Windows-Windows Defender/Operational" },
      { 0 }, 0 },
    { "applocker",
      { "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution" },
      { 0 }, 0 },
    { "dns-server", { "DNS Server" }, { 0 }, 0 },
    { "dns-server-audit", { "Microsoft-Windows-DNS-Server/Audit" }, { 0 },
      0 },
    { "dns-server-analytic", { "Microsoft-Windows-DNS-Server/Analytical" },
      { 0 }, 0 },
    { "dns-client", { "Microsoft-Windows-DNS Client Events/Operational" },
      { 0 }, 0 },
    { "driver-framework",
      { "Microsoft-Windows-DriverFrameworks-UserMode/Operational" }, { 0 },
      0 },
    { "ntlm", { "Microsoft-Windows-NTLM/Operational" }, { 0 }, 0 },
    { "dhcp", { "Microsoft-Windows-DHCP-Server/Operational" }, { 0 }, 0 },
    { "msexchange-management", { "MSExchange Management" }, { 0 }, 0 },
    { "printservice-admin", { "Microsoft-Windows-PrintService/Admin" },
      { 0 }, 0 },
    { "printservice-operational",
      { "Microsoft-Windows-PrintService/Operational" }, { 0 }, 0 },
    { "codeintegrity-operational",
      { "Microsoft-Windows-CodeIntegrity/Operational" }, { 0 }, 0 },
    { "smbclient-security", { "Microsoft-Windows-SmbClient/Security" },
      { 0 }, 0 },
    { "smbclient-connectivity",
      { "Microsoft-Windows-SmbClient/Connectivity" }, { 0 }, 0 },
    { "smbserver-connectivity",
      { "Microsoft-Windows-SMBServer/Connectivity" }, { 0 }, 0 },
    { "smbserver-security", { "Microsoft-Windows-SMBServer/Security" },
      { 0 }, 0 },
    { "firewall-as",
      { "Microsoft-Windows-Windows Firewall With Advanced Security/"
        "Firewall" },
      { 0 }, 0 },
    { "bits-client", { "Microsoft-Windows-Bits-Client/Operational" }, { 0 },
      0 },
    { "terminalservices-localsessionmanager",
      { "Microsoft-Windows-TerminalServices-LocalSessionManager/"
        "Operational" },
      { 0 }, 0 },
    { "terminalservices-remoteconnectionmanager",
      { "Microsoft-Windows-TerminalServices-RemoteConnectionManager/"
        "Operational" },
      { 0 }, 0 },
    { "microsoft-servicebus-client",
      { "Microsoft-ServiceBus-Client",
        "Microsoft-ServiceBus-Client/Operational",
        "Microsoft-ServiceBus-Client/Admin" },
      { 0 }, 0 },
    { "ldap_debug", { "Microsoft-Windows-LDAP-Client/Debug" }, { 0 }, 0 },
    { "ldap", { "Microsoft-Windows-LDAP-Client/Debug" }, { 0 }, 0 },
    { "security-mitigations",
      { "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode" },
      { 0 }, 0 },
    { "diagnosis-scripted",
      { "Microsoft-Windows-Diagnosis-Scripted/Operational" }, { 0 }, 0 },
    { "shell-core", { "Microsoft-Windows-Shell-Core/Operational" }, { 0 },
      0 },
    { "openssh", { "OpenSSH/Operational" }, { 0 }, 0 },
    { "bitlocker", { "Microsoft-Windows-BitLocker/BitLocker Management" },
      { 0 }, 0 },
    { "vhdmp", { "Microsoft-Windows-VHDMP/Operational" }, { 0 }, 0 },
    { "appxdeployment-server",
      { "Microsoft-Windows-AppXDeploymentServer/Operational" }, { 0 }, 0 },
    { "appxpackaging-om", { "Microsoft-Windows-AppxPackaging/Operational" },
      { 0 }, 0 },
    { "lsa-server", { "Microsoft-Windows-LSA/Operational" }, { 0 }, 0 },
    { "appmodel-runtime", { "Microsoft-Windows-AppModel-Runtime/Admin" },
      { 0 }, 0 },
    { "capi2", { "Microsoft-Windows-CAPI2/Operational" }, { 0 }, 0 },
    { "certificateservicesclient-lifecycle-system",
      { "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/"
        "Operational" },
      { 0 }, 0 },
    { "kernel-shimengine",
      { "Microsoft-Windows-Kernel-ShimEngine/Operational",
        "Microsoft-Windows-Kernel-ShimEngine/Diagnostic" },
      { 0 }, 0 },
    { "application-experience",
      { "Microsoft-Windows-Application-Experience/Program-Telemetry",
        "Microsoft-Windows-Application-Experience/"
        "Program-Compatibility-Assistant" },
      { 0 }, 0 },
    { "ntfs", { "Microsoft-Windows-Ntfs/Operational" }, { 0 }, 0 },
    { "hyper-v-worker",
      { "Microsoft-Windows-Hyper-V-Worker",
        "Microsoft-Windows-Hyper-V-Worker-Admin" },
      { 0 }, 0 },
    { "kernel-event-tracing",
      { "Microsoft-Windows-Kernel-EventTracing",
        "Microsoft-Windows-Kernel-EventTracing/Admin" },
      { 0 }, 0 },
    { "iis-configuration", { "Microsoft-IIS-Configuration/Operational" },
      { 0 }, 0 },
};

/* Checks that mapping a rule of row e gives exactly e's target(s). */
static void
check_row(const exp_row *e, bool service, size_t row)
{
    tb_fix f;
    const kz_ls_target *t, *nat;
    size_t n, i, nch = 0, neid = 0;

    /* a keyword-only rule: every alternate accepts it */
    tb_item it = { NULL, { "x" } };

    tb_fix_map(&f, tb_rule("windows", service ? NULL : e->name,
                           service ? e->name : NULL, &it, 1), 4096, 0);
    t = f.t;
    n = f.n;
    T_CHECK(f.st == KZ_OK, "row %zu %s: status %d (%s)", row, e->name, f.st,
            f.why ? f.why : "");
    if (f.st != KZ_OK)
        goto out;
    while (nch < 4 && e->channels[nch] != NULL)
        nch++;
    while (neid < 13 && e->eids[neid] != 0)
        neid++;
    T_CHECK(n == (e->alt != KZ_LS_NATIVE ? 2u : 1u), "row %zu %s: %zu targets",
            row, e->name, n);
    nat = tb_target(t, n, KZ_LS_NATIVE);
    T_CHECK(nat == &t[0], "row %zu %s: native target first", row, e->name);
    if (nat == NULL)
        goto out;
    T_CHECK(nat->nchannels == nch, "row %zu %s: %zu channels, want %zu", row,
            e->name, nat->nchannels, nch);
    for (i = 0; i < nch && i < nat->nchannels; i++)
        T_CHECK(strcmp(nat->channels[i], e->channels[i]) == 0,
                "row %zu %s: channel %zu \"%s\" != \"%s\"", row, e->name, i,
                nat->channels[i], e->channels[i]);
    T_CHECK(nat->neids == neid, "row %zu %s: %zu eids, want %zu", row,
            e->name, nat->neids, neid);
    T_CHECK((neid == 0) == (nat->eids == NULL), "row %zu %s: eids pointer",
            row, e->name);
    for (i = 0; i < neid && i < nat->neids; i++)
        T_CHECK(nat->eids[i] == e->eids[i], "row %zu %s: eid %zu %u != %u",
                row, e->name, i, nat->eids[i], e->eids[i]);
    if (service || kz_ls_find_category(e->name)->native_ren == 0)
        T_CHECK(nat->sels == f.r->sels && nat->nsels == f.r->nsels,
                "row %zu %s: native selections are the rule's", row,
                e->name);
    if (e->alt != KZ_LS_NATIVE)
        T_CHECK(tb_target(t, n, e->alt) != NULL, "row %zu %s: no %s target",
                row, e->name, kz_ls_alt_name(e->alt));
out:
    tb_fix_fini(&f);
}

/* Every expected row maps right, and every table row is expected. */
static void
check_table(const exp_row *exp, size_t nexp, bool service)
{
    const kz_ls_row *row;
    size_t i, j;

    for (i = 0; i < nexp; i++)
        check_row(&exp[i], service, i);
    for (i = 0; (row = kz_ls_row_at(service, i)) != NULL; i++) {
        bool found = row->unsupported != NULL;

        for (j = 0; j < nexp && !found; j++)
            found = strcmp(exp[j].name, row->name) == 0;
        T_CHECK(found, "table row %s is not in the test", row->name);
    }
}

static void
categories_map(void)
{
    check_table(exp_categories, T_COUNT(exp_categories), false);
}

static void
services_map(void)
{
    check_table(exp_services, T_COUNT(exp_services), true);
}

/* Product absent with a Windows category or service; names compare
 * case-insensitively; a known category wins over an unknown service. */
static void
product_absent_maps(void)
{
    static const struct {
        const char *product, *category, *service, *channel;
    } rows[] = {
        { NULL, "process_creation", NULL, SYSMON },
        { NULL, NULL, "security", "Security" },
        { "Windows", "Process_Creation", NULL, SYSMON },
        { "windows", "ps_script", "powershell", PS_OP },
        { "windows", "process_creation", "no-such-service", SYSMON },
        { "windows", "no-such-category", "system", "System" },
        { NULL, "antivirus", NULL,
          "Microsoft-Windows-Windows Defender/Operational" },
    };
    tb_item it = { NULL, { "x" } };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        tb_fix f;

        tb_fix_map(&f, tb_rule(rows[i].product, rows[i].category,
                               rows[i].service, &it, 1), 4096, 0);
        T_CHECK(f.st == KZ_OK, "row %zu: status %d (%s)", i, f.st,
                f.why ? f.why : "");
        if (f.st == KZ_OK)
            T_CHECK(f.n >= 1 &&
                        strcmp(f.t[0].channels[0], rows[i].channel) == 0,
                    "row %zu: channel %s", i, f.t[0].channels[0]);
        tb_fix_fini(&f);
    }
}

static void
unsupported_reasons(void)
{
    static const struct {
        const char *product, *category, *service, *why;
    } rows[] = {
        { "windows", "file_access", NULL,
          "category file_access is ETW-only, not in EVTX" },
        { "windows", "file_rename", NULL,
          "category file_rename is ETW-only, not in EVTX" },
        { "linux", "process_creation", NULL,
          "product is not windows: no EVTX channel" },
        { "macos", NULL, NULL, "product is not windows: no EVTX channel" },
        { NULL, "webserver", NULL, "unknown Windows logsource category" },
        { "windows", NULL, "no-such-service",
          "unknown Windows logsource service" },
        { "windows", "x", "y",
          "unknown Windows logsource category and service" },
        { "windows", NULL, NULL,
          "logsource names neither category nor service" },
        { NULL, NULL, NULL, "logsource names neither category nor service" },
    };
    tb_item it = { NULL, { "x" } };
    size_t i;

    for (i = 0; i < T_COUNT(rows); i++) {
        tb_fix f;

        tb_fix_map(&f, tb_rule(rows[i].product, rows[i].category,
                               rows[i].service, &it, 1), 4096, 0);
        T_CHECK(f.st == KZ_EUNSUPPORTED, "row %zu: status %d", i, f.st);
        T_CHECK(f.why != NULL && strcmp(f.why, rows[i].why) == 0,
                "row %zu: why \"%s\" != \"%s\"", i,
                f.why ? f.why : "(null)", rows[i].why);
        T_CHECK(f.t == NULL && f.n == 0, "row %zu: no targets", i);
        tb_fix_fini(&f);
    }
}

/* ---- rewrites -------------------------------------------------------- */

/* Expected rewrite of one item: alternate field and rendered values
 * (all alternatives of all groups, in order). */
typedef struct exp_item {
    const char *field;
    const char *vals[TB_MAX_VALS + 2];
} exp_item;

/* A rewrite case: one item in, the alternate's item out (field NULL in
 * `out`: the alternate must be left out). */
typedef struct rw_case {
    const char *category;
    tb_item in;
    exp_item out;
} rw_case;

static void
check_rewrites(const rw_case *rows, size_t nrows, kz_ls_alt alt)
{
    size_t i, g, k, v;
    char buf[256];

    for (i = 0; i < nrows; i++) {
        const rw_case *c = &rows[i];
        const kz_ls_target *alt_t;
        const kz_sigma_rule *r;
        tb_fix f;

        tb_fix_map(&f, tb_rule("windows", c->category, NULL, &c->in, 1), 4096,
                   0);
        r = f.r;
        T_CHECK(f.st == KZ_OK, "row %zu: status %d", i, f.st);
        if (f.st != KZ_OK)
            goto next;
        alt_t = tb_target(f.t, f.n, alt);
        if (c->out.field == NULL) {
            T_CHECK(alt_t == NULL && f.n == 1,
                    "row %zu (%s): alternate should be left out", i,
                    c->in.field);
            goto next;
        }
        T_CHECK(alt_t != NULL, "row %zu (%s): no alternate", i, c->in.field);
        if (alt_t == NULL)
            goto next;
        T_CHECK(alt_t->nsels == 1 && alt_t->sels != r->sels,
                "row %zu: rewritten selections", i);
        {
            const kz_sg_item *it = &alt_t->sels[0].maps[0].items[0];

            T_CHECK(it->field != NULL && strcmp(it->field, c->out.field) == 0,
                    "row %zu: field %s != %s", i,
                    it->field ? it->field : "(null)", c->out.field);
            v = 0;
            for (g = 0; g < it->ngroups; g++)
                for (k = 0; k < it->groups[g].nalts; k++, v++) {
                    const char *want =
                        v < TB_MAX_VALS + 2 ? c->out.vals[v] : NULL;

                    tb_render(&it->groups[g].alts[k].pat, buf, sizeof(buf));
                    T_CHECK(want != NULL && strcmp(buf, want) == 0,
                            "row %zu: value %zu \"%s\" != \"%s\"", i, v, buf,
                            want ? want : "(none)");
                }
            T_CHECK(v >= TB_MAX_VALS + 2 || c->out.vals[v] == NULL,
                    "row %zu: %zu values, more expected", i, v);
            /* the native selection is untouched */
            tb_render(&r->sels[0].maps[0].items[0].groups[0].alts[0].pat, buf,
                      sizeof(buf));
            T_CHECK(strcmp(buf, c->in.vals[0]) == 0,
                    "row %zu: rule value changed to %s", i, buf);
        }
    next:
        tb_fix_fini(&f);
    }
}

static void
rewrite_4688(void)
{
    static const rw_case rows[] = {
        { "process_creation", { "Image", { "*\\cmd.exe" } },
          { "NewProcessName", { "*\\cmd.exe" } } },
        { "process_creation", { "image", { "C:\\x.exe" } },
          { "NewProcessName", { "C:\\x.exe" } } },
        { "process_creation", { "ParentImage", { "*\\w3wp.exe" } },
          { "ParentProcessName", { "*\\w3wp.exe" } } },
        { "process_creation", { "CommandLine", { "* -enc *", "*/c*" } },
          { "CommandLine", { "* -enc *", "*/c*" } } },
        { "process_creation", { "ProcessId", { "4660", "0" } },
          { "NewProcessId", { "0x1234", "0x0" } } },
        { "process_creation", { "ParentProcessId", { "4" } },
          { "ProcessId", { "0x4" } } },
        { "process_creation", { "LogonId", { "0x3E7", "999" } },
          { "SubjectLogonId", { "0x3E7", "0x3e7" } } },
        { "process_creation",
          { "IntegrityLevel", { "High", "system", "*Medium*", "Low" } },
          { "MandatoryLabel",
            { "S-1-16-12288", "S-1-16-16384", "*S-1-16-8192*",
              "S-1-16-4096" } } },
        { "process_creation", { "IntegrityLevel", { "S-1-16-12288" } },
          { "MandatoryLabel", { "S-1-16-12288" } } },
        { "process_creation", { "User", { "*\\alice" } },
          { "SubjectUserName", { "alice" } } },
        { "process_creation", { "EventID", { "1" } },
          { "EventID", { "1" } } },
        /* left out: fields 4688 lacks */
        { "process_creation", { "OriginalFileName", { "cmd.exe" } },
          { NULL, { NULL } } },
        { "process_creation", { "Hashes", { "*MD5=*" } }, { NULL, { NULL } } },
        { "process_creation", { "ParentCommandLine", { "*x*" } },
          { NULL, { NULL } } },
        { "process_creation", { "CurrentDirectory", { "C:\\*" } },
          { NULL, { NULL } } },
        /* left out: values without a faithful conversion */
        { "process_creation", { "ProcessId", { "12*" } }, { NULL, { NULL } } },
        { "process_creation", { "ProcessId", { "99999999999999999999" } },
          { NULL, { NULL } } },
        { "process_creation", { "IntegrityLevel", { "AppContainer" } },
          { NULL, { NULL } } },
        { "process_creation", { "User", { "*AUTHORI*" } },
          { NULL, { NULL } } },
        { "process_creation", { "User", { "*\\SYSTEM" } },
          { NULL, { NULL } } },
        { "process_creation", { "User", { "NT AUTHORITY\\SYSTEM" } },
          { NULL, { NULL } } },
    };

    check_rewrites(rows, T_COUNT(rows), KZ_LS_ALT_4688);
}

static void
rewrite_4657(void)
{
    static const rw_case rows[] = {
        { "registry_set", { "TargetObject", { "HKLM\\SOFTWARE\\x\\*" } },
          { "ObjectName", { "\\REGISTRY\\MACHINE\\SOFTWARE\\x\\*" } } },
        { "registry_set", { "TargetObject", { "hku\\*\\Run\\x" } },
          { "ObjectName", { "\\REGISTRY\\USER\\*\\Run\\x" } } },
        { "registry_set", { "TargetObject", { "HKU*" } },
          { "ObjectName", { "\\REGISTRY\\USER*" } } },
        { "registry_event", { "TargetObject", { "*\\CurrentVersion\\Run*" } },
          { "ObjectName", { "*\\CurrentVersion\\Run*" } } },
        { "registry_add", { "TargetObject", { "HKLMX\\y" } },
          { "ObjectName", { "HKLMX\\y" } } },
        { "registry_set", { "Details", { "*powershell*" } },
          { "NewValue", { "*powershell*" } } },
        { "registry_set", { "Image", { "*\\reg.exe" } },
          { "ProcessName", { "*\\reg.exe" } } },
        { "registry_event", { "EventType", { "SetValue" } },
          { "OperationType", { "%%1905", "%%1904" } } },
        { "registry_delete", { "EventType", { "DeleteValue" } },
          { "OperationType", { "%%1906" } } },
        { "registry_set", { "ProcessId", { "4660" } },
          { "ProcessId", { "0x1234" } } },
        /* left out */
        { "registry_set", { "TargetObject", { "HKCR\\CLSID\\*" } },
          { NULL, { NULL } } },
        { "registry_set", { "Details", { "DWORD (0x00000001)" } },
          { NULL, { NULL } } },
        { "registry_event", { "EventType", { "CreateKey" } },
          { NULL, { NULL } } },
        { "registry_event", { "EventType", { "DeleteKey" } },
          { NULL, { NULL } } },
        { "registry_event", { "NewName", { "*x" } }, { NULL, { NULL } } },
        { "registry_set", { "User", { "*AUTHORI*" } }, { NULL, { NULL } } },
    };

    check_rewrites(rows, T_COUNT(rows), KZ_LS_ALT_4657);
}

static void
rewrite_5156(void)
{
    static const rw_case rows[] = {
        { "network_connection", { "Image", { "C:\\x" } },
          { "Application", { "\\device\\harddiskvolume?\\x" } } },
        { "network_connection", { "Image", { "c:\\windows\\*" } },
          { "Application", { "\\device\\harddiskvolume?\\windows\\*" } } },
        { "network_connection", { "Image", { "*\\rundll32.exe" } },
          { "Application", { "*\\rundll32.exe" } } },
        { "network_connection", { "Initiated", { "true" } },
          { "Direction", { "%%14593" } } },
        { "network_connection", { "Initiated", { "False" } },
          { "Direction", { "%%14592" } } },
        { "network_connection", { "Protocol", { "tcp", "UDP", "6" } },
          { "Protocol", { "6", "17", "6" } } },
        { "network_connection", { "DestinationIp", { "10.*" } },
          { "DestAddress", { "10.*" } } },
        { "network_connection", { "SourceIp", { "127.0.0.1" } },
          { "SourceAddress", { "127.0.0.1" } } },
        { "network_connection", { "DestinationPort", { "443" } },
          { "DestPort", { "443" } } },
        { "network_connection", { "SourcePort", { "4444" } },
          { "SourcePort", { "4444" } } },
        { "network_connection", { "ProcessId", { "4" } },
          { "ProcessID", { "4" } } },
        /* left out */
        { "network_connection", { "DestinationHostname", { "*.ru" } },
          { NULL, { NULL } } },
        { "network_connection", { "Image", { "D:\\x" } },
          { NULL, { NULL } } },
        { "network_connection", { "Initiated", { "yes" } },
          { NULL, { NULL } } },
        { "network_connection", { "User", { "*NETWORK SERVICE*" } },
          { NULL, { NULL } } },
        { "network_connection", { "CommandLine", { "*x*" } },
          { NULL, { NULL } } },
    };

    check_rewrites(rows, T_COUNT(rows), KZ_LS_ALT_5156);
}

static void
rewrite_wmi(void)
{
    static const rw_case rows[] = {
        { "wmi_event", { "Destination", { "*new-object*", "* -enc *" } },
          { "PossibleCause", { "*new-object*", "* -enc *" } } },
        { "wmi_event", { "Destination", { "*C:\\x\"y*" } },
          { "PossibleCause", { "*C:\\\\x\\\"y*" } } },
        { "wmi_event", { "Query", { "*Win32_ProcessStartTrace*" } },
          { "PossibleCause", { "*Win32_ProcessStartTrace*" } } },
        /* left out: only `contains` can be found inside the MOF text */
        { "wmi_event", { "Destination", { "cmd.exe /c x" } },
          { NULL, { NULL } } },
        { "wmi_event", { "Destination", { "*x.vbs" } }, { NULL, { NULL } } },
        { "wmi_event", { "Operation", { "Created" } }, { NULL, { NULL } } },
    };

    check_rewrites(rows, T_COUNT(rows), KZ_LS_ALT_WMI);
}

/* antivirus: the native Defender target renames Signature and Filename
 * and keeps the event's own fields; no alternate. */
static void
antivirus_renames(void)
{
    static const tb_item items[] = {
        { "Signature", { "*Mimikatz*" } },
        { "Filename", { "*\\lsass.dmp" } },
        { "Severity Name", { "Severe" } },
    };
    tb_fix f;
    const kz_ls_target *t;

    T_EQ_INT(tb_fix_map(&f, tb_rule(NULL, "antivirus", NULL, items, 3), 4096,
                        0),
             KZ_OK);
    t = f.t;
    T_EQ_INT(f.n, 1);
    if (f.n == 1) {
        const kz_sg_map *m = &t[0].sels[0].maps[0];
        char buf[64];

        T_EQ_INT(t[0].alt, KZ_LS_NATIVE);
        T_CHECK(t[0].sels != f.r->sels, "renamed copy expected");
        T_EQ_STR(m->items[0].field, "Threat Name");
        T_EQ_STR(m->items[1].field, "Path");
        T_EQ_STR(m->items[2].field, "Severity Name");
        T_EQ_STR(tb_render(&m->items[1].groups[0].alts[0].pat, buf,
                           sizeof(buf)),
                 "*\\lsass.dmp");
        T_EQ_INT(t[0].neids, 12);
    }
    tb_fix_fini(&f);
}

/* A wildcard survives as a token, never as a character: C:\? keeps its
 * QMARK and the inserted volume wildcard is a QMARK token too. */
static void
rewrite_keeps_tokens(void)
{
    tb_item it = { "Image", { "C:\\?\\*.exe" } };
    const kz_ls_target *alt;
    tb_fix f;

    T_EQ_INT(tb_fix_map(&f,
                        tb_rule("windows", "network_connection", NULL, &it, 1),
                        4096, 0),
             KZ_OK);
    alt = tb_target(f.t, f.n, KZ_LS_ALT_5156);
    T_CHECK(alt != NULL, "no 5156 target");
    if (alt != NULL) {
        const kz_sg_pattern *p = &alt->sels[0].maps[0].items[0].groups[0]
                                      .alts[0]
                                      .pat;
        static const uint8_t kinds[] = { KZ_TOK_LIT, KZ_TOK_QMARK,
                                         KZ_TOK_LIT, KZ_TOK_QMARK,
                                         KZ_TOK_LIT, KZ_TOK_STAR,
                                         KZ_TOK_LIT };
        size_t i;

        T_EQ_INT(p->ntoks, T_COUNT(kinds));
        for (i = 0; i < p->ntoks && i < T_COUNT(kinds); i++)
            T_CHECK(p->toks[i].kind == kinds[i], "token %zu kind %u", i,
                    p->toks[i].kind);
        T_EQ_INT(p->text_len, strlen(p->text));
        T_EQ_STR(p->text, "\\device\\harddiskvolume\\\\.exe");
    }
    tb_fix_fini(&f);
}

/* A rule of several selections: keyword and system-field items are kept,
 * one selection's foreign field drops the whole alternate, and the native
 * target always keeps the rule's own selection pointers. */
static void
rewrite_whole_rule(void)
{
    static const tb_item s0[] = {
        { "Image", { "*\\cmd.exe" } },
        { NULL, { "whoami" } },
        { "EventID", { "1" } },
        { "Provider_Name", { "Microsoft-Windows-Sysmon" } },
    };
    static const tb_item s1[] = { { "CommandLine", { "*/c*" } } };
    static const tb_item s1_bad[] = { { "OriginalFileName", { "cmd.exe" } } };
    const tb_item *good[] = { s0, s1 }, *bad[] = { s0, s1_bad };
    size_t counts[] = { T_COUNT(s0), 1 };
    int pass;

    for (pass = 0; pass < 2; pass++) {
        const kz_ls_target *t, *alt;
        const kz_sigma_rule *r;
        size_t n;
        tb_fix f;

        T_EQ_INT(tb_fix_map(&f,
                            tb_rule_n("windows", "process_creation", NULL,
                                      pass == 0 ? good : bad, counts, 2),
                            4096, 0),
                 KZ_OK);
        r = f.r;
        t = f.t;
        n = f.n;
        T_CHECK(n >= 1 && t[0].alt == KZ_LS_NATIVE && t[0].sels == r->sels &&
                    t[0].nsels == 2,
                "pass %d: native target keeps the rule's selections", pass);
        alt = tb_target(t, n, KZ_LS_ALT_4688);
        if (pass == 1) {
            T_CHECK(alt == NULL && n == 1, "OriginalFileName keeps 4688 out");
        } else {
            T_CHECK(alt != NULL && n == 2, "4688 target expected");
            if (alt != NULL) {
                const kz_sg_map *m = &alt->sels[0].maps[0];

                T_EQ_INT(alt->nsels, 2);
                T_EQ_INT(alt->channels[0][0], 'S');
                T_EQ_INT(alt->neids, 1);
                T_EQ_INT(alt->eids[0], 4688);
                T_EQ_STR(alt->sels[0].name, "sel0");
                T_EQ_INT(m->nitems, 4);
                T_EQ_STR(m->items[0].field, "NewProcessName");
                T_CHECK(m->items[1].field == NULL, "keyword item kept");
                T_EQ_STR(m->items[2].field, "EventID");
                T_EQ_STR(m->items[3].field, "Provider_Name");
                T_EQ_STR(alt->sels[1].maps[0].items[0].field, "CommandLine");
                /* the rule itself is untouched */
                T_EQ_STR(r->sels[0].maps[0].items[0].field, "Image");
            }
        }
        tb_fix_fini(&f);
    }
}

static void
alt_names(void)
{
    T_EQ_STR(kz_ls_alt_name(KZ_LS_NATIVE), "native");
    T_EQ_STR(kz_ls_alt_name(KZ_LS_ALT_4688), "security-4688");
    T_EQ_STR(kz_ls_alt_name(KZ_LS_ALT_4657), "security-4657");
    T_EQ_STR(kz_ls_alt_name(KZ_LS_ALT_5156), "security-5156");
    T_EQ_STR(kz_ls_alt_name(KZ_LS_ALT_WMI), "wmi-5861");
    T_EQ_STR(kz_ls_alt_name((kz_ls_alt)99), "unknown");
}

/* An arena at its limit: KZ_ENOMEM, never a partial target list. */
static void
out_of_memory(void)
{
    tb_item it = { "Image", { "C:\\x" } };
    tb_fix f;

    T_EQ_INT(tb_fix_map(&f,
                        tb_rule("windows", "network_connection", NULL, &it, 1),
                        64, 1),
             KZ_ENOMEM);
    T_CHECK(f.n == 0, "no targets on OOM");
    tb_fix_fini(&f);
}

/* ---- corpus ---------------------------------------------------------- */

#define CORPUS "/work/shared/data/sigma/rules/windows"
#define HIST_MAX 32

/* A histogram of constant reason strings. */
typedef struct hist {
    const char *key[HIST_MAX];
    size_t count[HIST_MAX];
    size_t n;
} hist;

static void
hist_add(hist *h, const char *key)
{
    size_t i;

    key = key != NULL ? key : "(no reason)";
    for (i = 0; i < h->n; i++)
        if (strcmp(h->key[i], key) == 0) {
            h->count[i]++;
            return;
        }
    if (h->n < HIST_MAX) {
        h->key[h->n] = key;
        h->count[h->n++] = 1;
    }
}

static void
hist_print(const hist *h, const char *title)
{
    size_t i;

    fprintf(stderr, "%s:\n", title);
    for (i = 0; i < h->n; i++)
        fprintf(stderr, "  %5zu  %s\n", h->count[i], h->key[i]);
}

/* SigmaHQ's Windows rules: >= 99% map to EVTX (sigma-notes.md 6). Prints
 * the unmapped reasons, the targets by alternate and why alternates were
 * left out. Skipped when the corpus is absent. */
static void
corpus_windows(void)
{
    kz_sigma_load_opts o = { NULL, false, true };
    kz_sigma_set *set;
    kz_error err = { 0 };
    hist unmapped = { 0 }, dropped = { 0 };
    size_t by_alt[8] = { 0 }, rules = 0, mapped = 0, i, k;
    kz_arena a;
    FILE *f;

    if ((f = fopen(CORPUS "/README.md", "r")) == NULL &&
        (f = fopen(CORPUS, "r")) == NULL) {
        fprintf(stderr, "corpus %s absent: skipped\n", CORPUS);
        return;
    }
    fclose(f);
    set = kz_sigma_set_new(&o);
    T_CHECK(set != NULL, "set");
    if (set == NULL)
        return;
    T_EQ_INT(kz_sigma_load_path(set, CORPUS, &err), KZ_OK);
    T_EQ_INT(kz_sigma_set_finish(set, &err), KZ_OK);
    kz_arena_init(&a, 65536, 0);
    for (i = 0; i < set->nrules; i++) {
        const kz_sigma_rule *r = set->rules[i];
        const kz_ls_target *t = NULL;
        const char *why = NULL;
        size_t n = 0;
        kz_status st;

        if (r->kind != KZ_SG_RULE)
            continue;
        rules++;
        kz_arena_reset(&a);
        st = kz_logsource_map(r, &a, &t, &n, &why);
        T_CHECK(st == KZ_OK || st == KZ_EUNSUPPORTED, "%s: status %d",
                r->path, st);
        if (st != KZ_OK) {
            hist_add(&unmapped, why);
            continue;
        }
        mapped++;
        for (k = 0; k < n; k++)
            by_alt[t[k].alt < 8 ? t[k].alt : 7]++;
        {
            const kz_ls_row *row = kz_ls_find_category(r->category);
            const kz_sg_selection *sels = NULL;

            if (row != NULL && row->alt != KZ_LS_NATIVE && n == 1 &&
                kz_ls_rewrite(r, row->alt, &a, &sels, &why) ==
                    KZ_EUNSUPPORTED) {
                hist_add(&dropped, why);
                if (getenv("KZ_LS_VERBOSE") != NULL)
                    fprintf(stderr, "alternate left out: %s: %s\n",
                            r->path, why);
            }
        }
    }
    kz_arena_fini(&a);
    fprintf(stderr,
            "corpus %s: %zu files, %zu loaded rules (%zu invalid, %zu "
            "deprecated, %zu not rules), %zu mapped, %zu unmapped\n",
            CORPUS, set->files, rules, set->counts[KZ_SGV_INVALID],
            set->counts[KZ_SGV_DEPRECATED], set->counts[KZ_SGV_NOT_RULE],
            mapped, rules - mapped);
    hist_print(&unmapped, "unmapped by reason");
    fprintf(stderr, "targets by alternate:\n");
    for (k = 0; k <= KZ_LS_ALT_WMI; k++)
        fprintf(stderr, "  %5zu  %s\n", by_alt[k],
                kz_ls_alt_name((kz_ls_alt)k));
    hist_print(&dropped, "alternate left out, by reason");
    T_CHECK(rules > 2000, "only %zu rules loaded", rules);
    T_CHECK(mapped * 100 >= rules * 99, "%zu of %zu mapped (< 99%%)", mapped,
            rules);
    kz_sigma_set_free(set);
}

int
main(int argc, char **argv)
{
    static const t_case cases[] = {
        T_CASE(categories_map),      T_CASE(services_map),
        T_CASE(product_absent_maps), T_CASE(unsupported_reasons),
        T_CASE(rewrite_4688),        T_CASE(rewrite_4657),
        T_CASE(rewrite_5156),        T_CASE(rewrite_wmi),
        T_CASE(antivirus_renames),   T_CASE(rewrite_keeps_tokens),
        T_CASE(rewrite_whole_rule),  T_CASE(alt_names),
        T_CASE(out_of_memory),       T_CASE(corpus_windows),
    };

    return t_run(cases, T_COUNT(cases), argc, argv);
}
