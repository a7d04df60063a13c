/*
 * shape.c - which exporter wrote a record (docs/json-shapes.md), and the
 * small name tables the mappings share: canonical channel names, level
 * and keyword names, providers whose data is really named "paramN".
 * Every table is a static const array: add a row to extend it.
 */
#include "read/json/json_int.h"

#include <string.h>

/* ASCII case-insensitive equality of a[0..n) and the NUL-terminated b. */
static bool
eq_nocase(const char *a, size_t n, const char *b)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char x = a[i], y = b[i];

        if (y == '\0')
            return false;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return b[n] == '\0';
}

kz_jshape
kz_jshape_detect(kz_jctx *c, kz_jnode *root)
{
    kz_jnode *ev;
    bool winlog = false;
    kz_str k;

    if (root->type != KZ_JT_OBJ)
        return KZ_JSHAPE_FLAT;
    ev = kz_jb_child(c, root, "Event");
    if (ev != NULL && ev->type == KZ_JT_OBJ)
        return KZ_JSHAPE_EVTX;
    for (kz_jnode *ch = root + 1; ch < kz_jskip(c, root);
         ch = kz_jskip(c, ch)) {
        if (kz_jb_key(c, ch, &k) != KZ_OK)
            return KZ_JSHAPE_FLAT;
        if ((k.len == 6 && memcmp(k.p, "winlog", 6) == 0) ||
            (k.len > 7 && memcmp(k.p, "winlog.", 7) == 0)) {
            winlog = true;
            break;
        }
    }
    if (winlog || kz_jb_path(c, root, "event.code") != NULL) {
        if (kz_jb_path(c, root, "winlog.event_data") != NULL ||
            kz_jb_path(c, root, "winlog.user_data") != NULL)
            return KZ_JSHAPE_BEAT;
        if (kz_jb_path(c, root, "event.code") != NULL)
            return KZ_JSHAPE_ECS;
        return KZ_JSHAPE_BEAT;
    }
    if (kz_jb_child(c, root, "log_name") != NULL ||
        (kz_jb_child(c, root, "event_id") != NULL &&
         (kz_jb_child(c, root, "event_data") != NULL ||
          kz_jb_child(c, root, "user_data") != NULL ||
          kz_jb_child(c, root, "source_name") != NULL)))
        return KZ_JSHAPE_BEAT6;
    if (kz_jb_child(c, root, "EventTime") != NULL ||
        kz_jb_child(c, root, "EventReceivedTime") != NULL ||
        kz_jb_child(c, root, "SourceModuleName") != NULL)
        return KZ_JSHAPE_NXLOG;
    return KZ_JSHAPE_FLAT;
}

const char *
kz_jshape_name(kz_jshape s)
{
    switch (s) {
    case KZ_JSHAPE_EVTX:
        return "evtx_dump";
    case KZ_JSHAPE_BEAT:
        return "winlogbeat";
    case KZ_JSHAPE_BEAT6:
        return "winlogbeat6";
    case KZ_JSHAPE_NXLOG:
        return "nxlog";
    case KZ_JSHAPE_FLAT:
        return "flat";
    case KZ_JSHAPE_ECS:
        return "ecs";
    default:
        return NULL;
    }
}

/* Channels whose canonical spelling is restored when a log gives them in
 * another case (docs/json-shapes.md "Channel names"). */
static const char *const channels[] = {
    "Application",
    "DNS Server",
    "Directory Service",
    "ForwardedEvents",
    "HardwareEvents",
    "Key Management Service",
    "Microsoft-Windows-AppLocker/EXE and DLL",
    "Microsoft-Windows-AppLocker/MSI and Script",
    "Microsoft-Windows-AppLocker/Packaged app-Deployment",
    "Microsoft-Windows-AppLocker/Packaged app-Execution",
    "Microsoft-Windows-Bits-Client/Operational",
    "Microsoft-Windows-CodeIntegrity/Operational",
    "Microsoft-Windows-DNS-Client/Operational",
    "Microsoft-Windows-DNSServer/Audit",
    "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
    "Microsoft-Windows-GroupPolicy/Operational",
    "Microsoft-Windows-LSA/Operational",
    "Microsoft-Windows-NTLM/Operational",
    "Microsoft-Windows-PowerShell/Operational",
    "Microsoft-Windows-PrintService/Admin",
    "Microsoft-Windows-PrintService/Operational",
    "Microsoft-Windows-Security-Mitigations/KernelMode",
    "Microsoft-Windows-Security-Mitigations/UserMode",
    "Microsoft-Windows-Shell-Core/Operational",
    "Microsoft-Windows-SMBClient/Security",
    "Microsoft-Windows-SMBServer/Security",
    "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Windows-TaskScheduler/Operational",
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    "Microsoft-Windows-TerminalServices-RDPClient/Operational",
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    "Microsoft-Windows-WMI-Activity/Operational",
    "Microsoft-Windows-Windows Defender/Operational",
    "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
    "Microsoft-Windows-WinRM/Operational",
    "OpenSSH/Operational",
    "Security",
    "Setup",
    "System",
    "Windows PowerShell",
};

kz_str
kz_jchannel_canon(kz_str s)
{
    size_t i;

    for (i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
        if (eq_nocase(s.p, s.len, channels[i])) {
            kz_str r = {channels[i], strlen(channels[i])};

            return r;
        }
    }
    return s;
}

/* Level names of Winlogbeat (log.level, level) and NXLog (EventType). */
static const struct {
    const char *name; /* as written, any case */
    int level;        /* System/Level */
} levels[] = {
    {"critical", 1},      {"error", 2},         {"warning", 3},
    {"information", 4},   {"info", 4},          {"verbose", 5},
    {"audit_success", 0}, {"audit_failure", 0}, {"logalways", 0},
};

int
kz_jlevel_from_name(kz_str s)
{
    size_t i;

    for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (eq_nocase(s.p, s.len, levels[i].name))
            return levels[i].level;
    return -1;
}

/* Standard keyword names (winmeta.xml) as Winlogbeat renders them. */
static const struct {
    const char *name; /* rendered name */
    uint64_t bit;     /* Keywords bit */
} keywords[] = {
    {"Response Time", 0x0001000000000000ULL},
    {"WDI Diag", 0x0004000000000000ULL},
    {"SQM", 0x0008000000000000ULL},
    {"Audit Failure", 0x0010000000000000ULL},
    {"Audit Success", 0x0020000000000000ULL},
    {"Correlation Hint", 0x0040000000000000ULL},
    {"Classic", 0x0080000000000000ULL},
};

uint64_t
kz_jkeyword_from_name(kz_str s)
{
    size_t i;

    for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (eq_nocase(s.p, s.len, keywords[i].name))
            return keywords[i].bit;
    return 0;
}

/* Providers whose manifests name their data param1, param2...: Winlogbeat
 * output cannot be told apart from unnamed <Data>, so these keep the
 * names that their EVTX records carry (and Sigma rules use). */
static const char *const named_params[] = {
    "Service Control Manager",
    "Microsoft-Windows-DistributedCOM",
    "DCOM",
    "Microsoft-Windows-Security-Auditing",
};

bool
kz_jparams_are_named(kz_str provider)
{
    size_t i;

    for (i = 0; i < sizeof(named_params) / sizeof(named_params[0]); i++)
        if (eq_nocase(provider.p, provider.len, named_params[i]))
            return true;
    return false;
}
