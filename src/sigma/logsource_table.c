/*
 * logsource_table.c - the Windows logsource mapping as data
 * (sigma-notes.md 5.1 and 5.2; decisions in docs/sigma-logsource.md).
 *
 * One row per Sigma category or service: the channels its events are in,
 * the event ids (none = every id of those channels), the Security-log
 * alternate it also runs on, or the reason it cannot run on EVTX at all.
 * Adding a mapping is adding a row.
 */
#include "sigma/logsource_int.h"

#include <strings.h>

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define PS_OP "Microsoft-Windows-PowerShell/Operational"
#define PS_CORE "PowerShellCore/Operational"
#define PS_CLASSIC "Windows PowerShell"
#define DEFENDER "Microsoft-Windows-Windows Defender/Operational"
#define WMI_ACT "Microsoft-Windows-WMI-Activity/Operational"

/* Row shorthands: a name, its channels and ids (in braces), an alternate. */
#define ROW(n, alt, ch, ...) { n, { ch }, { __VA_ARGS__ }, alt, 0, NULL }
#define PS_BOTH PS_OP, PS_CORE
#define ETW(n, why) { n, { NULL }, { 0 }, KZ_LS_NATIVE, 0, why }
#define SVC(n, ...) { n, { __VA_ARGS__ }, { 0 }, KZ_LS_NATIVE, 0, NULL }

static const kz_ls_row categories[] = {
    /* Sysmon (event ids of the Sysmon schema) */
    ROW("process_creation", KZ_LS_ALT_4688, SYSMON, 1),
    ROW("file_change", KZ_LS_NATIVE, SYSMON, 2),
    ROW("network_connection", KZ_LS_ALT_5156, SYSMON, 3),
    ROW("sysmon_status", KZ_LS_NATIVE, SYSMON, 4, 16),
    ROW("process_termination", KZ_LS_NATIVE, SYSMON, 5),
    ROW("driver_load", KZ_LS_NATIVE, SYSMON, 6),
    ROW("image_load", KZ_LS_NATIVE, SYSMON, 7),
    ROW("create_remote_thread", KZ_LS_NATIVE, SYSMON, 8),
    ROW("raw_access_thread", KZ_LS_NATIVE, SYSMON, 9),
    ROW("process_access", KZ_LS_NATIVE, SYSMON, 10),
    ROW("file_event", KZ_LS_NATIVE, SYSMON, 11),
    ROW("registry_add", KZ_LS_ALT_4657, SYSMON, 12),
    ROW("registry_delete", KZ_LS_ALT_4657, SYSMON, 12),
    ROW("registry_set", KZ_LS_ALT_4657, SYSMON, 13),
    ROW("registry_rename", KZ_LS_NATIVE, SYSMON, 14),
    ROW("registry_event", KZ_LS_ALT_4657, SYSMON, 12, 13, 14),
    ROW("create_stream_hash", KZ_LS_NATIVE, SYSMON, 15),
    ROW("pipe_created", KZ_LS_NATIVE, SYSMON, 17, 18),
    ROW("wmi_event", KZ_LS_ALT_WMI, SYSMON, 19, 20, 21),
    ROW("dns_query", KZ_LS_NATIVE, SYSMON, 22),
    /* 26 (FileDeleteDetected) is a deletion too, with the same fields
     * minus Archived: a file_delete rule should see both. */
    ROW("file_delete", KZ_LS_NATIVE, SYSMON, 23, 26),
    ROW("clipboard_capture", KZ_LS_NATIVE, SYSMON, 24),
    ROW("clipboard_change", KZ_LS_NATIVE, SYSMON, 24),
    ROW("process_tampering", KZ_LS_NATIVE, SYSMON, 25),
    ROW("file_delete_detected", KZ_LS_NATIVE, SYSMON, 26),
    ROW("file_block_executable", KZ_LS_NATIVE, SYSMON, 27),
    ROW("file_block_shredding", KZ_LS_NATIVE, SYSMON, 28),
    ROW("file_executable_detected", KZ_LS_NATIVE, SYSMON, 29),
    ROW("sysmon_error", KZ_LS_NATIVE, SYSMON, 255),
    /* PowerShell */
    ROW("ps_module", KZ_LS_NATIVE, PS_BOTH, 4103),
    ROW("ps_script", KZ_LS_NATIVE, PS_BOTH, 4104),
    ROW("ps_classic_start", KZ_LS_NATIVE, PS_CLASSIC, 400),
    ROW("ps_classic_provider_start", KZ_LS_NATIVE, PS_CLASSIC, 600),
    ROW("ps_classic_script", KZ_LS_NATIVE, PS_CLASSIC, 800),
    /* Defender detections: the events that carry "Threat Name" and "Path"
     * (Signature and Filename in Sigma's antivirus taxonomy) */
    { "antivirus", { DEFENDER },
      { 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115,
        1116 },
      KZ_LS_NATIVE, KZ_LS_REN_DEFENDER, NULL },
    /* Kernel-File ETW only: never written to an event log */
    ETW("file_access", "category file_access is ETW-only, not in EVTX"),
    ETW("file_rename", "category file_rename is ETW-only, not in EVTX"),
};

