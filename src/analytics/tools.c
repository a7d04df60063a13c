/*
 * tools.c - kz_a_attack_tool_burst (D2): at least tool_burst.classes
 * distinct tool classes (remote-access tool, hacktool, C2 framework,
 * LSASS access, process killer) on one host within
 * tool_burst.window_minutes. The MK System intrusion: remote-assistance
 * tools, hacking tools and a pentest framework within six minutes.
 *
 * The class lists are data (the tables below): image or original file
 * names of process starts (Sysmon 1, 4688), service image paths
 * (7045/4697), named pipes (Sysmon 17/18), DNS queries (Sysmon 22), and
 * LSASS opened for reading memory (Sysmon 10). Table: host key -> a
 * sliding set of classes. Reference: docs/analytics.md (D2).
 */
#include "analytics/analytics_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/hash.h"

enum { C_RAT = 0, C_HACK, C_C2, C_LSASS, C_KILL };

static const char *const class_names[KZ_A_TOOL_CLASSES] = {
    "remote-access tool", "hacktool",       "C2 framework",
    "LSASS access",       "process killer",
};

const char *
a_tool_class_name(int c)
{
    return c >= 0 && c < KZ_A_TOOL_CLASSES ? class_names[c] : "?";
}

typedef struct tool_pat {
    const char *pat; /* lower case */
    uint8_t cls;
    const char *tool; /* name shown */
} tool_pat;

/* Image or OriginalFileName base names (exact, case-insensitive). */
static const tool_pat images[] = {
    {"anydesk.exe", C_RAT, "AnyDesk"},
    {"teamviewer.exe", C_RAT, "TeamViewer"},
    {"teamviewer_service.exe", C_RAT, "TeamViewer"},
    {"tv_w32.exe", C_RAT, "TeamViewer"},
    {"screenconnect.clientservice.exe", C_RAT, "ScreenConnect"},
    {"screenconnect.windowsclient.exe", C_RAT, "ScreenConnect"},
    {"rustdesk.exe", C_RAT, "RustDesk"},
    {"srservice.exe", C_RAT, "Splashtop"},
    {"strwinclt.exe", C_RAT, "Splashtop"},
    {"atera_agent.exe", C_RAT, "Atera"},
    {"ateraagent.exe", C_RAT, "Atera"},
    {"ammyy_admin.exe", C_RAT, "Ammyy Admin"},
    {"aa_v3.exe", C_RAT, "Ammyy Admin"},
    {"rutserv.exe", C_RAT, "Remote Utilities"},
    {"rfusclient.exe", C_RAT, "Remote Utilities"},
    {"winvnc.exe", C_RAT, "VNC"},
    {"tvnserver.exe", C_RAT, "TightVNC"},
    {"logmein.exe", C_RAT, "LogMeIn"},
    {"lmiguardiansvc.exe", C_RAT, "LogMeIn"},
    {"client32.exe", C_RAT, "NetSupport"},
    {"meshagent.exe", C_RAT, "MeshCentral"},
    {"dwagent.exe", C_RAT, "DWService"},
    {"supremo.exe", C_RAT, "Supremo"},
    {"radmin.exe", C_RAT, "Radmin"},
    {"rserver3.exe", C_RAT, "Radmin"},
    {"ngrok.exe", C_RAT, "ngrok"},
    {"mimikatz.exe", C_HACK, "Mimikatz"},
    {"processhacker.exe", C_HACK, "Process Hacker"},
    {"systeminformer.exe", C_HACK, "System Informer"},
    {"pchunter32.exe", C_HACK, "PCHunter"},
    {"pchunter64.exe", C_HACK, "PCHunter"},
    {"lazagne.exe", C_HACK, "LaZagne"},
    {"rubeus.exe", C_HACK, "Rubeus"},
    {"sharphound.exe", C_HACK, "SharpHound"},
    {"adfind.exe", C_HACK, "AdFind"},
    {"advanced_ip_scanner.exe", C_HACK, "Advanced IP Scanner"},
    {"advanced ip scanner.exe", C_HACK, "Advanced IP Scanner"},
    {"netscan.exe", C_HACK, "SoftPerfect NetScan"},
    {"nbtscan.exe", C_HACK, "nbtscan"},
    {"kerbrute.exe", C_HACK, "kerbrute"},
    {"psexec.exe", C_HACK, "PsExec"},
    {"psexec64.exe", C_HACK, "PsExec"},
    {"psexesvc.exe", C_HACK, "PsExec"},
    {"paexec.exe", C_HACK, "PAExec"},
    {"nanodump.exe", C_HACK, "nanodump"},
    {"pwdump.exe", C_HACK, "pwdump"},
    {"wce.exe", C_HACK, "WCE"},
    {"gsecdump.exe", C_HACK, "gsecdump"},
    {"backstab.exe", C_KILL, "Backstab"},
    {"aukill.exe", C_KILL, "AuKill"},
    {"terminator.exe", C_KILL, "Terminator"},
    {"defendercontrol.exe", C_KILL, "Defender Control"},
    {"dcontrol.exe", C_KILL, "Defender Control"},
    {"pskill.exe", C_KILL, "PsKill"},
    {"pskill64.exe", C_KILL, "PsKill"},
    {"gmer.exe", C_KILL, "GMER"},
    {"powertool.exe", C_KILL, "PowerTool"},
    {"powertool64.exe", C_KILL, "PowerTool"},
    {"iobitunlocker.exe", C_KILL, "IObit Unlocker"},
    {"beacon.exe", C_C2, "Cobalt Strike"},
    {"artifact.exe", C_C2, "Cobalt Strike"},
};

