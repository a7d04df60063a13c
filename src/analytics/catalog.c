/*
 * catalog.c - the analytics kizuki runs beside Sigma rules, as data.
 * Ids are stable: tests, docs and reports name them. Reference:
 * docs/analytics.md.
 */
#include "analytics/finding.h"

#include <string.h>

#include "sigma/ast.h"

static const kz_analytic_info catalog[] = {
    {"kz_a_rdp_external_privilege",
     "RDP logon from a public address followed by privilege",
     KZ_LEVEL_CRITICAL, "attack.initial-access,attack.t1133,attack.t1078",
     "D1",
     "A remote-interactive logon from a non-internal address, then special "
     "privileges or a privileged group membership for the same account "
     "within the window."},
    {"kz_a_attack_tool_burst", "Several attack tool classes on one host",
     KZ_LEVEL_CRITICAL, "attack.execution,attack.t1219,attack.t1003", "D2",
     "Distinct tool classes (remote access, hacktool, C2 framework, LSASS "
     "access, process killer) on one host within the window."},
    {"kz_a_fanout", "One account or payload reaching many hosts",
     KZ_LEVEL_CRITICAL, "attack.lateral-movement,attack.t1021.002,attack.t1569.002",
     "D3",
     "One account or source logs on to, or one service or task path "
     "appears on, at least the threshold of hosts within the window."},
    {"kz_a_binary_identity", "Known binary under another name",
     KZ_LEVEL_HIGH, "attack.defense-evasion,attack.t1036.003", "D5",
     "A known binary's OriginalFileName or hash under another name, one "
     "hash under several names, or a browser outside its install path."},
    {"kz_a_bulk_file_read", "Bulk read of files on a share",
     KZ_LEVEL_HIGH, "attack.collection,attack.t1039", "D8",
     "Distinct files accessed by one (account, source) within the window "
     "over the threshold."},
    {"kz_a_discovery_burst", "Burst of discovery commands",
     KZ_LEVEL_MEDIUM, "attack.discovery,attack.t1087,attack.t1018", "D13",
     "Several commands from JPCERT's attacker command list on one host "
     "under one parent or logon session within the window."},
    {"kz_a_log_gap", "EventRecordID gap in a log", KZ_LEVEL_HIGH,
     "attack.defense-evasion,attack.t1070.001", "D11",
     "Record ids missing between records that were read, per host and "
     "channel."},
    {"kz_a_log_unreadable", "Unreadable range in a log", KZ_LEVEL_MEDIUM,
     "attack.defense-evasion,attack.t1070.001", "D11",
     "A range of a log the reader could not parse: its records are unknown, "
     "not known to be deleted."},
    {"kz_a_time_backwards", "Log time runs backwards", KZ_LEVEL_MEDIUM,
     "attack.defense-evasion,attack.t1070.006", "D11",
     "A record is older than its predecessor by more than the threshold."},
    {"kz_a_json_coverage", "Record-id gaps not evaluated (export)",
     KZ_LEVEL_INFORMATIONAL, "", "D11",
     "Exports (JSON, or EVTX whose record ids are not the original "
     "ones) often keep only some events, so record-id gaps are not "
     "evaluated on them."},
    {"kz_a_not_evaluated", "Analytic not evaluated",
     KZ_LEVEL_INFORMATIONAL, "", "",
     "An analytic that needs a baseline could not be evaluated on data this "
     "short."},
};

const kz_analytic_info *
kz_analytic_find(const char *id)
{
    size_t i;

    if (id == NULL)
        return NULL;
    for (i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
        if (strcmp(catalog[i].id, id) == 0)
            return &catalog[i];
    return NULL;
}

const kz_analytic_info *
kz_analytic_at(size_t i)
{
    return i < sizeof(catalog) / sizeof(catalog[0]) ? &catalog[i] : NULL;
}

size_t
kz_analytic_count(void)
{
    return sizeof(catalog) / sizeof(catalog[0]);
}
