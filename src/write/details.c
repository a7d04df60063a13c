/*
 * details.c - the Details table: per event type, the fields an analyst
 * reads first, in the order they read them. Labels are the Windows field
 * names, except "Account"-like labels that join a domain and a user name.
 * Kept short on purpose (a Details cell should fit a screen line or two):
 * everything else still appears in ExtraFieldInfo.
 */
#include "write/details.h"

#include <stdbool.h>
#include <string.h>

#include "base/hash.h"

#define SEC "Security"
#define SYS "System"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PSOP "Microsoft-Windows-PowerShell/Operational"
#define WPS "Windows PowerShell"
#define RCM "Microsoft-Windows-TerminalServices-RemoteConnectionManager/" \
            "Operational"
#define LSM "Microsoft-Windows-TerminalServices-LocalSessionManager/"     \
            "Operational"

/* Frequent items. */
#define I_SUBJECT { "Account", "SubjectDomainName", "SubjectUserName" }
#define I_TARGET { "TargetAccount", "TargetDomainName", "TargetUserName" }
#define I_LOGON { "Account", "TargetDomainName", "TargetUserName" }
#define I(name) { name, name, NULL }

static const kz_detail_row rows[] = {
    /* Security: logons */
    { SEC, 4624, { I_LOGON, I("LogonType"), I("IpAddress"),
                   I("WorkstationName"), I("AuthenticationPackageName"),
                   I("LogonProcessName"), I("TargetLogonId") } },
    { SEC, 4625, { I_LOGON, I("LogonType"), I("IpAddress"),
                   I("WorkstationName"), I("Status"), I("SubStatus"),
                   I("AuthenticationPackageName") } },
    { SEC, 4634, { I_LOGON, I("LogonType"), I("TargetLogonId") } },
    { SEC, 4647, { I_LOGON, I("TargetLogonId") } },
    { SEC, 4648, { I_SUBJECT, I_TARGET, I("TargetServerName"),
                   I("IpAddress"), I("ProcessName") } },
    { SEC, 4672, { I_SUBJECT, I("SubjectLogonId"), I("PrivilegeList") } },
    /* Security: processes, services, tasks, registry, objects */
    { SEC, 4688, { I("NewProcessName"), I("CommandLine"),
                   I("ParentProcessName"), I_SUBJECT, I("NewProcessId"),
                   I("TokenElevationType") } },
    { SEC, 4697, { I("ServiceName"), I("ServiceFileName"), I_SUBJECT,
                   I("ServiceStartType") } },
    { SEC, 4698, { I("TaskName"), I_SUBJECT } },
    { SEC, 4699, { I("TaskName"), I_SUBJECT } },
    { SEC, 4702, { I("TaskName"), I_SUBJECT } },
    { SEC, 4657, { I("ObjectName"), I("ObjectValueName"), I("NewValue"),
                   I("ProcessName"), I_SUBJECT } },
    { SEC, 4663, { I("ObjectName"), I("AccessMask"), I("ProcessName"),
                   I_SUBJECT } },
    /* Security: accounts and groups */
    { SEC, 4720, { I_TARGET, I("TargetSid"), I_SUBJECT } },
    { SEC, 4722, { I_TARGET, I_SUBJECT } },
    { SEC, 4724, { I_TARGET, I_SUBJECT } },
    { SEC, 4725, { I_TARGET, I_SUBJECT } },
    { SEC, 4726, { I_TARGET, I_SUBJECT } },
    { SEC, 4738, { I_TARGET, I_SUBJECT } },
    { SEC, 4740, { I("TargetUserName"), I("TargetDomainName"),
                   I_SUBJECT } },
    { SEC, 4728, { { "Group", "TargetDomainName", "TargetUserName" },
                   I("MemberName"), I("MemberSid"), I_SUBJECT } },
    { SEC, 4732, { { "Group", "TargetDomainName", "TargetUserName" },
                   I("MemberName"), I("MemberSid"), I_SUBJECT } },
    { SEC, 4756, { { "Group", "TargetDomainName", "TargetUserName" },
                   I("MemberName"), I("MemberSid"), I_SUBJECT } },
    /* Security: Kerberos and NTLM */
    { SEC, 4768, { I_TARGET, I("IpAddress"), I("ServiceName"), I("Status"),
                   I("TicketEncryptionType"), I("PreAuthType") } },
    { SEC, 4769, { I("TargetUserName"), I("ServiceName"), I("IpAddress"),
                   I("Status"), I("TicketEncryptionType") } },
    { SEC, 4771, { I("TargetUserName"), I("IpAddress"), I("Status") } },
    { SEC, 4776, { I("TargetUserName"), I("Workstation"), I("Status") } },
    /* Security: shares and log integrity */
    { SEC, 5140, { I_SUBJECT, I("IpAddress"), I("ShareName"),
                   I("ShareLocalPath"), I("AccessMask") } },
    { SEC, 5145, { I_SUBJECT, I("IpAddress"), I("ShareName"),
                   I("RelativeTargetName"), I("AccessMask") } },
    { SEC, 1102, { I_SUBJECT, I("SubjectLogonId") } },
    /* System */
    { SYS, 7045, { I("ServiceName"), I("ImagePath"), I("ServiceType"),
                   I("StartType"), I("AccountName") } },
    { SYS, 104, { I("Channel"), I_SUBJECT } },
    { SYS, 7036, { I("param1"), I("param2") } },
    { SYS, 7040, { I("param1"), I("param2"), I("param3") } },
    /* PowerShell */
    { PSOP, 4104, { I("ScriptBlockText"), I("Path"), I("MessageNumber"),
                    I("MessageTotal"), I("ScriptBlockId") } },
    { PSOP, 4103, { I("Payload"), I("ContextInfo") } },
    { WPS, 400, { I("Data") } },
    { WPS, 600, { I("Data") } },
    { WPS, 800, { I("Data") } },
    /* Remote Desktop */
    { RCM, 1149, { { "Account", "Param2", "Param1" }, I("Param3") } },
    { LSM, 21, { I("User"), I("SessionID"), I("Address") } },
    { LSM, 22, { I("User"), I("SessionID"), I("Address") } },
    { LSM, 24, { I("User"), I("SessionID"), I("Address") } },
    { LSM, 25, { I("User"), I("SessionID"), I("Address") } },
    /* Sysmon */
    { SYSMON, 1, { I("Image"), I("CommandLine"), I("ParentImage"),
                   I("User"), I("IntegrityLevel"), I("OriginalFileName"),
                   I("Hashes"), I("ParentCommandLine") } },
    { SYSMON, 3, { I("Image"), I("Protocol"), I("SourceIp"),
                   I("SourcePort"), I("DestinationIp"),
                   I("DestinationPort"), I("DestinationHostname"),
                   I("User") } },
    { SYSMON, 5, { I("Image"), I("ProcessId"), I("User") } },
    { SYSMON, 6, { I("ImageLoaded"), I("Signed"), I("Signature"),
                   I("Hashes") } },
    { SYSMON, 7, { I("Image"), I("ImageLoaded"), I("Signed"),
                   I("Signature"), I("OriginalFileName"), I("Hashes") } },
    { SYSMON, 8, { I("SourceImage"), I("TargetImage"),
                   I("StartFunction"), I("StartModule") } },
    { SYSMON, 10, { I("SourceImage"), I("TargetImage"), I("GrantedAccess"),
                    I("CallTrace") } },
    { SYSMON, 11, { I("Image"), I("TargetFilename"), I("User") } },
    { SYSMON, 12, { I("EventType"), I("Image"), I("TargetObject") } },
    { SYSMON, 13, { I("EventType"), I("Image"), I("TargetObject"),
                    I("Details") } },
    { SYSMON, 14, { I("EventType"), I("Image"), I("TargetObject"),
                    I("NewName") } },
    { SYSMON, 15, { I("Image"), I("TargetFilename"), I("Hash") } },
    { SYSMON, 17, { I("PipeName"), I("Image") } },
    { SYSMON, 18, { I("PipeName"), I("Image") } },
    { SYSMON, 22, { I("Image"), I("QueryName"), I("QueryResults"),
                    I("QueryStatus") } },
    { SYSMON, 23, { I("Image"), I("TargetFilename"), I("User") } },
    { SYSMON, 25, { I("Image"), I("Type") } },
    { SYSMON, 26, { I("Image"), I("TargetFilename"), I("User") } },
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static bool
same_fold(const char *a, kz_str b)
{
    size_t i, n = strlen(a);

    if (n != b.len)
        return false;
    for (i = 0; i < n; i++)
        if (kz_ascii_lower((unsigned char)a[i]) !=
            kz_ascii_lower((unsigned char)b.p[i]))
            return false;
    return true;
}

const kz_detail_row *
kz_details_find(kz_str channel, uint32_t event_id)
{
    size_t i;

    /* ~60 rows: a linear scan costs nothing next to rendering a
     * detection, and detections are few. */
    for (i = 0; i < N_ROWS; i++)
        if (rows[i].event_id == event_id && same_fold(rows[i].channel,
                                                      channel))
            return &rows[i];
    return NULL;
}

const kz_detail_row *
kz_details_table(size_t *n)
{
    *n = N_ROWS;
    return rows;
}