/* Substrings of command lines. */
static const tool_pat cmdlines[] = {
    {"sekurlsa::", C_HACK, "Mimikatz"},
    {"lsadump::", C_HACK, "Mimikatz"},
    {"kerberos::", C_HACK, "Mimikatz"},
    {"privilege::debug", C_HACK, "Mimikatz"},
    {"invoke-mimikatz", C_HACK, "Mimikatz"},
    {"comsvcs.dll, minidump", C_HACK, "comsvcs MiniDump"},
    {"comsvcs.dll,minidump", C_HACK, "comsvcs MiniDump"},
    {"procdump", C_HACK, "ProcDump"},
    {"taskkill /f /im msmpeng", C_KILL, "taskkill of Defender"},
    {"sc stop windefend", C_KILL, "Defender stop"},
    {"invoke-bloodhound", C_HACK, "BloodHound"},
};

/* Substrings of service image paths. */
static const tool_pat services[] = {
    {"anydesk", C_RAT, "AnyDesk"},
    {"teamviewer", C_RAT, "TeamViewer"},
    {"screenconnect", C_RAT, "ScreenConnect"},
    {"rustdesk", C_RAT, "RustDesk"},
    {"splashtop", C_RAT, "Splashtop"},
    {"atera", C_RAT, "Atera"},
    {"rutserv", C_RAT, "Remote Utilities"},
    {"winvnc", C_RAT, "VNC"},
    {"tvnserver", C_RAT, "TightVNC"},
    {"logmein", C_RAT, "LogMeIn"},
    {"meshagent", C_RAT, "MeshCentral"},
    {"ammyy", C_RAT, "Ammyy Admin"},
    {"psexesvc", C_HACK, "PsExec"},
    {"paexec", C_HACK, "PAExec"},
    {"remcomsvc", C_HACK, "RemCom"},
    {"mimidrv", C_HACK, "Mimikatz driver"},
    {"kprocesshacker", C_KILL, "Process Hacker driver"},
    {"procexp152.sys", C_KILL, "Process Explorer driver"},
    {"aswarpot.sys", C_KILL, "Avast anti-rootkit driver"},
    {"zam64.sys", C_KILL, "Zemana driver"},
    {"gmer", C_KILL, "GMER driver"},
    {"rentdrv", C_KILL, "rentdrv"},
    {"%comspec% /b /c start /b /min powershell", C_C2, "Cobalt Strike"},
    {"powershell -nop -w hidden -encodedcommand", C_C2, "Cobalt Strike"},
    {"\\\\127.0.0.1\\admin$\\", C_C2, "Cobalt Strike"},
    {"\\\\.\\pipe\\", C_C2, "named-pipe getsystem"},
    {"%comspec% /q /c echo", C_C2, "Impacket smbexec"},
};

