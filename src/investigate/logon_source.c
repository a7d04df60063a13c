/*
 * logon_source.c - the events the logon collector reads, as data: which
 * (channel, event id) gives a logon fact, which field goes into each
 * slot, and what each event means (kz_logon_fact_from_slots): success or
 * failure, logon type, the target host, the source.
 * Reference: docs/logons.md "What each event contributes".
 */
#include "investigate/logon.h"

#include <string.h>
#include <strings.h>

#define SEC "Security"
#define SYS "System"
#define RCM                                                                    \
    "Microsoft-Windows-TerminalServices-RemoteConnectionManager/"              \
    "Operational"
#define LSM                                                                    \
    "Microsoft-Windows-TerminalServices-LocalSessionManager/"                  \
    "Operational"

/* Slot order: NAME, DOMAIN, SID, ADDR, WORKSTATION, TYPE, AUTH, STATUS,
 * SUBSTATUS, TARGET, SERVICE. At most 32 entries (event masks). */
static const kz_logon_source sources[] = {
    {SEC,
     4624,
     {"TargetUserName", "TargetDomainName", "TargetUserSid", "IpAddress",
      "WorkstationName", "LogonType", "AuthenticationPackageName", NULL, NULL,
      NULL, NULL},
     "successful logon: account, source address and workstation, type, "
     "auth package"},
    {SEC,
     4625,
     {"TargetUserName", "TargetDomainName", "TargetUserSid", "IpAddress",
      "WorkstationName", "LogonType", "AuthenticationPackageName", "Status",
      "SubStatus", NULL, NULL},
     "failed logon: as 4624, with SubStatus (else Status) as failure code"},
    {SEC,
     4648,
     {"TargetUserName", "TargetDomainName", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL, "TargetServerName", NULL},
     "explicit credentials: logged on the source; this host -> "
     "TargetServerName"},
    {SEC,
     4672,
     {"SubjectUserName", "SubjectDomainName", "SubjectUserSid", NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, NULL},
     "special privileges: marks the account admin (no edge)"},
    {SEC,
     4768,
     {"TargetUserName", "TargetDomainName", "TargetSid", "IpAddress", NULL,
      NULL, NULL, "Status", NULL, NULL, NULL},
     "Kerberos TGT (on a DC): source address -> DC, Status 0x0 = success"},
    {SEC,
     4769,
     {"TargetUserName", "TargetDomainName", NULL, "IpAddress", NULL, NULL, NULL,
      "Status", NULL, NULL, "ServiceName"},
     "Kerberos service ticket (on a DC): as 4768"},
    {SEC,
     4776,
     {"TargetUserName", NULL, NULL, NULL, "Workstation", NULL, NULL, "Status",
      NULL, NULL, NULL},
     "NTLM validation (on a DC): source workstation -> DC"},
    {SEC,
     5140,
     {"SubjectUserName", "SubjectDomainName", "SubjectUserSid", "IpAddress",
      NULL, NULL, NULL, NULL, NULL, NULL, "ShareName"},
     "share access: a network (type 3) edge from the address"},
    {SEC,
     4697,
     {"SubjectUserName", "SubjectDomainName", "SubjectUserSid", NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, "ServiceName"},
     "service installed: the installing account -> this host"},
    {SYS,
     7045,
     {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      "ServiceName"},
     "service installed: the header's user SID -> this host"},
    {RCM,
     1149,
     {"Param1", "Param2", NULL, "Param3", NULL, NULL, NULL, NULL, NULL, NULL,
      NULL},
     "RDP authentication: user, domain, address (type 10)"},
    {LSM,
     21,
     {"User", NULL, NULL, "Address", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
     "RDP session logon: DOMAIN\\user, address (type 10)"},
    {LSM,
     22,
     {"User", NULL, NULL, "Address", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
     "RDP shell start: as 21"},
    {LSM,
     24,
     {"User", NULL, NULL, "Address", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
     "RDP session disconnected: as 21"},
    {LSM,
     25,
     {"User", NULL, NULL, "Address", NULL, NULL, NULL, NULL, NULL, NULL, NULL},
     "RDP session reconnection: as 21"},
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

const kz_logon_source *
kz_logon_source_at(size_t i)
{
    return i < NSOURCES ? &sources[i] : NULL;
}

int
kz_logon_source_find(const char *channel, size_t channel_len, uint32_t event_id)
{
    size_t i;

    if (channel == NULL)
        return -1;
    for (i = 0; i < NSOURCES; i++)
        if (sources[i].event_id == event_id &&
            strlen(sources[i].channel) == channel_len &&
            strncasecmp(sources[i].channel, channel, channel_len) == 0)
            return (int)i;
    return -1;
}

/* True if s is "-" or empty. */
static bool
blank(kz_str s)
{
    return s.len == 0 || (s.len == 1 && s.p[0] == '-');
}

/* True if s equals the ASCII text t, case-insensitively. */
static bool
is(kz_str s, const char *t)
{
    return s.len == strlen(t) && strncasecmp(s.p, t, s.len) == 0;
}

/* A Kerberos or NTLM status: true (success) for 0, 0x0, 0x00000000. */
static bool
zero_status(kz_str s)
{
    size_t i = 0;

    if (s.len >= 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X'))
        i = 2;
    if (i == s.len)
        return i == 0 ? false : true;
    for (; i < s.len; i++)
        if (s.p[i] != '0')
            return false;
    return true;
}

/* Decimal logon type, or KZ_LOGON_TYPE_NONE. */
static int
parse_type(kz_str s)
{
    int v = 0;
    size_t i;

    if (s.len == 0 || s.len > 4)
        return KZ_LOGON_TYPE_NONE;
    for (i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return KZ_LOGON_TYPE_NONE;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

static const kz_str empty = {"", 0};

bool
kz_logon_fact_from_slots(int si, const kz_str v[KZ_LS_COUNT], kz_str computer,
                         kz_time time, kz_str header_sid, kz_logon_fact *f)
{
    const kz_logon_source *s = kz_logon_source_at((size_t)si);
    kz_str st;

    if (si < 0 || s == NULL)
        return false;
    memset(f, 0, sizeof(*f));
    f->event_id = s->event_id;
    f->time = time;
    f->result = KZ_LOGON_SUCCESS;
    f->logon_type = KZ_LOGON_TYPE_NONE;
    f->host = computer;
    f->name = v[KZ_LS_NAME];
    f->domain = v[KZ_LS_DOMAIN];
    f->sid = v[KZ_LS_SID];
    f->address = v[KZ_LS_ADDR];
    f->workstation = v[KZ_LS_WORKSTATION];
    f->auth = v[KZ_LS_AUTH];
    f->service = v[KZ_LS_SERVICE];
    f->status = empty;
    switch (s->event_id) {
    case 4624:
        f->logon_type = parse_type(v[KZ_LS_TYPE]);
        break;
    case 4625:
        f->result = KZ_LOGON_FAILURE;
        f->logon_type = parse_type(v[KZ_LS_TYPE]);
        st = v[KZ_LS_SUBSTATUS];
        f->status = !blank(st) && !zero_status(st) ? st : v[KZ_LS_STATUS];
        break;
    case 4648:
        /* Logged where the credentials were used: this host is the
         * source, the target server the host logged on to. */
        f->workstation = computer;
        if (!blank(v[KZ_LS_TARGET]) && !is(v[KZ_LS_TARGET], "localhost"))
            f->host = v[KZ_LS_TARGET];
        else
            f->workstation = empty;
        break;
    case 4672:
        f->result = KZ_LOGON_PRIVILEGED;
        break;
    case 4768:
    case 4769:
    case 4776:
        if (blank(v[KZ_LS_STATUS]))
            return false;
        f->auth.p = s->event_id == 4776 ? "NTLM" : "Kerberos";
        f->auth.len = strlen(f->auth.p);
        if (!zero_status(v[KZ_LS_STATUS])) {
            f->result = KZ_LOGON_FAILURE;
            f->status = v[KZ_LS_STATUS];
        }
        break;
    case 5140:
        f->logon_type = 3;
        break;
    case 7045:
        f->sid = header_sid;
        break;
    default: /* 4697, RDP */
        if (s->event_id < 4000)
            f->logon_type = 10;
        break;
    }
    return true;
}
