/*
 * logsource.h - where a Sigma rule can run in Windows event logs: the
 * logsource mapping of sigma-notes.md 5 as one data table.
 *
 * A rule maps to one or more targets. A target is a set of channels and
 * event ids (none = any id of those channels) plus, for the Security-log
 * alternates (4688 for process_creation, 4657 for registry_*, 5156 for
 * network_connection), a rewritten copy of the rule's selections: field
 * names renamed (Image -> NewProcessName) and values converted (decimal
 * ProcessId -> 0x hex, IntegrityLevel -> S-1-16-*, HKLM -> \REGISTRY\
 * MACHINE, tcp -> 6, ...). An alternate target is left out when the rule
 * reads a field the alternate event does not have (OriginalFileName on
 * 4688), since such a selection could only ever be false.
 *
 * The matcher compiles each target as its own dispatch entry; detections
 * report the rule either way.
 *
 * Ownership: targets and rewritten selections live in the arena given.
 * Threads: the table is constant; functions are reentrant.
 */
#ifndef KZ_SIGMA_LOGSOURCE_H
#define KZ_SIGMA_LOGSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/error.h"
#include "sigma/ast.h"

/* Which alternate a target is. */
typedef enum kz_ls_alt {
    KZ_LS_NATIVE = 0,   /* the rule as written (Sysmon, PowerShell, ...) */
    KZ_LS_ALT_4688,     /* process_creation on Security 4688 */
    KZ_LS_ALT_4657,     /* registry_* on Security 4657 */
    KZ_LS_ALT_5156,     /* network_connection on Security 5156 */
    KZ_LS_ALT_WMI,      /* wmi_event on WMI-Activity 5861 */
} kz_ls_alt;

/* One place a rule runs. */
typedef struct kz_ls_target {
    uint8_t alt;                      /* kz_ls_alt */
    const char *const *channels;      /* channel names (compare ASCII
                                         case-insensitively) */
    size_t nchannels;                 /* >= 1 */
    const uint32_t *eids;             /* event ids; NULL = any */
    size_t neids;
    const kz_sg_selection *sels;      /* selections to compile: the rule's
                                         own (NATIVE) or rewritten */
    size_t nsels;                     /* == rule->nsels */
} kz_ls_target;

/* Maps rule r. On success *targets and *n hold >= 1 target (arena-owned).
 * Returns KZ_EUNSUPPORTED, with *why set to a constant reason ("category
 * file_access is ETW-only, not in EVTX", "product linux has no EVTX
 * channel"), when the rule cannot run on EVTX; KZ_ENOMEM on OOM. */
kz_status kz_logsource_map(const kz_sigma_rule *r, kz_arena *a,
                           const kz_ls_target **targets, size_t *n,
                           const char **why);

/* The name of an alternate ("native", "security-4688", ...). */
const char *kz_ls_alt_name(kz_ls_alt alt);

#endif /* KZ_SIGMA_LOGSOURCE_H */