static const kz_ls_row services[] = {
    SVC("security", "Security"),
    SVC("system", "System"),
    SVC("application", "Application"),
    SVC("sysmon", SYSMON),
    SVC("powershell", PS_OP, PS_CORE),
    SVC("powershell-classic", PS_CLASSIC),
    SVC("taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"),
    SVC("wmi", WMI_ACT),
    SVC("windefend", DEFENDER),
    SVC("applocker", "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution"),
    SVC("dns-server", "DNS Server"),
    SVC("dns-server-audit", "Microsoft-Windows-DNS-Server/Audit"),
    SVC("dns-server-analytic", "Microsoft-Windows-DNS-Server/Analytical"),
    SVC("dns-client", "Microsoft-Windows-DNS Client Events/Operational"),
    SVC("driver-framework",
        "Microsoft-Windows-DriverFrameworks-UserMode/Operational"),
    SVC("ntlm", "Microsoft-Windows-NTLM/Operational"),
    SVC("dhcp", "Microsoft-Windows-DHCP-Server/Operational"),
    SVC("msexchange-management", "MSExchange Management"),
    SVC("printservice-admin", "Microsoft-Windows-PrintService/Admin"),
    SVC("printservice-operational",
        "Microsoft-Windows-PrintService/Operational"),
    SVC("codeintegrity-operational",
        "Microsoft-Windows-CodeIntegrity/Operational"),
    SVC("smbclient-security", "Microsoft-Windows-SmbClient/Security"),
    SVC("smbclient-connectivity", "Microsoft-Windows-SmbClient/Connectivity"),
    /* not in the pySigma/Hayabusa tables; the channel exists on every
     * Windows since 8 / Server 2012 */
    SVC("smbserver-connectivity", "Microsoft-Windows-SMBServer/Connectivity"),
    SVC("smbserver-security", "Microsoft-Windows-SMBServer/Security"),
    SVC("firewall-as",
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"),
    SVC("bits-client", "Microsoft-Windows-Bits-Client/Operational"),
    SVC("terminalservices-localsessionmanager",
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"),
    /* kizuki's own: RDP authentication (1149), not in the pySigma or
     * Hayabusa tables */
    SVC("terminalservices-remoteconnectionmanager",
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/"
        "Operational"),
    /* pySigma names the bare provider, the taxonomy two channels */
    SVC("microsoft-servicebus-client", "Microsoft-ServiceBus-Client",
        "Microsoft-ServiceBus-Client/Operational",
        "Microsoft-ServiceBus-Client/Admin"),
    SVC("ldap_debug", "Microsoft-Windows-LDAP-Client/Debug"),
    SVC("ldap", "Microsoft-Windows-LDAP-Client/Debug"),
    SVC("security-mitigations",
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode"),
    SVC("diagnosis-scripted",
        "Microsoft-Windows-Diagnosis-Scripted/Operational"),
    SVC("shell-core", "Microsoft-Windows-Shell-Core/Operational"),
    SVC("openssh", "OpenSSH/Operational"),
    SVC("bitlocker", "Microsoft-Windows-BitLocker/BitLocker Management"),
    SVC("vhdmp", "Microsoft-Windows-VHDMP/Operational"),
    SVC("appxdeployment-server",
        "Microsoft-Windows-AppXDeploymentServer/Operational"),
    SVC("appxpackaging-om", "Microsoft-Windows-AppxPackaging/Operational"),
    SVC("lsa-server", "Microsoft-Windows-LSA/Operational"),
    SVC("appmodel-runtime", "Microsoft-Windows-AppModel-Runtime/Admin"),
    SVC("capi2", "Microsoft-Windows-CAPI2/Operational"),
    SVC("certificateservicesclient-lifecycle-system",
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/"
        "Operational"),
    SVC("kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational",
        "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"),
    SVC("application-experience",
        "Microsoft-Windows-Application-Experience/Program-Telemetry",
        "Microsoft-Windows-Application-Experience/"
        "Program-Compatibility-Assistant"),
    SVC("ntfs", "Microsoft-Windows-Ntfs/Operational"),
    /* pySigma names the provider; the event log channel is -Admin */
    SVC("hyper-v-worker", "Microsoft-Windows-Hyper-V-Worker",
        "Microsoft-Windows-Hyper-V-Worker-Admin"),
    SVC("kernel-event-tracing", "Microsoft-Windows-Kernel-EventTracing",
        "Microsoft-Windows-Kernel-EventTracing/Admin"),
    SVC("iis-configuration", "Microsoft-IIS-Configuration/Operational"),
};

static const kz_ls_alt_place alt_places[] = {
    { { NULL }, { 0 } },                             /* KZ_LS_NATIVE */
    { { "Security" }, { 4688 } },                    /* KZ_LS_ALT_4688 */
    { { "Security" }, { 4657 } },                    /* KZ_LS_ALT_4657 */
    { { "Security" }, { 5156 } },                    /* KZ_LS_ALT_5156 */
    { { WMI_ACT }, { 5861 } },                       /* KZ_LS_ALT_WMI */
};

#define NCATS (sizeof(categories) / sizeof(categories[0]))
#define NSVCS (sizeof(services) / sizeof(services[0]))

static const kz_ls_row *
find(const kz_ls_row *rows, size_t n, const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        if (strcasecmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

const kz_ls_row *
kz_ls_find_category(const char *name)
{
    return find(categories, NCATS, name);
}

const kz_ls_row *
kz_ls_find_service(const char *name)
{
    return find(services, NSVCS, name);
}

const kz_ls_row *
kz_ls_row_at(int svc, size_t i)
{
    if (svc)
        return i < NSVCS ? &services[i] : NULL;
    return i < NCATS ? &categories[i] : NULL;
}

size_t
kz_ls_row_nchannels(const kz_ls_row *row)
{
    size_t n = 0;

    while (n < KZ_LS_MAX_CHANNELS && row->channels[n] != NULL)
        n++;
    return n;
}

size_t
kz_ls_row_neids(const kz_ls_row *row)
{
    size_t n = 0;

    while (n < KZ_LS_MAX_EIDS && row->eids[n] != 0)
        n++;
    return n;
}

const kz_ls_alt_place *
kz_ls_alt_place_of(kz_ls_alt alt)
{
    if (alt == KZ_LS_NATIVE ||
        (size_t)alt >= sizeof(alt_places) / sizeof(alt_places[0]))
        return NULL;
    return &alt_places[alt];
}
