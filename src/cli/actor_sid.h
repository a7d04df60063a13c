/*
 * actor_sid.h - the account behind an alert that names none: PowerShell
 * 4103/4104 (and Windows PowerShell 400/403/600/800) carry the user only
 * as the SID of their System header, so investigate remembers that SID
 * per event (input ordinal, position) and the accounts that Security
 * events name with their SID (SubjectUserSid + SubjectDomainName\
 * SubjectUserName, TargetUserSid + TargetDomainName\TargetUserName), and
 * gives an alert without an account the account of its event's SID.
 * DESIGN.md Identity: "Accounts are DOMAIN\name, with UPN and SID linked
 * when an event shows both". Reference: docs/investigate.md ("Command",
 * alert mapping).
 *
 * Bounds: KZ_SID_MAX_ACCOUNTS SIDs and KZ_SID_MAX_EVENTS events kept
 * (the rest counted in dropped); strings cut at 256 bytes. The first
 * account seen for a SID wins (a SID names one account).
 * Threads: kz_sid_facts_extract on pool threads (ids read only); the
 * rest on the calling thread.
 */
#ifndef KZ_CLI_ACTOR_SID_H
#define KZ_CLI_ACTOR_SID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "event/names.h"
#include "event/value.h"
#include "read/read.h"

#define KZ_SID_MAX_ACCOUNTS 100000
#define KZ_SID_MAX_EVENTS ((size_t)1 << 20)

/* The fields read. */
enum {
    KZ_SF_SUBJECT_SID = 0,
    KZ_SF_SUBJECT_DOMAIN,
    KZ_SF_SUBJECT_USER,
    KZ_SF_TARGET_SID,
    KZ_SF_TARGET_DOMAIN,
    KZ_SF_TARGET_USER,
    KZ_SF_COUNT
};

typedef struct kz_sid_ids {
    int32_t id[KZ_SF_COUNT]; /* or KZ_NAME_NONE */
} kz_sid_ids;

typedef struct kz_sid_found kz_sid_found; /* one batch's pairs (opaque) */
typedef struct kz_sid_map kz_sid_map;     /* the run's tables (opaque) */

/* Interns the fields (before the names freeze). */
void kz_sid_facts_intern(kz_sid_ids *ids, kz_names *names);

/* Pool thread: the (SID, account) pairs the Security events of b name.
 * *out NULL when none. KZ_ENOMEM. */
kz_status kz_sid_facts_extract(const kz_sid_ids *ids,
                               const kz_render_opts *ro, const kz_batch *b,
                               kz_sid_found **out);

/* Frees what kz_sid_facts_extract made. Accepts NULL. */
void kz_sid_facts_free(kz_sid_found *f);

/* A new, empty map; NULL without memory. */
kz_sid_map *kz_sid_map_new(void);

/* Frees the map. Accepts NULL. */
void kz_sid_map_free(kz_sid_map *m);

/* Calling thread, in input order: adds the pairs of f and the header
 * SIDs of b's PowerShell events (duplicates skipped). */
kz_status kz_sid_map_feed(kz_sid_map *m, const kz_sid_found *f,
                          const kz_batch *b);

/* The account ("DOMAIN\name") of the SID in the header of the event at
 * (file_index, position), or NULL when that event's SID was not kept or
 * no Security event named its account. */
const char *kz_sid_map_actor(const kz_sid_map *m, uint32_t file_index,
                             uint64_t position);

/* SIDs and events left out at the bounds. */
uint64_t kz_sid_map_dropped(const kz_sid_map *m);

#endif /* KZ_CLI_ACTOR_SID_H */