/* Prefixes of pipe names (after the leading '\'). */
static const tool_pat pipes[] = {
    {"msse-", C_C2, "Cobalt Strike"},
    {"postex_", C_C2, "Cobalt Strike"},
    {"status_", C_C2, "Cobalt Strike"},
    {"msagent_", C_C2, "Cobalt Strike"},
    {"mojo.5688.8052.", C_C2, "Cobalt Strike"},
    {"interprocess_", C_C2, "Cobalt Strike"},
    {"gruntsvc", C_C2, "Covenant"},
    {"demoagent_", C_C2, "Cobalt Strike"},
    {"psexesvc", C_HACK, "PsExec"},
    {"paexec", C_HACK, "PAExec"},
    {"remcom_communica", C_HACK, "RemCom"},
    {"lsadump", C_HACK, "fgdump"},
    {"cachedump", C_HACK, "fgdump"},
    {"wceservicepipe", C_HACK, "WCE"},
};

/* Suffixes of DNS names queried (by a process that is not a browser). */
static const tool_pat domains[] = {
    {"anydesk.com", C_RAT, "AnyDesk"},
    {"teamviewer.com", C_RAT, "TeamViewer"},
    {"screenconnect.com", C_RAT, "ScreenConnect"},
    {"rustdesk.com", C_RAT, "RustDesk"},
    {"splashtop.com", C_RAT, "Splashtop"},
    {"atera.com", C_RAT, "Atera"},
    {"logmein.com", C_RAT, "LogMeIn"},
    {"remoteutilities.com", C_RAT, "Remote Utilities"},
    {"ngrok.io", C_RAT, "ngrok"},
    {"ngrok-free.app", C_RAT, "ngrok"},
};

/* LSASS readers that are part of Windows or Defender. */
static const char *const lsass_ok[] = {
    "msmpeng.exe",     "svchost.exe", "csrss.exe",    "wininit.exe",
    "services.exe",    "lsm.exe",     "wmiprvse.exe", "mrt.exe",
    "taskmgr.exe",     "lsass.exe",   "vmtoolsd.exe", "mssense.exe",
    "smartscreen.exe",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int
by_name(kz_str name, const tool_pat *t, size_t n, const char **tool)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (a_ieq(name, t[i].pat)) {
            *tool = t[i].tool;
            return t[i].cls;
        }
    return -1;
}

/* Patterns are lower case: s is folded once (its first 4 KiB; NUL
 * bytes end it), then searched with strstr. */
static int
by_substring(kz_str s, const tool_pat *t, size_t n, const char **tool)
{
    char low[4097];
    size_t i, len = s.len < sizeof(low) - 1 ? s.len : sizeof(low) - 1;

    for (i = 0; i < len; i++)
        low[i] = (char)kz_ascii_lower((unsigned char)s.p[i]);
    low[len] = '\0';
    for (i = 0; i < n; i++)
        if (strstr(low, t[i].pat) != NULL) {
            *tool = t[i].tool;
            return t[i].cls;
        }
    return -1;
}

int
a_tool_class(const kz_fact *f, const char **tool)
{
    kz_str s, base;
    size_t i, n;
    int c;

    *tool = NULL;
    switch (f->kind) {
    case KZ_FACT_PROC:
        if ((c = by_name(a_basename(f->v[KZ_FS_IMAGE]), images, N(images),
                         tool)) >= 0 ||
            (c = by_name(f->v[KZ_FS_OFN], images, N(images), tool)) >= 0 ||
            (c = by_substring(f->v[KZ_FS_CMDLINE], cmdlines, N(cmdlines),
                              tool)) >= 0)
            return c;
        return -1;
    case KZ_FACT_SERVICE:
        return by_substring(f->v[KZ_FS_PATH], services, N(services), tool);
    case KZ_FACT_PIPE:
        s = f->v[KZ_FS_PIPE];
        while (s.len > 0 && (s.p[0] == '\\' || s.p[0] == '/'))
            s.p++, s.len--;
        for (i = 0; i < N(pipes); i++) {
            n = strlen(pipes[i].pat);
            if (s.len >= n && a_ieq((kz_str){s.p, n}, pipes[i].pat)) {
                *tool = pipes[i].tool;
                return pipes[i].cls;
            }
        }
        return -1;
    case KZ_FACT_DNS:
        if (a_is_browser(a_basename(f->v[KZ_FS_QIMAGE])))
            return -1;
        s = f->v[KZ_FS_QUERY];
        while (s.len > 0 && s.p[s.len - 1] == '.')
            s.len--;
        for (i = 0; i < N(domains); i++) {
            n = strlen(domains[i].pat);
            if (a_iends(s, domains[i].pat) &&
                (s.len == n || s.p[s.len - n - 1] == '.')) {
                *tool = domains[i].tool;
                return domains[i].cls;
            }
        }
        return -1;
    case KZ_FACT_LSASS: {
        char buf[24];
        unsigned long acc;
        const kz_str *v = &f->v[KZ_FS_ACCESS];

        if (!a_iends(f->v[KZ_FS_TARGET], "\\lsass.exe"))
            return -1;
        base = a_basename(f->v[KZ_FS_SOURCE]);
        for (i = 0; i < N(lsass_ok); i++)
            if (a_ieq(base, lsass_ok[i]))
                return -1;
        n = v->len < sizeof(buf) - 1 ? v->len : sizeof(buf) - 1;
        memcpy(buf, v->p != NULL ? v->p : "", n);
        buf[n] = '\0';
        acc = strtoul(buf, NULL, 0);
        if (!(acc & 0x10)) /* PROCESS_VM_READ */
            return -1;
        *tool = "LSASS memory read";
        return C_LSASS;
    }
    default:
        return -1;
    }
}

