/*
 * inputs.c - what the analytics take in, as data: the events that feed
 * them and the field read into each fact slot (hunt renders only these
 * fields, only for these (channel, event id) pairs); the identity of the
 * values they compare (DESIGN.md Conventions: Identity: internal versus
 * external addresses, host keys, account keys); and their thresholds and
 * windows (one table of keys with defaults and bounds, and the
 * `key = value` file of --analytics-config).
 * Reference: docs/analytics.md (How they run, Identity, Configuration).
 */
#include "analytics/analytics_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hash.h"

#define SEC "Security"
#define SYS "System"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define RCM                                                                    \
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/"              \
    "Operational"
#define LSM                                                                    \
    "Microsoft-Windows-TerminalServices-LocalSessionManager/"                  \
    "Operational"

/* Slots: see analytics.h. GROUP_ADD puts the actor in slot 4; FILE puts
 * 4663's ObjectType in slot 4. */
static const kz_fact_source sources[] = {
    {SEC,
     4624,
     KZ_FACT_LOGON,
     {"TargetUserName", "TargetDomainName", "IpAddress", "TargetUserSid",
      "LogonType", "TargetLogonId", NULL, NULL}},
    {SEC,
     4672,
     KZ_FACT_PRIV,
     {"SubjectUserName", "SubjectDomainName", NULL, "SubjectUserSid", NULL,
      "SubjectLogonId", NULL, NULL}},
    {SEC,
     4728,
     KZ_FACT_GROUP_ADD,
     {"MemberName", NULL, NULL, "MemberSid", "SubjectUserName", NULL,
      "TargetUserName", NULL}},
    {SEC,
     4732,
     KZ_FACT_GROUP_ADD,
     {"MemberName", NULL, NULL, "MemberSid", "SubjectUserName", NULL,
      "TargetUserName", NULL}},
    {SEC,
     4756,
     KZ_FACT_GROUP_ADD,
     {"MemberName", NULL, NULL, "MemberSid", "SubjectUserName", NULL,
      "TargetUserName", NULL}},
    {RCM,
     1149,
     KZ_FACT_RDP,
     {"Param1", "Param2", "Param3", NULL, NULL, NULL, NULL, NULL}},
    {LSM,
     21,
     KZ_FACT_RDP,
     {"User", NULL, "Address", NULL, NULL, "SessionID", NULL, NULL}},
    {LSM,
     22,
     KZ_FACT_RDP,
     {"User", NULL, "Address", NULL, NULL, "SessionID", NULL, NULL}},
    {LSM,
     25,
     KZ_FACT_RDP,
     {"User", NULL, "Address", NULL, NULL, "SessionID", NULL, NULL}},
    {SEC,
     5140,
     KZ_FACT_SHARE,
     {"SubjectUserName", "SubjectDomainName", "IpAddress", "SubjectUserSid",
      NULL, "SubjectLogonId", "ShareName", NULL}},
    {SEC,
     5145,
     KZ_FACT_FILE,
     {"SubjectUserName", "SubjectDomainName", "IpAddress", "SubjectUserSid",
      NULL, "SubjectLogonId", "ShareName", "RelativeTargetName"}},
    {SEC,
     4663,
     KZ_FACT_FILE,
     {"SubjectUserName", "SubjectDomainName", NULL, "SubjectUserSid",
      "ObjectType", "SubjectLogonId", NULL, "ObjectName"}},
    {SYS,
     7045,
     KZ_FACT_SERVICE,
     {"ServiceName", "ImagePath", NULL, NULL, NULL, NULL, NULL, NULL}},
    {SEC,
     4697,
     KZ_FACT_SERVICE,
     {"ServiceName", "ServiceFileName", NULL, NULL, NULL, NULL, NULL, NULL}},
    {SEC,
     4698,
     KZ_FACT_TASK,
     {"TaskName", "TaskContent", NULL, NULL, NULL, NULL, NULL, NULL}},
    {SYSMON,
     1,
     KZ_FACT_PROC,
     {"Image", "CommandLine", "OriginalFileName", "Hashes", "ParentImage",
      "ParentProcessGuid", "LogonId", "User"}},
    {SEC,
     4688,
     KZ_FACT_PROC,
     {"NewProcessName", "CommandLine", NULL, NULL, "ParentProcessName",
      "ProcessId", "SubjectLogonId", "SubjectUserName"}},
    {SYSMON,
     10,
     KZ_FACT_LSASS,
     {"SourceImage", "TargetImage", "GrantedAccess", NULL, NULL, NULL, NULL,
      NULL}},
    {SYSMON,
     17,
     KZ_FACT_PIPE,
     {"PipeName", "Image", NULL, NULL, NULL, NULL, NULL, NULL}},
    {SYSMON,
     18,
     KZ_FACT_PIPE,
     {"PipeName", "Image", NULL, NULL, NULL, NULL, NULL, NULL}},
    {SYSMON,
     22,
     KZ_FACT_DNS,
     {"QueryName", "Image", NULL, NULL, NULL, NULL, NULL, NULL}},
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

const kz_fact_source *
kz_fact_source_at(size_t i)
{
    return i < NSOURCES ? &sources[i] : NULL;
}

int
kz_fact_source_find(const char *channel, size_t channel_len, uint32_t event_id,
                    uint32_t kinds)
{
    size_t i;

    if (channel == NULL)
        return -1;
    for (i = 0; i < NSOURCES; i++) {
        const kz_fact_source *s = &sources[i];

        if (s->event_id != event_id || !(kinds & (1u << s->kind)))
            continue;
        if (strlen(s->channel) == channel_len &&
            strncasecmp(s->channel, channel, channel_len) == 0)
            return (int)i;
    }
    return -1;
}

/* Class of an IPv4 address (host byte order). */
static kz_addr_class
class_v4(uint32_t a)
{
    if (a == 0 || a == 0xffffffffu)
        return KZ_ADDR_UNKNOWN;             /* 0.0.0.0, broadcast */
    if ((a >> 24) == 10 ||                  /* 10/8 */
        (a >> 20) == ((172u << 4) | 1) ||   /* 172.16/12 */
        (a >> 16) == ((192u << 8) | 168) || /* 192.168/16 */
        (a >> 22) == ((100u << 2) | 1) ||   /* 100.64/10 (CGNAT) */
        (a >> 24) == 127 ||                 /* loopback */
        (a >> 16) == ((169u << 8) | 254) || /* link-local */
        (a >> 24) == 0)                     /* this network */
        return KZ_ADDR_INTERNAL;
    return KZ_ADDR_EXTERNAL;
}

/* Parses an address as logged into a6 (IPv4 as ::ffff:a.b.c.d); false
 * when it is not one. */
static bool
parse_addr(const char *s, size_t len, unsigned char a6[16])
{
    char buf[64];
    struct in_addr a4;
    uint32_t v;
    size_t i;

    while (len > 0 && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* IPv6 zone ids ("fe80::1%12") are cut off. */
    for (i = 0; i < len; i++)
        if (buf[i] == '%')
            buf[i] = '\0';
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        v = ntohl(a4.s_addr);
        memset(a6, 0, 10);
        a6[10] = a6[11] = 0xff;
        a6[12] = (unsigned char)(v >> 24);
        a6[13] = (unsigned char)(v >> 16);
        a6[14] = (unsigned char)(v >> 8);
        a6[15] = (unsigned char)v;
        return true;
    }
    return inet_pton(AF_INET6, buf, a6) == 1;
}

static kz_addr_class
class_v6(const unsigned char a6[16])
{
    static const unsigned char zero[16];

    if (memcmp(a6, zero, 16) == 0)
        return KZ_ADDR_UNKNOWN; /* :: */
    if (memcmp(a6, zero, 15) == 0 && a6[15] == 1)
        return KZ_ADDR_INTERNAL; /* ::1 */
    if (memcmp(a6, zero, 10) == 0 && a6[10] == 0xff && a6[11] == 0xff)
        return class_v4(((uint32_t)a6[12] << 24) | ((uint32_t)a6[13] << 16) |
                        ((uint32_t)a6[14] << 8) | a6[15]);
    if ((a6[0] & 0xfe) == 0xfc) /* fc00::/7 ULA */
        return KZ_ADDR_INTERNAL;
    if (a6[0] == 0xfe && (a6[1] & 0xc0) == 0x80) /* fe80::/10 */
        return KZ_ADDR_INTERNAL;
    return KZ_ADDR_EXTERNAL;
}

kz_addr_class
kz_addr_classify(const char *s, size_t len)
{
    unsigned char a6[16];

    return parse_addr(s, len, a6) ? class_v6(a6) : KZ_ADDR_UNKNOWN;
}

/* True if a6 is in net. */
static bool
in_net(const unsigned char a6[16], const kz_a_net *net)
{
    size_t full = net->bits / 8, rest = net->bits % 8;
    unsigned char mask;

    if (memcmp(a6, net->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    mask = (unsigned char)(0xff << (8 - rest));
    return (a6[full] & mask) == (net->addr[full] & mask);
}

kz_addr_class
kz_addr_classify_nets(const char *s, size_t len, const kz_a_net *nets, size_t n)
{
    unsigned char a6[16];
    kz_addr_class c;
    size_t i;

    if (!parse_addr(s, len, a6))
        return KZ_ADDR_UNKNOWN;
    if ((c = class_v6(a6)) != KZ_ADDR_EXTERNAL)
        return c;
    for (i = 0; i < n; i++)
        if (in_net(a6, &nets[i]))
            return KZ_ADDR_INTERNAL;
    return KZ_ADDR_EXTERNAL;
}

/* One network "addr[/bits]" of len bytes. */
static bool
parse_net(const char *s, size_t len, kz_a_net *net)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - s) : len, i;
    unsigned long bits;
    bool v4;
    char num[8];
    char *end;

    if (!parse_addr(s, alen, net->addr))
        return false;
    v4 = memchr(s, ':', alen) == NULL;
    if (slash == NULL) {
        net->bits = 128;
        return true;
    }
    i = len - alen - 1;
    if (i == 0 || i >= sizeof(num))
        return false;
    memcpy(num, slash + 1, i);
    num[i] = '\0';
    if (num[0] < '0' || num[0] > '9')
        return false;
    bits = strtoul(num, &end, 10);
    if (*end != '\0' || bits > (v4 ? 32u : 128u))
        return false;
    net->bits = (uint8_t)(v4 ? bits + 96 : bits);
    return true;
}

kz_status
kz_a_nets_parse(const char *list, kz_a_net *nets, size_t max, size_t *n,
                kz_error *err)
{
    const char *p = list, *e;
    size_t len;

    *n = 0;
    while (p != NULL && *p != '\0') {
        e = strchr(p, ',');
        len = e != NULL ? (size_t)(e - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0) {
            if (*n == max)
                return kz_error_set(err, KZ_EUSAGE,
                                    "--internal-nets: more than %zu "
                                    "networks",
                                    max);
            if (!parse_net(p, len, &nets[*n]))
                return kz_error_set(err, KZ_EUSAGE,
                                    "--internal-nets: '%.*s' is not an "
                                    "address or address/prefix",
                                    (int)(len < 64 ? len : 64), p);
            (*n)++;
        }
        p = e != NULL ? e + 1 : NULL;
    }
    return KZ_OK;
}

kz_status
kz_a_host_key(kz_strbuf *b, const char *s, size_t len)
{
    size_t i;
    kz_status st;

    if (s == NULL)
        return KZ_OK;
    /* A Computer logged as an IPv4 address is kept whole: it has no DNS
     * suffix (else every 10.x.y.z host would be host "10"). */
    for (i = 0; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++)
        ;
    if (i == len && len > 0)
        return kz_strbuf_add(b, s, len);
    for (i = 0; i < len && s[i] != '.'; i++)
        if ((st = kz_strbuf_addc(
                 b, (char)kz_ascii_lower((unsigned char)s[i]))) != KZ_OK)
            return st;
    return KZ_OK;
}

kz_status
kz_a_account_key(kz_strbuf *b, const char *s, size_t len)
{
    size_t i, start = 0, end;
    kz_status st;

    if (s == NULL || len == 0 || (len == 1 && s[0] == '-'))
        return KZ_OK;
    end = len;
    if (len > 3 && (s[0] == 'C' || s[0] == 'c') &&
        (s[1] == 'N' || s[1] == 'n') && s[2] == '=') {
        /* A distinguished name: its first RDN value (commas escaped with
         * a backslash are kept). */
        start = 3;
        for (i = 3; i < len; i++) {
            if (s[i] == '\\' && i + 1 < len) {
                i++;
                continue;
            }
            if (s[i] == ',')
                break;
        }
        end = i;
    } else {
        for (i = 0; i < len; i++)
            if (s[i] == '\\')
                start = i + 1;
        for (i = start; i < len; i++)
            if (s[i] == '@') {
                end = i;
                break;
            }
    }
    for (i = start; i < end; i++) {
        if (start == 3 && s[i] == '\\' && i + 1 < end)
            i++;
        if ((st = kz_strbuf_addc(
                 b, (char)kz_ascii_lower((unsigned char)s[i]))) != KZ_OK)
            return st;
    }
    return KZ_OK;
}

static const kz_a_key_info keys[KZ_AK_COUNT] = {
    [KZ_AK_RDP_ENABLED] = {"rdp.enabled", 1, 0, 1, "0/1",
                           "run kz_a_rdp_external_privilege (D1)"},
    [KZ_AK_RDP_WINDOW] =
        {"rdp.window_minutes", 60, 1, 10080, "minutes",
         "privilege after an external RDP logon within this time"},
    [KZ_AK_TOOL_ENABLED] = {"tool_burst.enabled", 1, 0, 1, "0/1",
                            "run kz_a_attack_tool_burst (D2)"},
    [KZ_AK_TOOL_CLASSES] =
        {"tool_burst.classes", 3, 1, 5, "classes",
         "distinct tool classes on one host that make a finding"},
    [KZ_AK_TOOL_WINDOW] = {"tool_burst.window_minutes", 30, 1, 10080, "minutes",
                           "the classes must appear within this time"},
    [KZ_AK_FANOUT_ENABLED] = {"fanout.enabled", 1, 0, 1, "0/1",
                              "run kz_a_fanout (D3)"},
    [KZ_AK_FANOUT_HOSTS] =
        {"fanout.hosts", 5, 2, 10000, "hosts",
         "distinct hosts one account, source or payload must reach"},
    [KZ_AK_FANOUT_WINDOW] = {"fanout.window_minutes", 10, 1, 10080, "minutes",
                             "the hosts must be reached within this time"},
    [KZ_AK_IDENTITY_ENABLED] = {"binary_identity.enabled", 1, 0, 1, "0/1",
                                "run kz_a_binary_identity (D5)"},
    [KZ_AK_IDENTITY_NAMES] =
        {"binary_identity.names", 2, 2, 64, "names",
         "distinct image names of one hash that make a finding"},
    [KZ_AK_BULK_ENABLED] = {"bulk_read.enabled", 1, 0, 1, "0/1",
                            "run kz_a_bulk_file_read (D8)"},
    [KZ_AK_BULK_FILES] =
        {"bulk_read.files", 50, 1, 100000000, "files",
         "distinct files per (account, source) within the window that make "
         "a finding (fixed threshold)"},
    [KZ_AK_BULK_WINDOW] = {"bulk_read.window_minutes", 60, 1, 10080, "minutes",
                           "sliding window of the file count"},
    [KZ_AK_BULK_KEEP] =
        {"bulk_read.keep_files", 10000, 10, 10000000, "files",
         "files listed per (account, source); more are counted"},
    [KZ_AK_BULK_BASELINE_DAYS] =
        {"bulk_read.baseline_days", 30, 1, 3650, "days",
         "history the p99 baseline would need (not evaluated "
         "below it)"},
    [KZ_AK_DISC_ENABLED] = {"discovery.enabled", 1, 0, 1, "0/1",
                            "run kz_a_discovery_burst (D13)"},
    [KZ_AK_DISC_COMMANDS] =
        {"discovery.commands", 4, 2, 64, "commands",
         "distinct discovery commands under one parent or logon"},
    [KZ_AK_DISC_WINDOW] = {"discovery.window_minutes", 10, 1, 10080, "minutes",
                           "the commands must run within this time"},
    [KZ_AK_MAX_KEYS] =
        {"tables.max_keys", 100000, 100, 100000000, "keys",
         "keys (accounts, hosts, paths...) per table of each analytic; "
         "past it new keys are counted as dropped"},
    [KZ_AK_MAX_BYTES] =
        {"tables.max_bytes", 64 << 20, 1 << 20, (int64_t)1 << 40, "bytes",
         "memory of all analytics tables together; past it new keys, values "
         "and queued reads are counted as dropped"},
};

const kz_a_key_info *
kz_a_key_at(size_t k)
{
    return k < KZ_AK_COUNT ? &keys[k] : NULL;
}

void
kz_a_config_defaults(kz_a_config *c)
{
    size_t k;

    for (k = 0; k < KZ_AK_COUNT; k++)
        c->v[k] = keys[k].def;
}

kz_status
kz_a_config_set(kz_a_config *c, const char *name, const char *value,
                kz_error *err)
{
    size_t k;
    long long v;
    char *end;

    for (k = 0; k < KZ_AK_COUNT; k++)
        if (strcmp(keys[k].name, name) == 0)
            break;
    if (k == KZ_AK_COUNT)
        return kz_error_set(err, KZ_EUSAGE, "unknown key '%.100s'", name);
    errno = 0;
    v = strtoll(value, &end, 10);
    if (end == value || *end != '\0' || errno != 0 || v < keys[k].min ||
        v > keys[k].max)
        return kz_error_set(err, KZ_EUSAGE,
                            "%s wants an integer from %lld to %lld (%s), "
                            "not '%.100s'",
                            keys[k].name, (long long)keys[k].min,
                            (long long)keys[k].max, keys[k].unit, value);
    c->v[k] = v;
    return KZ_OK;
}

/* Trims ASCII spaces and tabs around [s, s+n) in place; returns s'. */
static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

kz_status
kz_a_config_load(kz_a_config *c, const char *path, kz_error *err)
{
    FILE *f = fopen(path, "r");
    char line[1026], *p, *eq, *hash;
    unsigned lineno = 0;
    kz_error e;
    kz_status st = KZ_OK;

    if (f == NULL)
        return kz_error_set(err, KZ_EIO, "%.300s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            st = kz_error_set(err, KZ_EUSAGE,
                              "%.300s:%u: line longer than 1024 bytes", path,
                              lineno);
            break;
        }
        if ((hash = strchr(line, '#')) != NULL)
            *hash = '\0';
        p = trim(line);
        if (*p == '\0')
            continue;
        if ((eq = strchr(p, '=')) == NULL) {
            st =
                kz_error_set(err, KZ_EUSAGE,
                             "%.300s:%u: expected 'key = value'", path, lineno);
            break;
        }
        *eq = '\0';
        p = trim(p);
        /* integrity.* keys belong to the integrity tap, which reads the
         * same file (docs/analytics-integrity.md). */
        if (strncmp(p, "integrity.", 10) == 0)
            continue;
        kz_error_clear(&e);
        if (kz_a_config_set(c, p, trim(eq + 1), &e) != KZ_OK) {
            st = kz_error_set(err, KZ_EUSAGE, "%.300s:%u: %s", path, lineno,
                              e.msg);
            break;
        }
    }
    if (st == KZ_OK && ferror(f))
        st = kz_error_set(err, KZ_EIO, "%.300s: read error", path);
    fclose(f);
    return st;
}