/* Frees sets whose values are all older than the window. */
static bool
idle(void *ctx, const char *key, void *value)
{
    kz_analytics *a = ctx;
    a_set *s = value;

    (void)key;
    a_set_expire(s, a->now, a_minutes(a, KZ_AK_TOOL_WINDOW));
    return s->n == 0;
}

kz_status
a_tools_fact(kz_analytics *a, const kz_fact *f)
{
    const char *tool;
    kz_time w = a_minutes(a, KZ_AK_TOOL_WINDOW);
    int c = a_tool_class(f, &tool);
    a_set *s;
    a_ref ref;
    kz_status st;
    char val[160];

    if (a->tools_sweep == KZ_TIME_NONE || a->now - a->tools_sweep > w) {
        a_table_sweep(&a->tools, idle, a);
        a->tools_sweep = a->now;
    }
    if (c < 0)
        return KZ_OK;
    kz_strbuf_reset(&a->k1);
    if ((st = kz_a_host_key(&a->k1, f->ref.computer,
                            f->ref.computer ? strlen(f->ref.computer) : 0)) !=
        KZ_OK)
        return st;
    if (a->k1.len == 0 && (st = kz_strbuf_adds(&a->k1, "-")) != KZ_OK)
        return st;
    if ((s = a_key_set(a, &a->tools, a->k1.data, a->k1.len)) == NULL)
        return KZ_OK; /* refused by a bound: counted */
    a_set_expire(s, f->ref.time, w);
    /* One value per class: "class: tool". */
    snprintf(val, sizeof(val), "%s: %s", class_names[c], tool);
    {
        size_t i;
        bool have = false;

        for (i = 0; i < s->n; i++)
            if (strncmp(s->it[i].val, class_names[c], strlen(class_names[c])) ==
                    0 &&
                s->it[i].val[strlen(class_names[c])] == ':') {
                s->it[i].last = f->ref.time;
                s->events++;
                have = true;
            }
        if (!have) {
            a_ref_of(a, f, &ref);
            if (!a_set_add(s, val, strlen(val), f->ref.time, &ref,
                           &a->st.dropped_items))
                return KZ_ENOMEM;
        }
    }
    if (s->fired || s->n < (size_t)a->cfg.v[KZ_AK_TOOL_CLASSES])
        return KZ_OK;
    s->fired = true;
    a_begin(a);
    if ((st = a_pair(a, "Host", "%s",
                     f->ref.computer != NULL ? f->ref.computer : "")) !=
            KZ_OK ||
        (st = a_pair(a, "Classes", "%zu", s->n)) != KZ_OK ||
        (st = a_pair_set_values(a, "Tools", s)) != KZ_OK ||
        (st = a_pair_time(a, "WindowStart", a_set_first(s))) != KZ_OK ||
        (st = a_pair_time(a, "WindowEnd", f->ref.time)) != KZ_OK)
        return st;
    a_end_details(a);
    if ((st = a_pair_set_refs(a, s, &f->ref)) != KZ_OK)
        return st;
    return a_emit(a, KZ_A_TOOLS, &f->ref);
}
